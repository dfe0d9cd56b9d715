"""Prometheus metrics of one gateway, in its own :class:`~prometheus_client.CollectorRegistry`
(never the process-global one: several apps in one process — tests, embedding — stay apart).

=========================================== ============================================
``crosswire_requests_total``                requests answered, by ``client_format``, ``model``
                                            (the routed alias), ``provider`` and ``status``
``crosswire_request_errors_total``          failed requests by error ``kind``
``crosswire_request_duration_seconds``      histogram: request start to last byte sent
``crosswire_time_to_first_token_seconds``   histogram: streams, start to first upstream content
``crosswire_tokens_total``                  tokens by ``direction``: input, output, cached,
                                            reasoning (as the upstream reported them)
``crosswire_queue_wait_seconds``            histogram: time waiting for the limiter's permits
``crosswire_upstream_attempts_total``       upstream calls by ``provider`` (retries included)
``crosswire_upstream_429_total``            upstream 429 answers by ``provider``
``crosswire_upstream_retries_total``        retries on the same model
``crosswire_fallbacks_total``               moves to a fallback model
``crosswire_request_log_dropped_total``     request-log records dropped (queue full, write
                                            failed)
=========================================== ============================================

Label values are bounded: formats and error kinds are fixed sets, providers come from the
config, and ``model`` is the routed alias — a client model name that is not an alias collapses
to the alias it was routed to (``provider/*`` for ``provider/upstream-model`` names, ``-`` when
routing failed). Labelled children are cached, so recording a request costs a few dict lookups
and counter increments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from crosswire.config import Config
from crosswire.observe.record import RequestRecord

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
TTFT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0)
QUEUE_BUCKETS = (0.001, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0)
UNROUTED = "-"


class _Dropped(Collector):
    """Reads the request log's drop counter at scrape time."""

    def __init__(self, dropped: Callable[[], int]) -> None:
        self._dropped = dropped

    def collect(self) -> Iterator[CounterMetricFamily]:
        yield CounterMetricFamily(
            "crosswire_request_log_dropped",
            "Request-log records dropped (queue full or write failed).",
            value=self._dropped(),
        )


class GatewayMetrics:
    def __init__(self, config: Config, dropped: Callable[[], int] = lambda: 0) -> None:
        self.aliases = frozenset(config.models)
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "crosswire_requests", "Requests answered.",
            ("client_format", "model", "provider", "status"), registry=r,
        )  # fmt: skip
        self.errors = Counter(
            "crosswire_request_errors", "Failed requests by error kind.", ("kind",), registry=r
        )
        self.duration = Histogram(
            "crosswire_request_duration_seconds", "Request start to the last byte sent.",
            buckets=DURATION_BUCKETS, registry=r,
        )  # fmt: skip
        self.ttft = Histogram(
            "crosswire_time_to_first_token_seconds",
            "Streamed requests: start to the first content from the upstream.",
            buckets=TTFT_BUCKETS, registry=r,
        )  # fmt: skip
        self.tokens = Counter(
            "crosswire_tokens", "Tokens as reported by upstreams.", ("direction",), registry=r
        )
        self.queue_wait = Histogram(
            "crosswire_queue_wait_seconds", "Time waiting for the limiter's permits.",
            buckets=QUEUE_BUCKETS, registry=r,
        )  # fmt: skip
        self.attempts = Counter(
            "crosswire_upstream_attempts", "Upstream calls, retries included.", ("provider",),
            registry=r,
        )  # fmt: skip
        self.upstream_429 = Counter(
            "crosswire_upstream_429", "Upstream 429 answers.", ("provider",), registry=r
        )
        self.retries = Counter(
            "crosswire_upstream_retries", "Retries on the same model.", registry=r
        )
        self.fallbacks = Counter("crosswire_fallbacks", "Moves to a fallback model.", registry=r)
        r.register(_Dropped(dropped))
        self._children: dict[tuple[Any, ...], Any] = {}
        self._direction = {
            d: self.tokens.labels(d) for d in ("input", "output", "cached", "reasoning")
        }

    def _child(self, metric: Counter, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def model_label(self, record: RequestRecord) -> str:
        if record.alias in self.aliases:
            return record.alias
        return f"{record.provider}/*" if record.provider else UNROUTED

    def observe(self, record: RequestRecord) -> None:
        """Count one finished request."""
        model = self.model_label(record)
        self._child(
            self.requests, record.client_format, model, record.provider or UNROUTED,
            str(record.status),
        ).inc()  # fmt: skip
        if record.error_kind is not None:
            self._child(self.errors, record.error_kind).inc()
        if record.finished is not None:
            self.duration.observe(record.finished - record.started)
        if record.first_token is not None:
            self.ttft.observe(record.first_token - record.started)
        if record.queue_wait is not None:
            self.queue_wait.observe(record.queue_wait)
        for direction, count in (
            ("input", record.tokens_in), ("output", record.tokens_out),
            ("cached", record.tokens_cached), ("reasoning", record.tokens_reasoning),
        ):  # fmt: skip
            if count:
                self._direction[direction].inc(count)
        for provider in record.attempted:
            self._child(self.attempts, provider).inc()
        for provider in record.rate_limited:
            self._child(self.upstream_429, provider).inc()
        if record.retries:
            self.retries.inc(record.retries)
        if record.fallbacks:
            self.fallbacks.inc(record.fallbacks)

    def render(self) -> bytes:
        """The registry in Prometheus text format."""
        return generate_latest(self.registry)
