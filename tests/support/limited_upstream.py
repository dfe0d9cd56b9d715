"""An OpenAI Chat upstream that enforces its own limits, like NVIDIA NIM's free tier does.

It accepts at most ``rpm`` requests in any sliding 60 s window (timestamped on arrival) and
answers 429 with ``Retry-After`` beyond; it holds each accepted request ``hold`` seconds before
answering, and measures how many were in flight at once. Tests then assert what a real
throttling provider would have seen: how many requests it took, how many it had to refuse.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque

from aiohttp import web

from tests.support.servers import ThreadedApp, chat_completion

UPSTREAM_WINDOW = 60.0


class LimitedUpstream:
    def __init__(self, rpm: int | None = None, hold: float = 0.0) -> None:
        self.rpm = rpm
        self.hold = hold
        self.accepted: list[float] = []
        """Arrival times (time.monotonic) of the requests answered 200."""
        self.rejected = 0
        """Requests answered 429 because the window was full."""
        self.in_flight = 0
        self.peak_in_flight = 0
        self._window: deque[float] = deque()
        self._lock = threading.Lock()
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handle)
        self.server = ThreadedApp(app)

    @property
    def base_url(self) -> str:
        return self.server.url + "/v1"

    def start(self) -> LimitedUpstream:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def max_in_any_window(self) -> int:
        """The most accepted requests that fell in one sliding 60 s window."""
        times = sorted(self.accepted)
        best, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= UPSTREAM_WINDOW:
                start += 1
            best = max(best, end - start + 1)
        return best

    async def _handle(self, request: web.Request) -> web.Response:
        await request.read()
        now = time.monotonic()
        with self._lock:
            while self._window and now - self._window[0] >= UPSTREAM_WINDOW:
                self._window.popleft()
            if self.rpm is not None and len(self._window) >= self.rpm:
                self.rejected += 1
                retry = max(1, int(UPSTREAM_WINDOW - (now - self._window[0])) + 1)
                body = {"error": {"message": "rate limited", "type": "rate_limit_error"}}
                return web.json_response(body, status=429, headers={"retry-after": str(retry)})
            self._window.append(now)
            self.accepted.append(now)
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.hold:
                await asyncio.sleep(self.hold)
            return web.json_response(chat_completion("paced"))
        finally:
            with self._lock:
                self.in_flight -= 1
