"""How ``crosswire doctor`` shows what it found: findings, the provider table, the verified
matrix (client format x model) and the reasons for every failure; plus the progress display
while probing (a rich bar in a terminal, one plain line per probe when piped)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from crosswire.cli.output import is_terminal, print_table
from crosswire.doctor import CLIENT_FORMATS, ProbeResult, Report

LEVEL_COLOURS = {"error": "red", "warning": "yellow", "note": None}


def _secho(message: str, colour: str | None = None, bold: bool = False) -> None:
    tty = is_terminal()
    click.secho(message, fg=colour if tty else None, bold=bold and tty)


def show_findings(report: Report) -> None:
    if not report.findings:
        _secho(f"config: ok ({report.config_path or 'built-in default'})", "green")
        return
    for finding in report.findings:
        _secho(f"{finding.level}: {finding.message}", LEVEL_COLOURS[finding.level])
        if finding.fix:
            click.echo(f"  fix: {finding.fix}")


def show_providers(report: Report) -> None:
    if not report.providers:
        return
    rows = [
        (
            c.provider,
            c.type,
            c.key,
            c.status,
            f"{c.latency_ms} ms" if c.latency_ms is not None else "-",
            c.detail,
        )
        for c in report.providers
    ]
    columns = ("provider", "type", "key", "status", "latency", "detail")
    print_table("providers", columns, rows)


def _cell(probes: list[ProbeResult]) -> str:
    if not probes:
        return "-"
    failed = [p.probe for p in probes if not p.ok]
    if failed:
        return ("✗ " if is_terminal() else "FAIL ") + ", ".join(failed)
    latency = next((p.latency_ms for p in probes if p.latency_ms is not None), None)
    mark = "✓" if is_terminal() else "ok"
    return f"{mark} {len(probes)}/{len(probes)}" + (f" {latency} ms" if latency is not None else "")


def show_matrix(report: Report) -> None:
    models = report.models()
    if not models:
        return
    formats = [f for f in CLIENT_FORMATS if any(p.format == f for p in report.probes)]
    rows = [(m, *(_cell(report.cell(f, m)) for f in formats)) for m in models]
    click.echo()
    print_table("verified paths (latency: plain text probe)", ("model", *formats), rows)
    failures = [p for p in report.probes if not p.ok]
    if failures:
        click.echo()
        _secho("broken paths:", "red", bold=True)
        for line in failure_lines(failures, len(formats)):
            click.echo(f"  {line}")


def failure_lines(failures: list[ProbeResult], format_count: int) -> list[str]:
    """``format x model: probe: reason``, one per failure, except that failures of one model
    with one reason are folded into one line when they cover whole formats x probes
    (``all formats``)."""
    groups: dict[tuple[str, str], list[ProbeResult]] = {}
    for p in failures:
        groups.setdefault((p.model, p.reason), []).append(p)
    lines: list[str] = []
    for (model, reason), group in groups.items():
        formats = list(dict.fromkeys(p.format for p in group))
        probes = list(dict.fromkeys(p.probe for p in group))
        if len(group) == len(formats) * len(probes) and len(group) > 1:
            where = "all formats" if len(formats) == format_count else ", ".join(formats)
            lines.append(f"{where} x {model}: {', '.join(probes)}: {reason}")
        else:
            lines += [f"{p.format} x {model}: {p.probe}: {reason}" for p in group]
    return lines


def show_summary(report: Report) -> None:
    total = len(report.probes)
    failed = sum(not p.ok for p in report.probes)
    bad_providers = [c.provider for c in report.providers if not c.usable]
    click.echo()
    if report.ok:
        verified = f"{total} probes passed" if total else "config and providers ok"
        _secho(f"doctor: everything declared works ({verified})", "green", bold=True)
        return
    parts = []
    if not report.config_ok:
        parts.append("the config does not load")
    if bad_providers:
        parts.append(f"provider(s) not usable: {', '.join(bad_providers)}")
    if failed:
        parts.append(f"{failed} of {total} probes failed")
    _secho(f"doctor: {'; '.join(parts)}", "red", bold=True)


@dataclass
class ProgressDisplay:
    """Probe progress on stderr: rich when stderr is a terminal, plain lines otherwise."""

    total: int = 0
    done: int = 0
    _progress: Progress | None = field(default=None, repr=False)
    _task: TaskID | None = field(default=None, repr=False)

    def start(self, total: int) -> None:
        self.total = total
        click.echo(
            f"probing {total} paths through an in-process gateway (real requests: they cost "
            "a few tokens)",
            err=True,
        )
        if self._progress is not None:
            self._task = self._progress.add_task("probing", total=total)

    def advance(self, result: ProbeResult) -> None:
        self.done += 1
        verdict = "ok" if result.ok else f"FAILED: {result.reason}"
        latency = f" {result.latency_ms} ms" if result.latency_ms is not None and result.ok else ""
        line = f"[{self.done}/{self.total}] {result.format} x {result.model}: {result.probe} "
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, description=line.split("] ", 1)[1])
            if not result.ok:
                self._progress.console.print(f"[red]✗[/red] {line}{verdict}", highlight=False)
            return
        click.echo(f"{line}{verdict}{latency}", err=True)

    @contextmanager
    def running(self) -> Iterator[ProgressDisplay]:
        if not sys.stderr.isatty():
            yield self
            return
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._progress = progress
        with progress:
            yield self
        self._progress = None
