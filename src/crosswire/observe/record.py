"""One request's record: filled by the handler and the dispatcher as the request goes, handed
to the :class:`~crosswire.observe.observer.Observer` once it is over.

It is a plain slotted object, set field by field on the hot path (attribute writes only); the
row is built from it later, in the writer's thread. It never holds credentials, and holds
content (:attr:`RequestRecord.request_body`, :attr:`RequestRecord.response_body`) only when
``[log] payloads = true``.
"""

from __future__ import annotations

import time
from typing import Any

from crosswire.canonical import Event, MessageStart, Usage


class RequestRecord:
    """What crosswire knows about one request (see :data:`COLUMNS` for the stored fields)."""

    __slots__ = (
        "alias",
        "attempted",
        "client_format",
        "client_model",
        "error_kind",
        "fallbacks",
        "finished",
        "first_token",
        "provider",
        "queue_wait",
        "rate_limited",
        "relay",
        "request_body",
        "request_id",
        "response_body",
        "retries",
        "route_rule",
        "started",
        "status",
        "stream",
        "tokens_cached",
        "tokens_in",
        "tokens_out",
        "tokens_reasoning",
        "ts",
        "upstream_model",
    )

    def __init__(self, client_format: str = "", request_id: str = "") -> None:
        self.ts = time.time()
        """Wall-clock start (Unix seconds)."""
        self.started = time.perf_counter()
        """Monotonic start, for durations."""
        self.finished: float | None = None
        """Monotonic end: the answer sent (a stream's last chunk written)."""
        self.first_token: float | None = None
        """Monotonic time of a stream's first content from the upstream."""
        self.request_id = request_id
        self.client_format = client_format
        """``anthropic``, ``openai_chat``, ``openai_responses`` or ``gemini``."""
        self.client_model = ""
        """The model name the client asked for, as sent."""
        self.alias = ""
        """The model alias it was routed to (before fallbacks)."""
        self.route_rule = ""
        """Why: ``alias``, ``route:claude-*``, ``background`` …"""
        self.provider = ""
        """The provider of the last upstream attempt (the one that answered, on success)."""
        self.upstream_model = ""
        """That provider's model id."""
        self.status = 0
        """The HTTP status the client got."""
        self.stream = False
        self.relay = "translated"
        """``translated`` or ``as-is`` (same-format relay, bytes not decoded: no token counts)."""
        self.error_kind: str | None = None
        """The canonical error kind (``rate_limit``, ``timeout`` …), ``aborted`` for a stream
        the client left, or ``None``."""
        self.tokens_in: int | None = None
        self.tokens_out: int | None = None
        self.tokens_cached: int | None = None
        self.tokens_reasoning: int | None = None
        self.retries = 0
        """Upstream retries on the same model."""
        self.fallbacks = 0
        """Moves to the next fallback model."""
        self.attempted: list[str] = []
        """The provider of each upstream attempt, in order."""
        self.rate_limited: list[str] = []
        """The provider of each attempt answered with a 429."""
        self.queue_wait: float | None = None
        """Seconds spent waiting for the limiter's permits (``None``: never asked)."""
        self.request_body: Any = None
        """The decoded client body, only with ``[log] payloads = true``."""
        self.response_body: Any = None
        """The answer sent (non-streamed), only with ``[log] payloads = true``."""

    def routed(self, alias: str, rule: str, provider: str, upstream_model: str) -> None:
        self.alias, self.route_rule = alias, rule
        self.provider, self.upstream_model = provider, upstream_model

    def waited(self, seconds: float) -> None:
        """Time spent in one limiter ``acquire``."""
        self.queue_wait = (self.queue_wait or 0.0) + seconds

    def usage(self, usage: Usage | None) -> None:
        if usage is None:
            return
        self.tokens_in = usage.input_tokens
        self.tokens_out = usage.output_tokens
        self.tokens_cached = usage.cache_read_tokens
        self.tokens_reasoning = usage.reasoning_tokens

    def saw(self, batch: list[Event]) -> None:
        """A stream batch from the upstream: the first with content sets :attr:`first_token`."""
        if self.first_token is None and any(not isinstance(e, MessageStart) for e in batch):
            self.first_token = time.perf_counter()

    @property
    def latency_ms(self) -> float | None:
        if self.finished is None:
            return None
        return (self.finished - self.started) * 1000.0

    @property
    def ttft_ms(self) -> float | None:
        if self.first_token is None:
            return None
        return (self.first_token - self.started) * 1000.0


COLUMNS = (
    "ts", "request_id", "client_format", "client_model", "alias", "route_rule", "provider",
    "upstream_model", "status", "latency_ms", "ttft_ms", "tokens_in", "tokens_out",
    "tokens_cached", "tokens_reasoning", "retries", "fallbacks", "stream", "relay",
    "error_kind", "queue_wait_ms",
)  # fmt: skip
"""The columns of the ``requests`` table, in insert order."""

MAX_NAME = 200
"""Client-supplied names are cut to this many characters."""


def row_of(record: RequestRecord) -> tuple[Any, ...]:
    """The ``requests`` row for ``record`` (in :data:`COLUMNS` order)."""
    wait = record.queue_wait
    return (
        record.ts, record.request_id, record.client_format, record.client_model[:MAX_NAME],
        record.alias[:MAX_NAME], record.route_rule[:MAX_NAME], record.provider,
        record.upstream_model[:MAX_NAME], record.status, _round(record.latency_ms),
        _round(record.ttft_ms), record.tokens_in, record.tokens_out, record.tokens_cached,
        record.tokens_reasoning, record.retries, record.fallbacks, int(record.stream),
        record.relay, record.error_kind, _round(wait * 1000.0 if wait is not None else None),
    )  # fmt: skip


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
