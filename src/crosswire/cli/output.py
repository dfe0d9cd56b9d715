"""Shared CLI output: rich tables in a terminal, plain aligned columns when piped, JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.table import Table

PLAIN_GAP = "  "


def is_terminal() -> bool:
    """Whether stdout is an interactive terminal (colour and boxes) rather than a pipe/file."""
    return sys.stdout.isatty()


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A table: rich in a terminal, plain left-aligned columns otherwise (easy to grep/cut)."""
    if is_terminal():
        table = Table(title=title, title_justify="left", header_style="bold")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*row)
        Console().print(table)
        return
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]
    for line in (columns, *rows):
        click.echo(
            PLAIN_GAP.join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        )


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def success(message: str) -> None:
    """A confirmation on stderr (green in a terminal)."""
    click.secho(message, fg="green" if sys.stderr.isatty() else None, err=True)


def note(message: str) -> None:
    """Advice or a warning on stderr (yellow in a terminal)."""
    click.secho(message, fg="yellow" if sys.stderr.isatty() else None, err=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``crosswire: message`` on stderr and exit with ``code``."""
    click.secho(f"crosswire: {message}", fg="red" if sys.stderr.isatty() else None, err=True)
    raise SystemExit(code)
