"""The Redis backend against a real ``redis-server``: two clients stand for two replicas."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from crosswire.canonical import RateLimitError
from crosswire.config import ProviderConfig, ServerConfig
from crosswire.limits.breaker import SharedBreaker
from crosswire.limits.pacing import PacingLimiter
from crosswire.limits.redis_state import RedisState, key_of
from crosswire.limits.state import LEASE_TTL, WINDOW, Rule
from tests.support.redis_server import RedisServer

_names = itertools.count()


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.close()


@pytest_asyncio.fixture(loop_scope="function")
async def replicas(redis_server: RedisServer) -> AsyncIterator[tuple[RedisState, RedisState]]:
    if not redis_server.ping():
        redis_server.start()
    a, b = RedisState(redis_server.url), RedisState(redis_server.url)
    yield a, b
    await a.close()
    await b.close()


def fresh(prefix: str = "p") -> str:
    """A provider name no other test used (the server is shared by the module)."""
    return f"{prefix}{next(_names)}-{time.monotonic_ns()}"


async def test_two_replicas_share_one_request_window(
    replicas: tuple[RedisState, RedisState],
) -> None:
    a, b = replicas
    key, rule = fresh(), Rule(rpm=5)
    verdicts = [await (a if i % 2 else b).take(key, rule, 1, f"l{i}") for i in range(10)]
    assert [v.granted for v in verdicts] == [True] * 5 + [False] * 5
    assert all(v.wait is not None and WINDOW - 1 < v.wait <= WINDOW for v in verdicts[5:])


async def test_tokens_per_minute_are_shared(replicas: tuple[RedisState, RedisState]) -> None:
    a, b = replicas
    key, rule = fresh(), Rule(tpm=1000)
    assert (await a.take(key, rule, 700, "l1")).granted
    refused = await b.take(key, rule, 400, "l2")
    assert not refused.granted and refused.wait is not None and refused.wait > 59
    assert (await b.take(key, rule, 300, "l3")).granted


async def test_concurrency_leases_are_shared(replicas: tuple[RedisState, RedisState]) -> None:
    a, b = replicas
    key, rule = fresh(), Rule(max_concurrency=2)
    assert (await a.take(key, rule, 1, "l1")).granted
    assert (await b.take(key, rule, 1, "l2")).granted
    full = await b.take(key, rule, 1, "l3")
    assert not full.granted and full.wait is None  # unknown: when somebody finishes
    await a.release(key, "l1")
    assert (await b.take(key, rule, 1, "l3")).granted


async def test_leases_carry_a_deadline_that_refresh_extends(
    replicas: tuple[RedisState, RedisState],
) -> None:
    a, _ = replicas
    key = fresh()
    await a.take(key, Rule(max_concurrency=1), 1, "l1")
    first = await a.redis.zscore(key_of(key, "leases"), "l1")
    assert first is not None and abs(first - (time.time() + LEASE_TTL)) < 5
    await asyncio.sleep(0.05)
    await a.refresh(key, ["l1", "gone"])
    leases = await a.redis.zrange(key_of(key, "leases"), 0, -1, withscores=True)
    assert [name for name, _ in leases] == ["l1"]  # a lost lease is not brought back
    assert leases[0][1] > first


async def test_keys_are_prefixed_and_scripts_reload_after_a_flush(
    replicas: tuple[RedisState, RedisState], redis_server: RedisServer
) -> None:
    a, _ = replicas
    key = fresh("flush")
    await a.take(key, Rule(rpm=2, tpm=100, max_concurrency=1), 5, "l1")
    keys = sorted(await a.redis.keys(f"*{key}*"))
    assert keys == [f"crosswire:{{{key}}}:{kind}" for kind in ("leases", "requests", "tokens")]
    assert redis_server.command("SCRIPT", "FLUSH").startswith(b"+OK")
    assert (await a.take(key, Rule(rpm=2), 5, "l2")).granted  # EVALSHA fell back to a load
    assert not (await a.take(key, Rule(rpm=2), 5, "l3")).granted


async def test_two_limiters_on_redis_hold_one_rpm(replicas: tuple[RedisState, RedisState]) -> None:
    a, b = replicas
    one, two = PacingLimiter(a, 0.0), PacingLimiter(b, 0.0)
    nim = ProviderConfig(name=fresh("nim"), type="openai", base_url="http://x", rpm=4)
    outcomes = await asyncio.gather(
        *(lim.acquire(nim, 1) for lim in (one, two) * 5), return_exceptions=True
    )
    refused = [o for o in outcomes if isinstance(o, RateLimitError)]
    assert len(refused) == 6
    assert all(r.retry_after == WINDOW for r in refused)


async def test_the_half_open_probe_is_one_across_replicas(
    replicas: tuple[RedisState, RedisState],
) -> None:
    a, b = replicas
    server = ServerConfig(cooldown_after=3, cooldown_seconds=0.3)
    one, two = SharedBreaker(a, server), SharedBreaker(b, server)
    nim = ProviderConfig(name=fresh("nim"), type="openai", base_url="http://x")
    await one.record(nim, False)
    await two.record(nim, False)
    await one.record(nim, False)
    assert not await two.allow(nim)
    assert not await one.allow(nim)
    await asyncio.sleep(0.35)
    verdicts = await asyncio.gather(*(br.allow(nim) for br in (one, two) * 4))
    assert verdicts.count(True) == 1
    await two.record(nim, True)  # the probe succeeded on replica two
    assert await one.allow(nim)


async def test_redis_down_fails_open_with_one_warning(
    replicas: tuple[RedisState, RedisState],
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    a, _ = replicas
    limiter, breaker = PacingLimiter(a, 0.0), SharedBreaker(a, ServerConfig(cooldown_after=1))
    nim = ProviderConfig(name=fresh("nim"), type="openai", base_url="http://x", rpm=1)
    await limiter.acquire(nim, 1)
    await breaker.record(nim, False)
    assert not await breaker.allow(nim)
    redis_server.stop()
    try:
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="crosswire.limits.redis_state"):
            permits = [await limiter.acquire(nim, 1) for _ in range(20)]
            allowed = [await breaker.allow(nim) for _ in range(5)]
        assert len(permits) == 20 and all(allowed)
        assert time.monotonic() - started < 2
        warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
        assert len(warnings) == 1
    finally:
        redis_server.start()
    await asyncio.sleep(2.1)  # OUTAGE_BACKOFF: then Redis is asked again (fresh server: empty)
    await limiter.acquire(nim, 1)
    with pytest.raises(RateLimitError):
        await limiter.acquire(nim, 1)
