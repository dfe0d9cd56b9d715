"""``crosswire logs``: the most recent requests from the request log, optionally followed."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import click

from crosswire.cli.config_target import config_option
from crosswire.cli.logstore import open_log
from crosswire.cli.output import note, print_table
from crosswire.observe.store import Store

FOLLOW_POLL = 1.0
"""Seconds between two looks at the log with ``--follow``."""
COLUMNS = ("time", "format", "client model", "route", "provider", "status", "latency", "ttft",
           "in", "out", "retries", "error")  # fmt: skip


@click.command("logs")
@click.option(
    "-n",
    "count",
    default=50,
    show_default=True,
    type=click.IntRange(min=1),
    help="How many recent requests to show.",
)
@click.option("-f", "--follow", is_flag=True, help="Keep printing new requests as they arrive.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line (jq-friendly).")
@config_option
def logs(count: int, follow: bool, as_json: bool, config_path: str | None) -> None:
    """Show the most recent requests: time, client format and model, route, provider, status,
    latency, time to first token, tokens, retries and error. Never content or keys.

    \b
    Examples:
      crosswire logs                        # the last 50 requests
      crosswire logs -n 200 --json | jq 'select(.status >= 400)'
      crosswire logs --follow               # like tail -f; Ctrl-C to stop
    """
    store, where = open_log(config_path)
    if store is None and not follow:
        note(f"no requests logged yet (request log: {where})")
        return
    last_id = 0
    if store is not None:
        rows = store.recent(count)
        last_id = _show(rows, as_json, table=not follow, last_id=last_id)
    if not follow:
        return
    try:
        while True:
            time.sleep(FOLLOW_POLL)
            if store is None:
                store, _ = open_log(config_path)
                if store is None:
                    continue
            last_id = _show(store.recent(10_000, last_id), as_json, table=False, last_id=last_id)
    except KeyboardInterrupt:
        pass
    finally:
        _close(store)


def _close(store: Store | None) -> None:
    if store is not None:
        store.close()


def _show(rows: list[dict[str, Any]], as_json: bool, *, table: bool, last_id: int) -> int:
    """Print ``rows``; the highest id printed (or ``last_id``)."""
    if as_json:
        for row in rows:
            click.echo(json.dumps(_public(row), ensure_ascii=False))
    elif table:
        print_table("recent requests", COLUMNS, [_cells(r) for r in rows])
    else:
        for row in rows:
            click.echo("  ".join(_cells(row)))
    return max([last_id, *(int(r["id"]) for r in rows)])


def _public(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["time"] = datetime.fromtimestamp(row["ts"]).astimezone().isoformat(timespec="milliseconds")
    out["stream"] = bool(row.get("stream"))
    return out


def _cells(row: dict[str, Any]) -> tuple[str, ...]:
    moment = datetime.fromtimestamp(row["ts"]).strftime("%m-%d %H:%M:%S")
    route = f"{row['alias']}({row['route_rule']})" if row.get("alias") else "-"
    return (
        moment, row.get("client_format") or "-", row.get("client_model") or "-", route,
        row.get("provider") or "-", str(row.get("status")), _ms(row.get("latency_ms")),
        _ms(row.get("ttft_ms")), _n(row.get("tokens_in")), _n(row.get("tokens_out")),
        str(row.get("retries") or 0) + (f"+{row['fallbacks']}fb" if row.get("fallbacks") else ""),
        row.get("error_kind") or "",
    )  # fmt: skip


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 1000:.2f}s" if value >= 1000 else f"{value:.0f}ms"


def _n(value: int | None) -> str:
    return "-" if value is None else str(value)
