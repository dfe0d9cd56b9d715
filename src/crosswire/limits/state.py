"""Where pacing, concurrency and cooldown state lives: one interface, two backends.

- :class:`MemoryState` — this process only (the default, ``[server] state = "memory"``).
- :class:`~crosswire.limits.redis_state.RedisState` — a Redis server shared by several
  gateway replicas (``state = "redis://host:6379/0"``); every check-and-take is one atomic Lua
  script, so two replicas never both take the last slot.

The operations are the decisions themselves, not generic get/set, because they must be atomic:

- :meth:`SharedState.take` — sliding 60 s windows for ``rpm`` and ``tpm`` plus a concurrency
  counter made of *leases* (each with a deadline, so a replica that dies mid-request does not
  hold its slots forever). Either everything is taken, or nothing and a :class:`Verdict` says
  how long until a slot frees.
- :meth:`SharedState.breaker_allow` / :meth:`SharedState.breaker_record` — a provider's
  circuit: consecutive failures, open-until, and the one recovery probe of the half-open state.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Protocol

from crosswire.config import ProviderConfig
from crosswire.limits.clock import Clock, RealClock

TRANSIT_MARGIN = 1.0
"""Seconds added to the minute: the upstream timestamps a request when it *arrives*, a little
after crosswire let it go, so a window measured to the millisecond here could look overfull
there (and answer 429) to requests let through the moment an old one left the window."""
WINDOW = 60.0 + TRANSIT_MARGIN
"""Seconds of the sliding windows behind ``rpm`` and ``tpm``."""
LEASE_TTL = 600.0
"""Seconds a concurrency lease survives without a refresh (a dead replica's slots come back)."""
PROBE_TTL = 60.0
"""Seconds a half-open circuit's probe is reserved before another request may probe."""


@dataclass(frozen=True, slots=True)
class Rule:
    """A provider's pacing limits; ``None`` = no such limit."""

    rpm: int | None = None
    tpm: int | None = None
    max_concurrency: int | None = None

    @staticmethod
    def of(provider: ProviderConfig) -> Rule | None:
        """The provider's rule, or ``None`` when it has no limit at all (the free path)."""
        if provider.rpm is None and provider.tpm is None and provider.max_concurrency is None:
            return None
        return Rule(provider.rpm, provider.tpm, provider.max_concurrency)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer of :meth:`SharedState.take`."""

    granted: bool
    wait: float | None = 0.0
    """When refused: seconds until an ``rpm``/``tpm`` slot frees, or ``None`` when only the
    concurrency limit is full (a slot frees when some request ends: unknown)."""


GRANTED = Verdict(True)


@dataclass(frozen=True, slots=True)
class BreakerView:
    """The answer of :meth:`SharedState.breaker_allow`."""

    allowed: bool
    clean: bool
    """Closed with no failure counted: a success has nothing to reset."""


class SharedState(Protocol):
    shared: bool
    """True when other processes see the same state (leases then need refreshing)."""

    async def take(self, key: str, rule: Rule, tokens: int, lease: str) -> Verdict:
        """Atomically take one request slot (and ``tokens``, and a concurrency lease named
        ``lease``) under ``rule``, or take nothing and say how long to wait."""
        ...

    async def release(self, key: str, lease: str) -> None:
        """Give back a concurrency lease."""
        ...

    async def refresh(self, key: str, leases: Collection[str]) -> None:
        """Push the deadlines of live leases :data:`LEASE_TTL` into the future."""
        ...

    async def breaker_allow(self, key: str) -> BreakerView:
        """Closed: allowed. Open: refused until ``open_until``; then exactly one caller gets
        the probe (reserved for :data:`PROBE_TTL`), the others are refused."""
        ...

    async def breaker_record(self, key: str, ok: bool, threshold: int, cooldown: float) -> None:
        """Success closes the circuit; ``threshold`` consecutive failures (or a failed probe)
        open it for ``cooldown`` seconds."""
        ...

    async def close(self) -> None: ...


def tokens_wait(entries: Collection[tuple[float, int]], total: int, tokens: int, tpm: int,
                now: float) -> float:  # fmt: skip
    """Seconds until ``tokens`` more fit under ``tpm`` in the window (0 = they fit now).

    ``entries`` are (time, tokens) oldest first, ``total`` their sum. A request larger than
    the whole ``tpm`` goes through alone, once the window is empty.
    """
    if total + tokens <= tpm or not entries:
        return 0.0
    freed = 0
    last = now
    for at, count in entries:
        freed += count
        last = at
        if total - freed + tokens <= tpm:
            break
    return max(0.0, last + WINDOW - now)


@dataclass(slots=True)
class _Window:
    requests: deque[float] = field(default_factory=deque)
    tokens: deque[tuple[float, int]] = field(default_factory=deque)
    token_total: int = 0
    leases: set[str] = field(default_factory=set)

    def expire(self, now: float) -> None:
        edge = now - WINDOW
        while self.requests and self.requests[0] <= edge:
            self.requests.popleft()
        while self.tokens and self.tokens[0][0] <= edge:
            self.token_total -= self.tokens.popleft()[1]


@dataclass(slots=True)
class _Circuit:
    failures: int = 0
    open_until: float | None = None
    probe_until: float = 0.0


class MemoryState:
    """State of this process only. Leases never expire here: they cannot outlive the process."""

    shared = False

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or RealClock()
        self._windows: dict[str, _Window] = {}
        self._circuits: dict[str, _Circuit] = {}

    async def take(self, key: str, rule: Rule, tokens: int, lease: str) -> Verdict:
        now = self.clock.now()
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window()
        window.expire(now)
        wait = 0.0
        if rule.rpm is not None and len(window.requests) >= rule.rpm:
            wait = window.requests[len(window.requests) - rule.rpm] + WINDOW - now
        if rule.tpm is not None:
            wait = max(wait, tokens_wait(window.tokens, window.token_total, tokens, rule.tpm, now))
        full = rule.max_concurrency is not None and len(window.leases) >= rule.max_concurrency
        if wait > 0 or full:
            return Verdict(False, wait if wait > 0 else None)
        if rule.rpm is not None:
            window.requests.append(now)
        if rule.tpm is not None:
            window.tokens.append((now, tokens))
            window.token_total += tokens
        if rule.max_concurrency is not None:
            window.leases.add(lease)
        return GRANTED

    async def release(self, key: str, lease: str) -> None:
        window = self._windows.get(key)
        if window is not None:
            window.leases.discard(lease)

    async def refresh(self, key: str, leases: Collection[str]) -> None:
        return None

    async def breaker_allow(self, key: str) -> BreakerView:
        circuit = self._circuits.get(key)
        if circuit is None:
            return BreakerView(True, True)
        if circuit.open_until is None:
            return BreakerView(True, circuit.failures == 0)
        now = self.clock.now()
        if now < circuit.open_until or now < circuit.probe_until:
            return BreakerView(False, False)
        circuit.probe_until = now + PROBE_TTL
        return BreakerView(True, False)

    async def breaker_record(self, key: str, ok: bool, threshold: int, cooldown: float) -> None:
        if ok:
            self._circuits.pop(key, None)
            return
        circuit = self._circuits.setdefault(key, _Circuit())
        now = self.clock.now()
        if circuit.open_until is not None:
            if now >= circuit.open_until:  # the probe (or a late straggler) failed: re-open
                circuit.open_until, circuit.probe_until = now + cooldown, 0.0
            return
        circuit.failures += 1
        if circuit.failures >= threshold:
            circuit.open_until = now + cooldown

    async def close(self) -> None:
        return None


def open_state(url: str, clock: Clock | None = None) -> SharedState:
    """The backend for ``[server] state``: ``memory`` or a Redis URL."""
    if url == "memory":
        return MemoryState(clock)
    from crosswire.limits.redis_state import RedisState  # redis is imported only when used

    return RedisState(url)
