"""Clients that hang up mid-stream, and faults crosswire absorbs.

- An SDK client (anthropic, openai) that stops reading a long stream after a few events and
  closes it: the gateway hangs up on the upstream at once (the chaos upstream sees its
  request cancelled long before the 3 s answer would have ended), on translated routes and
  on the same-format relay.
- The gateway pings a stream whose upstream stalls before saying anything; the stall then
  ends in an in-stream error, not a hang.
- With ``retries = 2``, a 503 then a reset or a malformed first frame are retried away; with a
  fallback on another upstream, a stall, a 529 or a malformed first frame on the primary
  never reach the client.
About 5 s (retries wait their back-off).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import anthropic
import httpx
import openai
import pytest
from anthropic.types import Message, MessageParam
from openai.types.chat import ChatCompletionMessageParam

from tests.support.chaos_upstream import (
    UPSTREAM_KEY,
    ChaosUpstream,
    ErrorLogWatch,
    Hit,
    chaos_gateway_config,
    sse_events,
)
from tests.support.servers import Reply, ScriptedOpenAIUpstream, ThreadedApp, start_gateway

HANG_UP_WITHIN = 1.5
"""Seconds within which the upstream must see a hung-up client's request cancelled."""


@pytest.fixture(scope="module")
def chaos() -> Iterator[ChaosUpstream]:
    upstream = ChaosUpstream(stall=3.0).start()
    yield upstream
    upstream.stop()


@pytest.fixture(scope="module")
def backup() -> Iterator[ScriptedOpenAIUpstream]:
    upstream = ScriptedOpenAIUpstream().start()
    upstream.default = Reply.text("from the backup")
    yield upstream
    upstream.stop()


@pytest.fixture(scope="module")
def gateway(chaos: ChaosUpstream, backup: ScriptedOpenAIUpstream) -> Iterator[ThreadedApp]:
    fallback = f"""
[providers.backup]
type = "openai"
base_url = "{backup.base_url}"
api_key = "{UPSTREAM_KEY}"
profile = "openai"
[models.backup]
provider = "backup"
model = "backup-model"
max_context_size = 200000
[models.main]
provider = "chaos_tr"
model = "chaos-model"
max_context_size = 200000
fallbacks = ["backup"]
"""
    config = chaos_gateway_config(
        chaos, idle_timeout=0.25, ping_interval=0.1, retries=2, server="retry_budget = 1.0",
        extra=fallback,
    )  # fmt: skip
    app = start_gateway(config)
    yield app
    app.stop()


@pytest.fixture(autouse=True)
def no_gateway_errors(chaos: ChaosUpstream) -> Iterator[None]:
    chaos.queue.clear()
    with ErrorLogWatch() as watch:
        yield
    assert not watch.records


def _last_hit(chaos: ChaosUpstream, fault: str) -> Hit:
    return [hit for hit in chaos.hits if hit.fault == fault][-1]


def _hang_up_anthropic(url: str, model: str) -> None:
    client = anthropic.Anthropic(base_url=url, api_key="k", max_retries=0, timeout=5)
    with (
        client,
        client.messages.stream(
            model=model, max_tokens=64, messages=[{"role": "user", "content": "chaos:long"}]
        ) as events,
    ):
        for n, _ in enumerate(events):
            if n == 4:
                break


def _hang_up_openai(url: str, model: str) -> None:
    with openai.OpenAI(base_url=url + "/v1", api_key="k", max_retries=0, timeout=5) as client:
        stream = client.chat.completions.create(
            model=model, stream=True, messages=[{"role": "user", "content": "chaos:long"}]
        )
        for n, _ in enumerate(stream):
            if n == 4:
                break
        stream.close()


@pytest.mark.parametrize(
    ("hang_up", "model"),
    [
        (_hang_up_anthropic, "chat"),  # translated, Chat upstream
        (_hang_up_anthropic, "claude"),  # translated, Anthropic upstream
        (_hang_up_openai, "chat"),  # same-format relay
        (_hang_up_openai, "claude"),
    ],
)
def test_client_hang_up_cancels_the_upstream_request(
    gateway: ThreadedApp,
    chaos: ChaosUpstream,
    hang_up: Callable[[str, str], None],
    model: str,
) -> None:
    started = time.monotonic()
    hang_up(gateway.url, model)
    hit = _last_hit(chaos, "long")
    assert hit.ended.wait(HANG_UP_WITHIN), "the upstream request outlived its client"
    assert hit.outcome == "disconnected"
    assert time.monotonic() - started < HANG_UP_WITHIN + 0.5


def test_pinged_stream_ends_in_an_error_when_the_upstream_stalls(gateway: ThreadedApp) -> None:
    """``ping_interval`` (0.1 s) is below ``idle_timeout`` (0.25 s): the response has started
    with pings when the stall is cut off, so the error comes in the stream."""
    body = {
        "model": "chat", "max_tokens": 64, "stream": True,
        "messages": [{"role": "user", "content": "chaos:stall_first"}],
    }  # fmt: skip
    response = httpx.post(gateway.url + "/v1/messages", json=body, timeout=5)
    assert response.status_code == 200
    assert b"event: ping" in response.content
    events = sse_events(response.text)
    names = [name for name, _ in events if name != "ping"]
    assert names[-1] == "error" and "message_stop" not in names
    assert json.loads(events[-1][1])["error"]["type"] == "timeout_error"


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_retries_absorb_failures_before_the_first_byte(
    gateway: ThreadedApp, chaos: ChaosUpstream, stream: bool
) -> None:
    """A 503, then a reset mid-body (JSON) or a malformed first frame (stream), then success:
    two retries on the same upstream; the client sees only the answer."""
    second = "bad_data_first" if stream else "reset_mid"
    chaos.queue[:] = ["status_503", second]
    before = len(chaos.hits)
    messages: list[MessageParam] = [{"role": "user", "content": "hello"}]
    message: Message
    with anthropic.Anthropic(base_url=gateway.url, api_key="k", max_retries=0, timeout=10) as sdk:
        if stream:
            with sdk.messages.stream(model="chat-tr", max_tokens=64, messages=messages) as events:
                message = events.get_final_message()
        else:
            message = sdk.messages.create(model="chat-tr", max_tokens=64, messages=messages)
    block = message.content[0]
    assert block.type == "text" and block.text == "Hello from chaos"
    assert [hit.fault for hit in chaos.hits[before:]] == ["status_503", second, "ok"]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("fault", ["stall_first", "status_529", "bad_data_first"])
def test_fallback_absorbs_a_failing_primary(
    gateway: ThreadedApp, chaos: ChaosUpstream, fault: str, stream: bool
) -> None:
    """The fault marker travels to the backup too, which ignores it and answers."""
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": f"chaos:{fault}"}]
    with openai.OpenAI(base_url=gateway.url + "/v1", api_key="k", max_retries=0) as sdk:
        if stream:
            pieces = sdk.chat.completions.create(model="main", stream=True, messages=messages)
            text = "".join(p.choices[0].delta.content or "" for p in pieces if p.choices)
        else:
            answer = sdk.chat.completions.create(model="main", messages=messages)
            text = answer.choices[0].message.content or ""
    assert text == "from the backup"
    assert _last_hit(chaos, fault).stream is stream
