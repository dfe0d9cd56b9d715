"""The one object handlers report finished requests to: it counts them in the metrics and
queues them for the request log. Both are optional (``[metrics] enabled``, ``[log] enabled``);
with both off, :meth:`Observer.finish` only stamps the record."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from crosswire.config import Config
from crosswire.observe.metrics import GatewayMetrics
from crosswire.observe.record import RequestRecord
from crosswire.observe.store import open_store
from crosswire.observe.writer import RequestLog


class Observer:
    def __init__(self, config: Config) -> None:
        self.request_log = (
            RequestLog(open_store(config.log), config.log) if config.log.enabled else None
        )
        self.payloads = self.request_log is not None and config.log.payloads
        """Whether handlers should attach bodies to their records."""
        log = self.request_log
        self.metrics = (
            GatewayMetrics(config, (lambda: log.dropped) if log is not None else lambda: 0)
            if config.metrics.enabled
            else None
        )

    def record(self, client_format: str, request_id: str) -> RequestRecord:
        """A new record for a request that starts now."""
        return RequestRecord(client_format, request_id)

    def finish(self, record: RequestRecord, status: int, error_kind: str | None = None) -> None:
        """``record``'s request is over (answer sent or failed): count it and queue it."""
        record.finished = time.perf_counter()
        record.status = status
        if error_kind is not None:
            record.error_kind = error_kind
        if self.metrics is not None:
            self.metrics.observe(record)
        if self.request_log is not None:
            self.request_log.submit(record)

    def attach(self, record: RequestRecord, request_body: Any = None, response: Any = None) -> None:
        """Keep bodies on ``record`` when ``[log] payloads = true`` (no-op otherwise)."""
        if self.payloads:
            if request_body is not None:
                record.request_body = request_body
            if response is not None:
                record.response_body = response

    async def start(self) -> None:
        if self.request_log is not None:
            self.request_log.start()

    async def close(self) -> None:
        if self.request_log is not None:
            await self.request_log.close()


OBSERVER = web.AppKey("crosswire_observer", Observer)
