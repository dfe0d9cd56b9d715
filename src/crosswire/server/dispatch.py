"""The dispatcher: every upstream call goes through here, so fallbacks, retries, pacing and
cooldown apply the same way whatever the client and upstream formats.

For each candidate — the routed target, then its model's ``fallbacks`` in order (on providers
of any format: the canonical request is re-encoded by that provider's backend):

1. skip it while the breaker has its provider cooling down;
2. fit ``max_tokens`` to its window (:func:`~crosswire.routing.fit_max_tokens`); a request
   that cannot fit moves on to the next candidate;
3. wait for a permit from the limiter (a queue wait over the bound moves on as well);
4. call it — for a stream, until the first batch of events is in: a failure before or in it is
   still a failure before the first byte reaches the client;
5. on success tell the breaker and hand the answer over (a stream keeps its permit until it
   ends, including when the client goes away); on failure tell the breaker, give the permit
   back, and retry or move on as :mod:`crosswire.server.retry_policy` says.

The last failure is the client's answer; when crosswire already retried or fell back it says
``x-should-retry: false`` (a 429 keeps its ``Retry-After``), so SDK retries do not multiply
ours. After a stream's first batch is out, failures are in-stream errors, as before.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from crosswire.canonical import (
    Event,
    GatewayError,
    MessageStart,
    OverloadedError,
    Request,
    Response,
    StreamError,
)
from crosswire.config import Config, ProviderConfig
from crosswire.limits import Permit
from crosswire.observe.record import RequestRecord
from crosswire.routing import InputTokens, Target, fit_max_tokens, model_target
from crosswire.server.retry_policy import (
    FAILURE_KINDS,
    FALLBACK_KINDS,
    SWITCH_FIRST_KINDS,
    backoff,
)
from crosswire.server.state import GatewayState
from crosswire.upstream import Backend

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
Opened = tuple[list[Event], AsyncIterator[list[Event]]]


def candidates(config: Config, target: Target) -> list[Target]:
    """The routed target, then its model's fallbacks (rule ``fallback:<alias>``)."""
    chosen = [target]
    for alias in target.model.fallbacks:
        if alias != target.alias:
            chosen.append(model_target(config, config.models[alias], f"fallback:{alias}"))
    return chosen


async def complete(
    state: GatewayState,
    request: Request,
    target: Target,
    tokens: InputTokens,
    record: RequestRecord | None = None,
) -> Response:
    """A whole answer, from the first candidate that gives one. ``record`` (the request
    log's) gets the provider that answered, attempts, retries, fallbacks and queue wait."""

    async def call(backend: Backend, candidate: Target, request: Request) -> Response:
        return await backend.complete(request, candidate)

    response, permit, _ = await _Attempts(state, request, target, tokens, record).run(call)
    await permit.release()
    return response


async def stream(
    state: GatewayState,
    request: Request,
    target: Target,
    tokens: InputTokens,
    record: RequestRecord | None = None,
) -> AsyncIterator[list[Event]]:
    """The event batches of the first candidate whose stream starts well; a failure of every
    candidate is one ``[StreamError]`` batch (the relay answers it as an HTTP error).
    ``record`` gets what :func:`complete` gives it, plus the first content's time and the
    kind of an in-stream error."""
    attempts = _Attempts(state, request, target, tokens, record)
    record = attempts.record
    del request, tokens  # a long stream should not keep the conversation alive
    try:
        (first, events), permit, provider_target = await attempts.run(_open_stream)
    except GatewayError as error:
        yield [StreamError(error)]
        return
    del attempts
    breaker, provider = state.breaker, provider_target.provider
    try:
        record.saw(first)
        yield first
        async for batch in events:
            if record.first_token is None:
                record.saw(batch)
            if batch and isinstance(batch[-1], StreamError):
                record.error_kind = batch[-1].error.kind
                await breaker.record(provider, ok=batch[-1].error.kind not in FAILURE_KINDS)
            yield batch
    finally:
        try:
            await events.aclose()  # type: ignore[attr-defined]
        finally:
            await permit.release()


async def _open_stream(backend: Backend, target: Target, request: Request) -> Opened:
    """Start a stream and wait for its first batch; an error there is raised."""
    events = backend.stream(request, target)
    try:
        first: list[Event] = await anext(events, [])
        error = _early_error(first)
    except BaseException:
        await events.aclose()  # type: ignore[attr-defined]
        raise
    if error is not None:
        await events.aclose()  # type: ignore[attr-defined]
        raise error
    return first, events


def _early_error(batch: list[Event]) -> GatewayError | None:
    """An error in a first batch that has no content yet."""
    for event in batch:
        if isinstance(event, StreamError):
            return event.error
        if not isinstance(event, MessageStart):
            return None
    return None


class _Attempts:
    """One request's walk through its candidates."""

    def __init__(
        self,
        state: GatewayState,
        request: Request,
        target: Target,
        tokens: InputTokens,
        record: RequestRecord | None = None,
    ) -> None:
        self.state = state
        self.record = record if record is not None else RequestRecord()
        self.request = request
        self.tokens = tokens
        self.candidates = candidates(state.config, target)
        self.asked_max_tokens = request.max_tokens
        self.handled = False
        """Whether crosswire retried, fell back or chose not to retry (budget): the client
        is then told not to retry on its own."""

    async def run(self, call: Callable[..., Awaitable[T]]) -> tuple[T, Permit, Target]:
        last: GatewayError | None = None
        for index, target in enumerate(self.candidates):
            has_next = index + 1 < len(self.candidates)
            try:
                result, permit = await self._candidate(call, target, has_next)
            except GatewayError as error:
                if error.kind not in FALLBACK_KINDS:
                    raise self._final(error) from None
                last = error
                if has_next:
                    self.handled = True
                    self.record.fallbacks += 1
                    log.info(
                        "falling back from %s to %s: %s",
                        target.alias, self.candidates[index + 1].alias, error.kind,
                    )  # fmt: skip
                continue
            return result, permit, target
        assert last is not None
        raise self._final(last)

    async def _candidate(
        self, call: Callable[..., Awaitable[T]], target: Target, has_next: bool
    ) -> tuple[T, Permit]:
        state, provider = self.state, target.provider
        if not await state.breaker.allow(provider):
            raise OverloadedError(
                f"provider {provider.name!r} is cooling down after repeated failures",
                retry_after=state.config.server.cooldown_seconds,
            )
        self.request.max_tokens = fit_max_tokens(target.model, self.asked_max_tokens, self.tokens)
        state.retry_budget.deposit(provider.name)
        backend = state.backend(provider)
        record = self.record
        record.provider, record.upstream_model = provider.name, target.model.model
        retry = 0
        while True:
            cost = limiter_cost(target, self.tokens, self.request.max_tokens)
            permit = await _acquire(state, provider, cost, record)
            try:
                result = await call(backend, target, self.request)
            except GatewayError as error:
                await permit.release()
                if error.status == 429:
                    record.rate_limited.append(provider.name)
                await state.breaker.record(provider, ok=error.kind not in FAILURE_KINDS)
                wait = self._retry_wait(error, target, retry, has_next)
                if wait is None:
                    raise
                log.info(
                    "retrying %s in %.2fs after %s (retry %d)", target.alias, wait, error.kind,
                    retry + 1,
                )  # fmt: skip
                await asyncio.sleep(wait)
                retry += 1
                record.retries += 1
                continue
            except BaseException:
                await permit.release()
                raise
            await state.breaker.record(provider, ok=True)
            return result, permit

    def _retry_wait(
        self, error: GatewayError, target: Target, retry: int, has_next: bool
    ) -> float | None:
        if not error.retryable or retry >= self.state.config.server.retries:
            return None
        if has_next and error.kind in SWITCH_FIRST_KINDS:
            return None
        wait = backoff(retry, error.retry_after)
        if wait is None:
            return None
        self.handled = True  # retried now, or refused by the budget: either way, not the SDK
        return wait if self.state.retry_budget.withdraw(target.provider.name) else None

    def _final(self, error: GatewayError) -> GatewayError:
        """The error for the client: not to be retried by its SDK once crosswire retried or
        fell back (its ``retry_after`` stays)."""
        if self.handled:
            error.retryable = False
        return error


async def as_is(
    state: GatewayState,
    target: Target,
    cost: int,
    relay: Callable[[], Awaitable[R]],
    record: RequestRecord | None = None,
) -> R:
    """Run a same-format relay (``relay`` answers the client itself) under the provider's
    breaker and limiter. It has no retries or fallbacks: the handler relays untranslated only
    when the model has no fallbacks."""
    provider = target.provider
    record = record if record is not None else RequestRecord()
    if not await state.breaker.allow(provider):
        raise OverloadedError(
            f"provider {provider.name!r} is cooling down after repeated failures",
            retry_after=state.config.server.cooldown_seconds,
        )
    permit = await _acquire(state, provider, cost, record)
    try:
        response = await relay()
    except GatewayError as error:
        await state.breaker.record(provider, ok=error.kind not in FAILURE_KINDS)
        raise
    finally:
        await permit.release()
    status = getattr(response, "status", 200)
    if status == 429:
        record.rate_limited.append(provider.name)
    await state.breaker.record(provider, ok=status < 500 and status != 429)
    return response


async def _acquire(
    state: GatewayState, provider: ProviderConfig, cost: int, record: RequestRecord
) -> Permit:
    """The limiter's permit for one upstream attempt, its wait added to ``record``."""
    began = time.perf_counter()
    try:
        permit = await state.limiter.acquire(provider, cost)
    finally:
        record.waited(time.perf_counter() - began)
    record.attempted.append(provider.name)
    return permit


def limiter_cost(target: Target, tokens: InputTokens, max_tokens: int | None) -> int:
    """Tokens the limiter charges: estimated input + ``max_tokens``, only counted when the
    provider has a ``tpm`` (the estimate is not free)."""
    if target.provider.tpm is None:
        return 0
    return tokens.estimate + (max_tokens or 0)
