"""One doctor run: the config, then the providers, then the probes through an in-process
gateway; everything ends up in one :class:`~crosswire.doctor.report.Report`."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from crosswire.config import Config, ModelConfig
from crosswire.doctor.config_checks import check_config
from crosswire.doctor.gateway import running_gateway
from crosswire.doctor.probes import Prober, probes_for
from crosswire.doctor.reachability import check_provider
from crosswire.doctor.report import (
    CLIENT_FORMATS,
    PROBES,
    ProbeResult,
    ProviderCheck,
    Report,
    Scrubber,
)
from crosswire.doctor.wire import WIRES

CELL_CONCURRENCY = 4
"""Matrix cells probed at once (each cell's probes run one after another)."""
MAX_CHECK_TIMEOUT = 10.0
"""Seconds allowed for a provider's connect and model-list request (below ``connect_timeout``
when that is shorter)."""


@dataclass(slots=True)
class Plan:
    """What to check."""

    formats: Sequence[str] = CLIENT_FORMATS
    """Client formats to probe through."""
    models: Sequence[str] | None = None
    """Model aliases to check; ``None`` = every model."""
    probe: bool = True
    """Run the live probes (``False``: config and providers only)."""
    on_plan: Callable[[int], None] = field(default=lambda total: None)
    """Told how many probes will run, before the first one starts."""
    on_probe: Callable[[ProbeResult], None] = field(default=lambda result: None)
    """Told about each probe as it ends."""


class UnknownModelsError(ValueError):
    """``Plan.models`` names aliases the config does not define."""

    def __init__(self, unknown: Sequence[str], known: Sequence[str]) -> None:
        super().__init__(
            f"unknown model {', '.join(map(repr, unknown))} (defined: {', '.join(known) or '-'})"
        )


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


async def run_doctor(path: Path | None, plan: Plan) -> tuple[Report, Config | None]:
    """Check everything ``plan`` asks for; the config is ``None`` when it does not load.

    Raises :class:`UnknownModelsError` when ``plan.models`` names an alias the config lacks.
    """
    report = Report(str(path) if path else None, now_iso())
    config, report.findings = check_config(path)
    if config is None:
        return report, None
    unknown = [a for a in plan.models or () if a not in config.models]
    if unknown:
        raise UnknownModelsError(unknown, list(config.models))
    scrub = Scrubber.for_config(config)
    models = [config.models[a] for a in (plan.models or list(config.models))]
    used = dict.fromkeys(m.provider for m in models)
    timeout = min(config.server.connect_timeout, MAX_CHECK_TIMEOUT)
    async with aiohttp.ClientSession(trust_env=False) as session:
        checks = await asyncio.gather(
            *(check_provider(config.providers[p], session, scrub, timeout) for p in used)
        )
        report.providers = list(checks)
        if plan.probe and models:
            by_name = {c.provider: c for c in report.providers}
            report.probes = await _probe(config, models, by_name, plan, session, scrub)
    return report, config


async def _probe(
    config: Config,
    models: list[ModelConfig],
    checks: dict[str, ProviderCheck],
    plan: Plan,
    session: aiohttp.ClientSession,
    scrub: Scrubber,
) -> list[ProbeResult]:
    cells = [(WIRES[f], m) for m in models for f in plan.formats]
    names = {m.alias: probes_for(m, config.providers[m.provider].type) for m in models}
    plan.on_plan(sum(len(names[m.alias]) for _, m in cells))
    results: list[ProbeResult] = []

    def record(result: ProbeResult) -> None:
        results.append(result)
        plan.on_probe(result)

    limit = asyncio.Semaphore(CELL_CONCURRENCY)
    async with running_gateway(config) as base_url:
        prober = Prober(session, base_url, scrub)

        async def cell(index: int) -> None:
            wire, model = cells[index]
            check = checks[model.provider]
            if not check.usable:
                for name in names[model.alias]:
                    reason = f"not sent: provider {model.provider!r} {check.status}"
                    record(ProbeResult(wire.name, model.alias, name, False, None, reason))
                return
            async with limit:
                await prober.cell(wire, model, names[model.alias], record)

        await asyncio.gather(*(cell(i) for i in range(len(cells))))
    order = {(w.name, m.alias): i for i, (w, m) in enumerate(cells)}
    probe_order = {name: i for i, name in enumerate(PROBES)}
    results.sort(key=lambda r: (order[(r.format, r.model)], probe_order[r.probe]))
    return results
