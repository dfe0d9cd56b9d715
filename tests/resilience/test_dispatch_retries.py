"""Retries without amplification: counted upstream attempts (two retries, then success),
``Retry-After`` honoured (measured), an exhausted quota never retried, ``x-should-retry:
false`` on a final failure after retries, and the retry budget holding a storm of failing
requests to ``reserve + retry_budget x requests`` retries.

Real time: back-off sleeps (0.125-1 s each, a few per test) and one 0.3 s Retry-After; the
module takes about 5 s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import pytest

from crosswire.server.retry_policy import (
    BACKOFF_BASE,
    BUDGET_RESERVE,
    MAX_RETRY_AFTER,
    RetryBudget,
    backoff,
)
from tests.resilience.dispatch_support import Upstreams, gateway_for
from tests.support.servers import Reply, ScriptedOpenAIUpstream, chunk
from tests.support.upstreams import AnthropicUpstream


@pytest.fixture(scope="module")
def servers() -> Iterator[Upstreams]:
    ups = Upstreams(
        ScriptedOpenAIUpstream().start(),
        ScriptedOpenAIUpstream().start(),
        AnthropicUpstream().start(),  # type: ignore[arg-type]
    )
    yield ups
    for server in (ups.primary, ups.backup, ups.claude):
        server.stop()


@pytest.fixture
def ups(servers: Upstreams) -> Iterator[Upstreams]:
    servers.primary.reset()
    servers.backup.reset()
    yield servers


def _error(status: int, kind: str = "server_error", **headers: str) -> Reply:
    body = {"error": {"message": f"upstream says {status}", "type": kind, "code": kind}}
    return Reply(status=status, json_body=body, headers=headers)


def _timed(reply: Reply, stamps: list[float]) -> Callable[[Any], Reply]:
    def answer(body: Any) -> Reply:
        stamps.append(time.monotonic())
        return reply

    return answer


def _client(url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=url, api_key="client-key", max_retries=0, timeout=20)


def _ask(client: anthropic.Anthropic, stream: bool = False) -> str:
    kwargs: dict[str, Any] = {
        "model": "main", "max_tokens": 100,
        "messages": [{"role": "user", "content": "hi"}],
    }  # fmt: skip
    if stream:
        with client.messages.stream(**kwargs) as events:
            message = events.get_final_message()
    else:
        message = client.messages.create(**kwargs)
    block = message.content[0]
    assert block.type == "text"
    return block.text


RETRYING: dict[str, Any] = {"fallbacks": "[]", "retries": 2, "retry_budget": 1.0}


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_two_retries_then_success(ups: Upstreams, stream: bool) -> None:
    ok = Reply(chunks=[chunk({"content": "third time"}), chunk({}, finish_reason="stop")])
    ups.primary.reset(_error(503), _error(500), ok if stream else Reply.text("third time"))
    with gateway_for(ups, **RETRYING) as app:
        assert _ask(_client(app.url), stream) == "third time"
    assert len(ups.primary.requests) == 3


def test_retry_after_is_honoured(ups: Upstreams) -> None:
    stamps: list[float] = []
    limited = _error(429, "rate_limit_exceeded", **{"retry-after-ms": "300"})
    ups.primary.reset(_timed(limited, stamps), _timed(Reply.text("patient"), stamps))
    with gateway_for(ups, **RETRYING) as app:
        assert _ask(_client(app.url)) == "patient"
    assert len(stamps) == 2
    assert stamps[1] - stamps[0] >= 0.3


def test_quota_exhausted_is_not_retried(ups: Upstreams) -> None:
    ups.primary.reset(_error(429, "insufficient_quota"))
    with gateway_for(ups, **RETRYING) as app, pytest.raises(anthropic.RateLimitError) as caught:
        _ask(_client(app.url))
    assert len(ups.primary.requests) == 1
    assert caught.value.response.headers["x-should-retry"] == "false"


def test_final_failure_says_do_not_retry(ups: Upstreams) -> None:
    limited = _error(429, "rate_limit_exceeded", **{"retry-after": "0.2"})
    ups.primary.reset(limited, limited, limited)
    with gateway_for(ups, **RETRYING) as app, pytest.raises(anthropic.RateLimitError) as caught:
        _ask(_client(app.url))
    assert len(ups.primary.requests) == 3  # the first try and two retries
    headers = caught.value.response.headers
    assert headers["x-should-retry"] == "false"
    assert headers["retry-after"] == "1"  # kept (rounded up to whole seconds)
    assert headers["retry-after-ms"] == "200"


def test_without_retries_the_client_may_retry(ups: Upstreams) -> None:
    ups.primary.reset(_error(503))
    no_retries = gateway_for(ups, fallbacks="[]")  # retries = 0
    with no_retries as app, pytest.raises(anthropic.APIStatusError) as caught:
        _ask(_client(app.url))
    assert caught.value.response.headers["x-should-retry"] == "true"


def test_budget_stops_a_storm(ups: Upstreams) -> None:
    """40 requests to an upstream that always fails, 8 at a time: with retries = 2 unbudgeted
    that is 120 upstream calls; the budget (0.1 per request) allows 40 + 3 + 4 at most."""
    ups.primary.default = _error(503)
    requests, ratio = 40, 0.1
    try:
        with gateway_for(ups, fallbacks="[]", retries=2, retry_budget=ratio) as app:
            client = _client(app.url)
            failures: list[int] = []

            def one() -> None:
                try:
                    _ask(client)
                except anthropic.APIStatusError as exc:
                    failures.append(exc.status_code)

            for _ in range(requests // 8):
                threads = [threading.Thread(target=one) for _ in range(8)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(30)
    finally:
        ups.primary.default = Reply.text("default reply")
    assert len(failures) == requests
    retries = len(ups.primary.requests) - requests
    assert 0 < retries <= BUDGET_RESERVE + ratio * requests


# --- the policy in isolation --------------------------------------------------------------


def test_backoff_is_jittered_exponential_and_honours_retry_after() -> None:
    for retry in range(4):
        wait = backoff(retry, None)
        assert wait is not None
        assert BACKOFF_BASE * 2**retry * 0.5 <= wait <= BACKOFF_BASE * 2**retry
    assert backoff(0, 2.5) == 2.5
    assert backoff(0, MAX_RETRY_AFTER + 1) is None


def test_budget_refills_per_request() -> None:
    budget = RetryBudget(0.5, reserve=2)
    assert budget.withdraw("p") and budget.withdraw("p")
    assert not budget.withdraw("p")
    budget.deposit("p")
    assert not budget.withdraw("p")
    budget.deposit("p")
    assert budget.withdraw("p")
    assert budget.withdraw("q")  # per provider
    assert not RetryBudget(0.0).withdraw("p")  # retry_budget = 0: no retries at all
