"""The request log's writer: off the hot path.

A handler calls :meth:`RequestLog.submit` — an append to a bounded in-memory list, nothing
else; when the list is full the record is dropped and counted (:attr:`RequestLog.dropped`),
never waited for. A background task wakes every ``flush_interval`` seconds, takes the whole
list and writes it in one transaction in a worker thread (``asyncio.to_thread``), so the event
loop never does disk or network I/O for the log. A write that fails is logged (once per
failure streak) and its batch dropped and counted: the gateway keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from crosswire.config.observe import LogConfig
from crosswire.observe.record import RequestRecord, row_of
from crosswire.observe.store import Payload, Row, Store

log = logging.getLogger(__name__)

PRUNE_EVERY = 3600.0
"""Seconds between two deletions of rows older than ``retention_days``."""
DAY = 86400.0


class RequestLog:
    def __init__(self, store: Store, config: LogConfig) -> None:
        self.store = store
        self.capacity = config.queue_size
        self.interval = config.flush_interval
        self.retention = config.retention_days * DAY
        self.payloads = config.payloads
        self.dropped = 0
        """Records dropped because the queue was full or their write failed."""
        self.written = 0
        """Records written."""
        self._pending: list[RequestRecord] = []
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._failing = False
        self._pruned_at = 0.0

    def submit(self, record: RequestRecord) -> None:
        """Queue ``record`` for writing; drop it (and count it) when the queue is full."""
        if len(self._pending) >= self.capacity:
            self.dropped += 1
            return
        self._pending.append(record)

    @property
    def queued(self) -> int:
        return len(self._pending)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="crosswire-request-log")

    async def close(self) -> None:
        """Let the task finish the write under way, then write what is still queued."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self.flush()
        await asyncio.to_thread(self.store.close)

    async def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)
            await self.flush()

    async def flush(self) -> None:
        """Write everything queued so far (in a worker thread)."""
        batch, self._pending = self._pending, []
        now = time.time()
        if not batch:
            return
        prune = self.retention > 0 and now - self._pruned_at > PRUNE_EVERY
        try:
            await asyncio.to_thread(self._write, batch, now if prune else None)
        except Exception as exc:
            self.dropped += len(batch)
            if not self._failing:
                log.warning("request log: write failed, records dropped: %s", exc)
            self._failing = True
            return
        if prune:
            self._pruned_at = now
        self.written += len(batch)
        if self._failing:
            log.warning("request log: writing again")
        self._failing = False

    def _write(self, batch: list[RequestRecord], prune_at: float | None) -> None:
        rows: list[Row] = [row_of(r) for r in batch]
        payloads: list[Payload] = []
        if self.payloads:
            payloads = [
                (r.request_id, r.request_body, r.response_body)
                for r in batch
                if r.request_body is not None or r.response_body is not None
            ]
        self.store.insert(rows, payloads)
        if prune_at is not None:
            self.store.prune(prune_at - self.retention)
