"""Every permit the dispatcher takes is given back: after a whole answer, after a stream ends,
after failed attempts that were retried or fell back, and when the client goes away in the
middle of a stream. The limiter here only counts permits (the dispatcher is under test).

Real time: about 1 s (a slow stream the client walks away from, and back-off sleeps).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx2 as httpx
import pytest

from crosswire.config import ProviderConfig
from crosswire.server.state import STATE
from tests.resilience.dispatch_support import Upstreams, gateway_for
from tests.support.servers import Reply, ScriptedOpenAIUpstream, ThreadedApp, chunk
from tests.support.upstreams import AnthropicUpstream


@dataclass
class CountingLimiter:
    """Lets everything through and counts permits taken and given back."""

    taken: int = 0
    released: int = 0

    async def acquire(self, provider: ProviderConfig, tokens: int) -> CountingLimiter.Permit:
        self.taken += 1
        return CountingLimiter.Permit(self)

    async def close(self) -> None:
        return None

    @dataclass
    class Permit:
        limiter: CountingLimiter
        done: bool = False

        async def release(self) -> None:
            assert not self.done, "permit released twice"
            self.done = True
            self.limiter.released += 1


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
def counted(servers: Upstreams) -> Iterator[tuple[Upstreams, ThreadedApp, CountingLimiter]]:
    servers.primary.reset()
    servers.backup.reset()
    limiter = CountingLimiter()
    with gateway_for(servers, retries=2, retry_budget=1.0) as app:
        app.app[STATE].limiter = limiter
        yield servers, app, limiter


def _body(stream: bool) -> dict[str, object]:
    return {
        "model": "main", "max_tokens": 50, "stream": stream,
        "messages": [{"role": "user", "content": "hi"}],
    }  # fmt: skip


def _settled(limiter: CountingLimiter, taken: int) -> None:
    deadline = time.monotonic() + 5
    while limiter.released < taken and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (limiter.taken, limiter.released) == (taken, taken)


def _error(status: int) -> Reply:
    return Reply(status=status, json_body={"error": {"message": "no", "type": "server_error"}})


STREAM = Reply(chunks=[chunk({"content": "ok"}), chunk({}, finish_reason="stop")])


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_permits_come_back_after_retries_and_fallbacks(
    counted: tuple[Upstreams, ThreadedApp, CountingLimiter], stream: bool
) -> None:
    ups, app, limiter = counted
    ups.primary.reset(_error(503), _error(503), _error(503))  # first try + 2 retries
    ups.backup.reset(STREAM if stream else Reply.text("ok"))
    answer = httpx.post(f"{app.url}/v1/messages", json=_body(stream), timeout=20)
    assert answer.status_code == 200, answer.text
    _settled(limiter, 4)


def test_permit_comes_back_when_the_client_leaves_mid_stream(
    counted: tuple[Upstreams, ThreadedApp, CountingLimiter],
) -> None:
    ups, app, limiter = counted
    chunks = [chunk({"content": f"part {i} "}) for i in range(20)]
    ups.primary.reset(Reply(chunks=chunks, delay=0.1))
    with (
        httpx.Client(timeout=20) as client,
        client.stream("POST", f"{app.url}/v1/messages", json=_body(True)) as answer,
    ):
        for line in answer.iter_lines():
            if "part 0" in line:
                break  # the client walks away
    assert ups.primary.requests[0].ended.wait(5)
    assert ups.primary.requests[0].outcome == "disconnected"
    _settled(limiter, 1)


def test_untranslated_relay_takes_a_permit_too(servers: Upstreams) -> None:
    """A Chat Completions client on a plain OpenAI upstream is relayed as is (no fallbacks
    configured): it still goes through the limiter."""
    servers.primary.reset(Reply.text("as is"))
    limiter = CountingLimiter()
    with gateway_for(servers, fallbacks="[]") as app:
        app.app[STATE].limiter = limiter
        body = {"model": "main", "messages": [{"role": "user", "content": "hi"}]}
        answer = httpx.post(f"{app.url}/v1/chat/completions", json=body, timeout=20)
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-crosswire-passthrough"] == "1"
    _settled(limiter, 1)
