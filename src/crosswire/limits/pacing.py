"""Client-side pacing: a fair queue per provider in front of the shared state's slots.

A request for a provider with ``rpm``, ``tpm`` or ``max_concurrency`` set asks the
:class:`~crosswire.limits.state.SharedState` for a slot. When none is free it joins the
provider's FIFO queue in this process; only the head of the queue asks the state again (when
the state said a slot frees, when a local request gives back its concurrency slot, or every
:data:`SHARED_POLL` seconds for slots freed by other replicas). So requests leave in arrival
order and the shared state sees one poller per replica, not one per waiting request.

A request whose expected wait exceeds the bound (the provider's ``max_queue_wait``, else the
server's) is refused at once with :class:`~crosswire.canonical.RateLimitError` and
``retry_after`` = the seconds until a slot is expected — it never waits in vain. The estimate
for the n-th in line: the head's wait, plus one window per ``rpm`` requests ahead (or ``tpm``
tokens ahead). Whoever is still waiting at the bound is refused the same way.

Providers without any limit get a shared no-op permit: no queue, no lock, no state round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import os
from collections import deque
from dataclasses import dataclass, field

from crosswire.canonical import RateLimitError
from crosswire.config import ProviderConfig
from crosswire.limits.clock import Clock, RealClock
from crosswire.limits.state import LEASE_TTL, WINDOW, Rule, SharedState

SHARED_POLL = 0.1
"""Seconds between the head's checks when only another replica can free a concurrency slot."""
EPSILON = 0.002
"""Extra seconds slept past the moment a window slot frees (clock rounding)."""


class NoPermit:
    """The permit of a request without a concurrency slot: releasing costs nothing."""

    __slots__ = ()

    async def release(self) -> None:
        return None


NO_PERMIT = NoPermit()


class LeasePermit:
    """Holds one concurrency lease until :meth:`release` (idempotent)."""

    __slots__ = ("_key", "_lease", "_limiter")

    def __init__(self, limiter: PacingLimiter, key: str, lease: str) -> None:
        self._limiter: PacingLimiter | None = limiter
        self._key = key
        self._lease = lease

    async def release(self) -> None:
        limiter, self._limiter = self._limiter, None
        if limiter is not None:
            await limiter.give_back(self._key, self._lease)


@dataclass(slots=True)
class _Waiter:
    tokens: int
    wake: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(slots=True)
class _Queue:
    waiters: deque[_Waiter] = field(default_factory=deque)
    tokens_waiting: int = 0
    free_at: float = 0.0
    """Clock time at which the head was told a window slot frees (0 = not known)."""

    def wake_head(self) -> None:
        if self.waiters:
            self.waiters[0].wake.set()


class PacingLimiter:
    """The :class:`~crosswire.limits.Limiter` of crosswire."""

    def __init__(self, state: SharedState, default_wait: float, clock: Clock | None = None):
        self.state = state
        self.default_wait = default_wait
        self.clock = clock or RealClock()
        self._queues: dict[str, _Queue] = {}
        self._live: dict[str, set[str]] = {}
        self._ids = itertools.count()
        self._prefix = os.urandom(6).hex() + "-"
        self._refresher: asyncio.Task[None] | None = None

    async def acquire(self, provider: ProviderConfig, tokens: int) -> NoPermit | LeasePermit:
        rule = Rule.of(provider)
        if rule is None:
            return NO_PERMIT
        key = provider.name
        bound = provider.max_queue_wait
        bound = self.default_wait if bound is None else bound
        lease = f"{self._prefix}{next(self._ids)}"
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = _Queue()
        if not queue.waiters:
            verdict = await self.state.take(key, rule, tokens, lease)
            if verdict.granted:
                return self._permit(key, rule, lease)
            if verdict.wait is not None:
                queue.free_at = self.clock.now() + verdict.wait
            expected = verdict.wait or 0.0
        else:
            expected = self._expected(queue, rule, tokens)
        if expected > bound:
            raise self._refusal(provider, expected, bound)
        return await self._wait_in_line(provider, rule, queue, tokens, lease, bound)

    def _expected(self, queue: _Queue, rule: Rule, tokens: int) -> float:
        """Seconds the next request in line is expected to wait (a lower bound)."""
        head = max(0.0, queue.free_at - self.clock.now()) if queue.free_at else 0.0
        windows = 0
        if rule.rpm is not None:
            windows = len(queue.waiters) // rule.rpm
        if rule.tpm is not None:
            windows = max(windows, (queue.tokens_waiting + tokens) // rule.tpm)
        return head + windows * WINDOW

    async def _wait_in_line(
        self, provider: ProviderConfig, rule: Rule, queue: _Queue, tokens: int, lease: str,
        bound: float,
    ) -> NoPermit | LeasePermit:  # fmt: skip
        key = provider.name
        deadline = self.clock.now() + bound
        me = _Waiter(tokens)
        queue.waiters.append(me)
        queue.tokens_waiting += tokens
        try:
            while True:
                remaining = deadline - self.clock.now()
                nap = remaining
                if queue.waiters[0] is me:
                    verdict = await self.state.take(key, rule, tokens, lease)
                    if verdict.granted:
                        return self._permit(key, rule, lease)
                    remaining = deadline - self.clock.now()
                    if verdict.wait is not None:
                        queue.free_at = self.clock.now() + verdict.wait
                        if verdict.wait > remaining:
                            raise self._refusal(provider, verdict.wait, bound)
                        nap = verdict.wait + EPSILON
                    elif remaining <= 0:
                        raise self._refusal(provider, 1.0, bound)
                    elif self.state.shared:
                        nap = min(SHARED_POLL, remaining)
                elif remaining <= 0:
                    raise self._refusal(provider, self._expected(queue, rule, 0), bound)
                me.wake.clear()
                await self.clock.wait(me.wake, nap)
        finally:
            was_head = queue.waiters[0] is me
            queue.waiters.remove(me)
            queue.tokens_waiting -= tokens
            if was_head:
                queue.wake_head()

    def _refusal(self, provider: ProviderConfig, wait: float, bound: float) -> RateLimitError:
        return RateLimitError(
            f"provider {provider.name!r} is at its pacing limit: the wait ({wait:.0f} s) would "
            f"exceed max_queue_wait ({bound:g} s)",
            retry_after=float(max(1, math.ceil(wait))),
            code="pacing_queue_full",
        )

    def _permit(self, key: str, rule: Rule, lease: str) -> NoPermit | LeasePermit:
        if rule.max_concurrency is None:
            return NO_PERMIT
        self._live.setdefault(key, set()).add(lease)
        if self.state.shared and self._refresher is None:
            self._refresher = asyncio.get_running_loop().create_task(self._refresh_leases())
        return LeasePermit(self, key, lease)

    async def give_back(self, key: str, lease: str) -> None:
        """Return a concurrency lease and let the head of the provider's queue try again."""
        live = self._live.get(key)
        if live is not None:
            live.discard(lease)
        try:
            await self.state.release(key, lease)
        finally:
            queue = self._queues.get(key)
            if queue is not None:
                queue.wake_head()

    async def _refresh_leases(self) -> None:
        """Keep this replica's live leases from expiring (they expire if the replica dies)."""
        while True:
            await asyncio.sleep(LEASE_TTL / 3)
            for key, leases in list(self._live.items()):
                await self.state.refresh(key, list(leases))

    async def close(self) -> None:
        """Stop refreshing leases and close the shared state."""
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
            self._refresher = None
        await self.state.close()
