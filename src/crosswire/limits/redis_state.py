"""Shared state in Redis, for several gateway replicas behind one load balancer.

Every decision is one Lua script (:mod:`crosswire.limits.redis_lua`) run with ``EVALSHA`` —
redis-py's scripts fall back to loading the script when the server does not know it yet (after
a restart or ``SCRIPT FLUSH``). Keys are ``crosswire:{provider}:requests`` / ``:tokens`` /
``:leases`` / ``:circuit``.

Redis is an aid, not a dependency: when it cannot be reached, the gateway logs one warning and
**fails open** — requests are let through unpaced and circuits count as closed — and does not
try Redis again for :data:`OUTAGE_BACKOFF` seconds, so an outage costs no latency per request.
A client never gets a 500 because Redis is down.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Collection
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from crosswire.limits import redis_lua
from crosswire.limits.state import (
    GRANTED,
    LEASE_TTL,
    PROBE_TTL,
    WINDOW,
    BreakerView,
    Rule,
    Verdict,
)

log = logging.getLogger(__name__)

PREFIX = "crosswire:"
OUTAGE_BACKOFF = 2.0
"""Seconds to skip Redis after it failed (each request meanwhile is allowed at once)."""
CONNECT_TIMEOUT = 0.5
COMMAND_TIMEOUT = 1.0
CIRCUIT_KEY_TTL = 86400
"""Seconds a circuit's failure count is kept without any new outcome."""

T = TypeVar("T")
_ALLOWED = BreakerView(True, True)


def key_of(provider: str, kind: str) -> str:
    """``crosswire:{nim}:requests`` — one hash tag per provider."""
    return f"{PREFIX}{{{provider}}}:{kind}"


class RedisState:
    shared = True

    def __init__(self, url: str) -> None:
        self.url = url
        self.redis: aioredis.Redis = aioredis.Redis.from_url(
            url,
            decode_responses=True,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=COMMAND_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )
        self._take = self.redis.register_script(redis_lua.TAKE)
        self._refresh = self.redis.register_script(redis_lua.REFRESH)
        self._allow = self.redis.register_script(redis_lua.BREAKER_ALLOW)
        self._record = self.redis.register_script(redis_lua.BREAKER_RECORD)
        self._down_until = 0.0
        self._outage = False

    async def _guarded(self, call: Callable[[], Awaitable[T]], fallback: T) -> T:
        if self._down_until and time.monotonic() < self._down_until:
            return fallback
        try:
            result = await call()
        except (RedisError, OSError) as exc:
            self._down_until = time.monotonic() + OUTAGE_BACKOFF
            if not self._outage:
                self._outage = True
                log.warning(
                    "shared state %s unreachable (%s): letting requests through unpaced "
                    "until it is back",
                    self.url,
                    exc,
                )
            return fallback
        if self._outage:
            self._outage = False
            self._down_until = 0.0
            log.warning("shared state %s is back: pacing resumes", self.url)
        return result

    async def take(self, key: str, rule: Rule, tokens: int, lease: str) -> Verdict:
        keys = [key_of(key, "requests"), key_of(key, "tokens"), key_of(key, "leases")]
        limits = (rule.rpm or 0, rule.tpm or 0, rule.max_concurrency or 0)
        args: list[float | str] = [WINDOW, *limits, max(0, tokens), lease, LEASE_TTL]

        async def run() -> Verdict:
            granted, wait = await self._take(keys=keys, args=args)
            if int(granted):
                return GRANTED
            seconds = float(wait)
            return Verdict(False, seconds if seconds > 0 else None)

        return await self._guarded(run, GRANTED)

    async def release(self, key: str, lease: str) -> None:
        async def run() -> Any:
            return await self.redis.zrem(key_of(key, "leases"), lease)

        await self._guarded(run, None)

    async def refresh(self, key: str, leases: Collection[str]) -> None:
        if not leases:
            return

        async def run() -> Any:
            return await self._refresh(keys=[key_of(key, "leases")], args=[LEASE_TTL, *leases])

        await self._guarded(run, None)

    async def breaker_allow(self, key: str) -> BreakerView:
        async def run() -> BreakerView:
            allowed, clean = await self._allow(keys=[key_of(key, "circuit")], args=[PROBE_TTL])
            return BreakerView(bool(int(allowed)), bool(int(clean)))

        return await self._guarded(run, _ALLOWED)

    async def breaker_record(self, key: str, ok: bool, threshold: int, cooldown: float) -> None:
        ttl = max(CIRCUIT_KEY_TTL, int(cooldown * 2 + PROBE_TTL))
        args = [1 if ok else 0, threshold, cooldown, ttl]

        async def run() -> Any:
            return await self._record(keys=[key_of(key, "circuit")], args=args)

        await self._guarded(run, None)

    async def close(self) -> None:
        await self.redis.aclose()
