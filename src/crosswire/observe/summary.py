"""From request-log rows to the numbers ``crosswire stats`` shows: per group (model alias,
provider or client format) the request and error counts, latency and time-to-first-token
percentiles, tokens, retries and fallbacks. Pure functions over rows, no I/O."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

GROUPINGS = {"model": "alias", "provider": "provider", "format": "client_format"}
"""``--by`` choices and the column each groups on."""
CLIENT_GONE = frozenset({"aborted", "cancelled"})
"""Error kinds that are the client leaving, not a failure of the gateway or upstream."""
_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
TOKEN_FIELDS = ("tokens_in", "tokens_out", "tokens_cached", "tokens_reasoning")


def parse_span(text: str) -> float:
    """``90s``, ``30m``, ``1h``, ``24h``, ``7d``, ``2w`` → seconds; ``ValueError`` otherwise."""
    match = _SPAN.match(text.lower())
    if match is None or float(match.group(1)) <= 0:
        raise ValueError(f"not a time span: {text!r} (use e.g. 30m, 1h, 24h, 7d)")
    return float(match.group(1)) * _UNIT[match.group(2)]


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile of sorted ``values`` (``share`` in 0..1); ``None`` if empty."""
    if not values:
        return None
    rank = max(1, math.ceil(share * len(values)))
    return values[rank - 1]


def is_error(row: dict[str, Any]) -> bool:
    """A failed request: an error status, or an error inside a started stream."""
    kind = row.get("error_kind")
    return int(row.get("status") or 0) >= 400 or (kind is not None and kind not in CLIENT_GONE)


def summarize(
    rows: Iterable[dict[str, Any]], by: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One summary per group (most requests first) and one for all rows together."""
    column = GROUPINGS[by]
    groups: dict[str, list[dict[str, Any]]] = {}
    everything: list[dict[str, Any]] = []
    for row in rows:
        groups.setdefault(row.get(column) or "-", []).append(row)
        everything.append(row)
    summaries = [_summary(key, members) for key, members in groups.items()]
    summaries.sort(key=lambda s: (-s["requests"], s["key"]))
    return summaries, _summary("total", everything)


def _summary(key: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    latencies = sorted(r["latency_ms"] for r in rows if r.get("latency_ms") is not None)
    ttfts = sorted(r["ttft_ms"] for r in rows if r.get("ttft_ms") is not None)
    errors = sum(1 for r in rows if is_error(r))
    summary: dict[str, Any] = {
        "key": key,
        "requests": len(rows),
        "errors": errors,
        "error_rate": round(errors / len(rows), 4) if rows else 0.0,
        "latency_p50_ms": percentile(latencies, 0.5),
        "latency_p95_ms": percentile(latencies, 0.95),
        "ttft_p50_ms": percentile(ttfts, 0.5),
        "ttft_p95_ms": percentile(ttfts, 0.95),
        "retries": sum(int(r.get("retries") or 0) for r in rows),
        "fallbacks": sum(int(r.get("fallbacks") or 0) for r in rows),
    }
    for name in TOKEN_FIELDS:
        summary[name] = sum(int(r.get(name) or 0) for r in rows)
    return summary
