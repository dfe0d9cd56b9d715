"""Time as the limiter sees it: the real monotonic clock, or a manual one for fast tests.

The limiter never calls :func:`time.monotonic` or :func:`asyncio.sleep` itself: it asks a
:class:`Clock` for ``now()`` and to ``wait(event, timeout)``. :class:`ManualClock` lets a test
move time forward by hand (``advance(60)``) and wakes exactly the waits that became due, so a
minute of pacing is checked in milliseconds.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic scale (only differences matter)."""
        ...

    async def wait(self, event: asyncio.Event, timeout: float) -> bool:
        """Wait until ``event`` is set (True) or ``timeout`` seconds passed (False)."""
        ...


class RealClock:
    """:func:`time.monotonic` and a real timed wait."""

    def now(self) -> float:
        return time.monotonic()

    async def wait(self, event: asyncio.Event, timeout: float) -> bool:
        if event.is_set():
            return True
        try:
            async with asyncio.timeout(max(0.0, timeout)):
                await event.wait()
        except TimeoutError:
            return event.is_set()
        return True


class ManualClock:
    """A clock that only moves when :meth:`advance` is called (test double)."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._timers: list[tuple[float, asyncio.Event]] = []

    def now(self) -> float:
        return self._now

    async def wait(self, event: asyncio.Event, timeout: float) -> bool:
        if event.is_set():
            return True
        timer = asyncio.Event()
        entry = (self._now + max(0.0, timeout), timer)
        self._timers.append(entry)
        try:
            woke = asyncio.ensure_future(event.wait())
            timed = asyncio.ensure_future(timer.wait())
            try:
                await asyncio.wait((woke, timed), return_when=asyncio.FIRST_COMPLETED)
            finally:
                woke.cancel()
                timed.cancel()
            return event.is_set()
        finally:
            if entry in self._timers:
                self._timers.remove(entry)

    async def advance(self, seconds: float) -> None:
        """Move time forward and let every task whose wait became due run."""
        self._now += seconds
        for due, timer in list(self._timers):
            if due <= self._now:
                timer.set()
        await settle()


async def settle(rounds: int = 20) -> None:
    """Let ready tasks run (a few event-loop turns)."""
    for _ in range(rounds):
        await asyncio.sleep(0)
