"""``crosswire stats``: requests, errors, latency and tokens per model or provider, from the
request log."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import click

from crosswire.cli.config_target import config_option
from crosswire.cli.logstore import open_log
from crosswire.cli.output import fail, note, print_json, print_table
from crosswire.observe.summary import GROUPINGS, parse_span, summarize

COLUMNS = (
    "requests", "errors", "p50", "p95", "ttft p50", "ttft p95", "tokens in", "tokens out",
    "cached", "retries", "fallbacks",
)  # fmt: skip


@click.command("stats")
@click.option(
    "--since", default="24h", show_default=True, metavar="SPAN", help="Time window: 30m, 1h, 7d …"
)
@click.option(
    "--by",
    type=click.Choice(sorted(GROUPINGS)),
    default="model",
    show_default=True,
    help="Group by routed model alias, provider or client format.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@config_option
def stats(since: str, by: str, as_json: bool, config_path: str | None) -> None:
    """Requests, errors, p50/p95 latency, time to first token and tokens over a time window,
    from the request log ([log] in the config; on by default).

    \b
    Examples:
      crosswire stats                       # the last 24 hours, per model
      crosswire stats --since 1h --by provider
      crosswire stats --since 7d --json | jq '.groups[] | {key, requests, errors}'
    """
    try:
        span = parse_span(since)
    except ValueError as error:
        fail(str(error), 2)
    start = time.time() - span
    store, where = open_log(config_path)
    rows = store.since(start) if store is not None else []
    if store is not None:
        store.close()
    groups, total = summarize(rows, by)
    if as_json:
        print_json(
            {
                "since": datetime.fromtimestamp(start, UTC).isoformat(timespec="seconds"),
                "window_seconds": span,
                "by": by,
                "database": where,
                "groups": groups,
                "total": total,
            }
        )
        return
    if not rows:
        note(f"no requests in the last {since} (request log: {where})")
        return
    cells = [_cells(g) for g in groups]
    if len(groups) > 1:
        cells.append(_cells(total))
    print_table(f"requests in the last {since}, by {by}", (by, *COLUMNS), cells)


def _cells(summary: dict[str, Any]) -> tuple[str, ...]:
    return (
        summary["key"], str(summary["requests"]), str(summary["errors"]),
        _ms(summary["latency_p50_ms"]), _ms(summary["latency_p95_ms"]),
        _ms(summary["ttft_p50_ms"]), _ms(summary["ttft_p95_ms"]),
        str(summary["tokens_in"]), str(summary["tokens_out"]), str(summary["tokens_cached"]),
        str(summary["retries"]), str(summary["fallbacks"]),
    )  # fmt: skip


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 1000:.2f}s" if value >= 1000 else f"{value:.0f}ms"
