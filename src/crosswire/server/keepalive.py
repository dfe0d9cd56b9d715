"""Keep quiet streams alive: one task for all streams writes a ping into any stream that has
been silent for ``interval`` seconds (long thinking, slow upstreams, idle-cutting proxies)."""

from __future__ import annotations

import asyncio
import contextlib
import time

from aiohttp import web


class LiveStream:
    __slots__ = ("last_write", "ping", "response", "writing")

    def __init__(self, response: web.StreamResponse, ping: bytes) -> None:
        self.response = response
        self.ping = ping
        self.last_write = time.monotonic()
        self.writing = False

    async def write(self, data: bytes) -> None:
        if not data:
            return
        self.writing = True
        try:
            await self.response.write(data)
        finally:
            self.writing = False
            self.last_write = time.monotonic()


class KeepAlive:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.streams: set[LiveStream] = set()
        self._task: asyncio.Task[None] | None = None

    def register(self, response: web.StreamResponse, ping: bytes) -> LiveStream:
        stream = LiveStream(response, ping)
        self.streams.add(stream)
        if self._task is None and self.interval > 0:
            self._task = asyncio.get_running_loop().create_task(self._run())
        return stream

    def unregister(self, stream: LiveStream) -> None:
        self.streams.discard(stream)

    async def _run(self) -> None:
        tick = max(0.05, min(1.0, self.interval / 4))
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            for stream in list(self.streams):
                if stream.ping and not stream.writing and now - stream.last_write >= self.interval:
                    with contextlib.suppress(Exception):
                        await stream.write(stream.ping)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
