"""The circuit breaker: a provider that keeps failing is left alone for a while.

    closed ──cooldown_after consecutive failures──▶ open ──cooldown_seconds──▶ half-open
      ▲                                              ▲                          │
      └────────────── the probe succeeds ────────────┴──── the probe fails ─────┘

Half-open lets exactly one request through (the probe), across all replicas: the shared state
reserves it atomically. Any success closes the circuit and resets the count.

With a shared (Redis) state, a replica remembers for :data:`CLEAN_CACHE` seconds that a
provider's circuit was closed with no failure counted: meanwhile ``allow`` and successful
``record`` calls cost no round trip. A failure always goes to Redis; other replicas notice an
opened circuit within :data:`CLEAN_CACHE` seconds.
"""

from __future__ import annotations

from crosswire.config import ProviderConfig, ServerConfig
from crosswire.limits.clock import Clock, RealClock
from crosswire.limits.state import SharedState

CLEAN_CACHE = 1.0
"""Seconds a replica trusts its last "closed, no failures" answer from a shared state."""


class SharedBreaker:
    """The :class:`~crosswire.limits.Breaker` of crosswire."""

    def __init__(self, state: SharedState, server: ServerConfig, clock: Clock | None = None):
        self.state = state
        self.threshold = server.cooldown_after
        self.cooldown = server.cooldown_seconds
        self.clock = clock or RealClock()
        self._clean_until: dict[str, float] = {}

    def _known_clean(self, name: str) -> bool:
        if not self.state.shared:
            return False
        until = self._clean_until.get(name)
        return until is not None and self.clock.now() < until

    async def allow(self, provider: ProviderConfig) -> bool:
        name = provider.name
        if self._known_clean(name):
            return True
        view = await self.state.breaker_allow(name)
        if view.clean and self.state.shared:
            self._clean_until[name] = self.clock.now() + CLEAN_CACHE
        return view.allowed

    async def record(self, provider: ProviderConfig, ok: bool) -> None:
        name = provider.name
        if ok and self._known_clean(name):
            return
        if not ok:
            self._clean_until.pop(name, None)
        await self.state.breaker_record(name, ok, self.threshold, self.cooldown)
