"""The circuit breaker on the in-memory state, with a manual clock."""

from __future__ import annotations

import asyncio

from crosswire.config import ProviderConfig, ServerConfig
from crosswire.limits.breaker import SharedBreaker
from crosswire.limits.clock import ManualClock
from crosswire.limits.state import MemoryState

NIM = ProviderConfig(name="nim", type="openai", base_url="http://x")
KIMI = ProviderConfig(name="kimi", type="openai", base_url="http://y")


def breaker(clock: ManualClock) -> SharedBreaker:
    server = ServerConfig(cooldown_after=3, cooldown_seconds=30.0)
    return SharedBreaker(MemoryState(clock), server, clock)


async def fail(b: SharedBreaker, times: int) -> None:
    for _ in range(times):
        await b.record(NIM, False)


async def test_consecutive_failures_open_the_circuit() -> None:
    b = breaker(ManualClock())
    await fail(b, 2)
    assert await b.allow(NIM)
    await fail(b, 1)
    assert not await b.allow(NIM)
    assert await b.allow(KIMI)  # other providers are unaffected


async def test_a_success_resets_the_count() -> None:
    b = breaker(ManualClock())
    await fail(b, 2)
    await b.record(NIM, True)
    await fail(b, 2)
    assert await b.allow(NIM)


async def test_after_the_cooldown_exactly_one_probe_goes_through() -> None:
    clock = ManualClock()
    b = breaker(clock)
    await fail(b, 3)
    await clock.advance(29.9)
    assert not await b.allow(NIM)
    await clock.advance(0.2)
    verdicts = await asyncio.gather(*(b.allow(NIM) for _ in range(10)))
    assert verdicts.count(True) == 1


async def test_a_successful_probe_closes_the_circuit() -> None:
    clock = ManualClock()
    b = breaker(clock)
    await fail(b, 3)
    await clock.advance(31)
    assert await b.allow(NIM)
    await b.record(NIM, True)
    assert all([await b.allow(NIM) for _ in range(5)])


async def test_a_failed_probe_reopens_for_another_cooldown() -> None:
    clock = ManualClock()
    b = breaker(clock)
    await fail(b, 3)
    await clock.advance(31)
    assert await b.allow(NIM)
    await b.record(NIM, False)
    assert not await b.allow(NIM)
    await clock.advance(29)
    assert not await b.allow(NIM)
    await clock.advance(2)
    assert await b.allow(NIM)


async def test_a_probe_that_never_reports_is_replaced_after_its_reservation() -> None:
    clock = ManualClock()
    b = breaker(clock)
    await fail(b, 3)
    await clock.advance(31)
    assert await b.allow(NIM)
    assert not await b.allow(NIM)
    await clock.advance(61)  # the probe's request died without an outcome
    assert await b.allow(NIM)
