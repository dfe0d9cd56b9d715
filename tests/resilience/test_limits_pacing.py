"""The pacing limiter on the in-memory state, with a manual clock: minutes checked in ms."""

from __future__ import annotations

import asyncio
from collections.abc import Collection

import pytest

from crosswire.canonical import RateLimitError
from crosswire.config import ProviderConfig
from crosswire.limits.clock import ManualClock, settle
from crosswire.limits.pacing import NO_PERMIT, PacingLimiter
from crosswire.limits.state import WINDOW, BreakerView, MemoryState, Rule, Verdict


def provider(**limits: object) -> ProviderConfig:
    return ProviderConfig(name="nim", type="openai", base_url="http://x", **limits)  # type: ignore[arg-type]


def limiter(clock: ManualClock, wait: float = 300.0) -> PacingLimiter:
    return PacingLimiter(MemoryState(clock), wait, clock)


class UntouchableState:
    """A state that fails the test when asked anything: unlimited providers must not ask."""

    shared = True

    async def take(self, key: str, rule: Rule, tokens: int, lease: str) -> Verdict:
        raise AssertionError("an unlimited provider reached the shared state")

    async def release(self, key: str, lease: str) -> None:
        raise AssertionError("release on an unlimited provider")

    async def refresh(self, key: str, leases: Collection[str]) -> None:
        raise AssertionError("refresh")

    async def breaker_allow(self, key: str) -> BreakerView:
        raise AssertionError("breaker")

    async def breaker_record(self, key: str, ok: bool, threshold: int, cooldown: float) -> None:
        raise AssertionError("breaker")

    async def close(self) -> None:
        return None


async def test_unlimited_provider_costs_nothing() -> None:
    paced = PacingLimiter(UntouchableState(), 30.0)
    permits = [await paced.acquire(provider(), 10_000) for _ in range(1000)]
    assert all(p is NO_PERMIT for p in permits)
    await permits[0].release()


async def test_rpm_lets_a_window_through_then_waits_for_it_to_slide() -> None:
    clock = ManualClock()
    paced = limiter(clock)
    nim = provider(rpm=3)
    for _ in range(3):
        await paced.acquire(nim, 1)
    fourth = asyncio.ensure_future(paced.acquire(nim, 1))
    await settle()
    assert not fourth.done()
    await clock.advance(WINDOW - 0.1)
    assert not fourth.done()
    await clock.advance(0.2)
    assert fourth.done()
    await fourth


async def test_waiters_leave_in_arrival_order() -> None:
    clock = ManualClock()
    paced = limiter(clock)
    nim = provider(rpm=2)
    order: list[int] = []

    async def request(i: int) -> None:
        await paced.acquire(nim, 1)
        order.append(i)

    tasks = []
    for i in range(7):
        tasks.append(asyncio.ensure_future(request(i)))
        await settle(3)
    assert order == [0, 1]
    await clock.advance(WINDOW + 0.1)
    assert order == [0, 1, 2, 3]
    await clock.advance(WINDOW + 0.1)
    await clock.advance(WINDOW + 0.1)
    await asyncio.gather(*tasks)
    assert order == list(range(7))


async def test_a_wait_longer_than_the_bound_is_refused_at_once_with_retry_after() -> None:
    clock = ManualClock()
    paced = limiter(clock, wait=10.0)
    nim = provider(rpm=1)
    await paced.acquire(nim, 1)
    await clock.advance(15)
    with pytest.raises(RateLimitError) as caught:
        await paced.acquire(nim, 1)
    assert caught.value.retry_after == WINDOW - 15  # when the slot frees
    assert caught.value.status == 429


async def test_the_provider_bound_overrides_the_server_default() -> None:
    clock = ManualClock()
    paced = limiter(clock, wait=10.0)
    nim = provider(rpm=1, max_queue_wait=120.0)
    await paced.acquire(nim, 1)
    second = asyncio.ensure_future(paced.acquire(nim, 1))
    await settle()
    await clock.advance(WINDOW + 0.1)
    await second


async def test_the_queue_estimate_refuses_those_who_would_wait_past_the_bound() -> None:
    clock = ManualClock()
    paced = limiter(clock, wait=90.0)
    nim = provider(rpm=2)
    await paced.acquire(nim, 1)
    await paced.acquire(nim, 1)
    # the next two fit in the next window (60 s); two more would need a second one (120 s)
    waiting = [asyncio.ensure_future(paced.acquire(nim, 1)) for _ in range(2)]
    await settle()
    with pytest.raises(RateLimitError) as caught:
        await paced.acquire(nim, 1)
    assert caught.value.retry_after == 2 * WINDOW
    await clock.advance(WINDOW + 0.1)
    await asyncio.gather(*waiting)


async def test_tpm_counts_estimated_tokens_in_the_window() -> None:
    clock = ManualClock()
    paced = limiter(clock)
    nim = provider(tpm=1000)
    await paced.acquire(nim, 600)
    await clock.advance(10)
    await paced.acquire(nim, 300)
    third = asyncio.ensure_future(paced.acquire(nim, 500))
    await settle()
    await clock.advance(WINDOW - 11)
    assert not third.done()  # needs the first 600 to leave the window
    await clock.advance(1.1)
    await third
    # a request larger than the whole budget still goes, alone, once the window is empty
    await clock.advance(WINDOW + 0.1)
    await paced.acquire(nim, 5000)


async def test_concurrency_waiters_wake_when_a_slot_is_given_back() -> None:
    clock = ManualClock()
    paced = limiter(clock)
    nim = provider(max_concurrency=2)
    first = await paced.acquire(nim, 1)
    await paced.acquire(nim, 1)
    third = asyncio.ensure_future(paced.acquire(nim, 1))
    await settle()
    assert not third.done()
    await first.release()
    await first.release()  # idempotent: does not free a second slot
    await settle()
    assert third.done()
    fourth = asyncio.ensure_future(paced.acquire(nim, 1))
    await settle()
    assert not fourth.done()
    await clock.advance(301)  # nobody gave back a slot within the bound
    with pytest.raises(RateLimitError):
        await fourth


async def test_a_cancelled_waiter_leaves_the_queue_and_passes_its_turn() -> None:
    clock = ManualClock()
    paced = limiter(clock)
    nim = provider(max_concurrency=1)
    holder = await paced.acquire(nim, 1)
    head = asyncio.ensure_future(paced.acquire(nim, 1))
    await settle()
    behind = asyncio.ensure_future(paced.acquire(nim, 1))
    await settle()
    head.cancel()  # the client went away while waiting
    await settle()
    await holder.release()
    await settle()
    assert behind.done()
    assert head.cancelled()


async def test_providers_are_paced_independently() -> None:
    clock = ManualClock()
    paced = limiter(clock, wait=0.0)
    await paced.acquire(provider(rpm=1), 1)
    other = ProviderConfig(name="kimi", type="openai", base_url="http://y", rpm=1)
    await paced.acquire(other, 1)
    with pytest.raises(RateLimitError):
        await paced.acquire(provider(rpm=1), 1)
