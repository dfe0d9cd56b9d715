"""Fault injection, Anthropic clients: every chaos fault (see ``tests/support/chaos_upstream``)
through ``POST /v1/messages``, streamed and not, on the two translated routes — to an OpenAI
Chat upstream (``chat``) and to an Anthropic upstream (``claude``).

Raw httpx checks the wire: status, the Anthropic envelope, ``x-should-retry``, ``Retry-After``
on 429s, ``event: error`` (and no ``message_stop``) after the stream started, no traceback.
The official ``anthropic`` SDK (``max_retries=0``) shows what an agent gets: its answer, or an
``APIStatusError`` with the right status and error type — never a timeout or a broken
connection. Each request must end well before the upstream's stall does (no hang).

The gateway has ``retries = 0`` and no cooldown, so every fault reaches the client unmasked;
``test_faults_recovery`` shows retries and fallbacks absorbing them. About 6 s (stalls end at
the gateway's 0.3 s ``idle_timeout``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import pytest

from tests.support.chaos_upstream import (
    FAULTS,
    ChaosUpstream,
    ErrorLogWatch,
    Outcome,
    chaos_gateway_config,
    sse_events,
    translated_outcome,
)
from tests.support.servers import ThreadedApp, start_gateway

IDLE = 0.2
"""The gateway's ``idle_timeout``: a stall is cut off after this long."""
STALL = 3.0
"""How long the chaos upstream stalls; a client waiting this long means the gateway hung."""
CLIENT_TIMEOUT = 5.0
HEADERS = {"anthropic-version": "2023-06-01", "x-api-key": "client-key"}
ANTHROPIC_ERRORS = {
    "rate_limit": (429, "rate_limit_error"),
    "api_error": (500, "api_error"),
    "bad_gateway": (502, "api_error"),
    "overloaded": (529, "overloaded_error"),
    "timeout": (504, "timeout_error"),
}
"""Canonical kind -> (HTTP status, ``error.type``) an Anthropic client must see."""
UPSTREAM_FORMAT = {"chat": "openai", "claude": "anthropic"}
TESTED = [fault for fault in FAULTS if fault != "long"]


@pytest.fixture(scope="module")
def gateway() -> Iterator[ThreadedApp]:
    chaos = ChaosUpstream(stall=STALL).start()
    app = start_gateway(chaos_gateway_config(chaos, idle_timeout=IDLE))
    yield app
    app.stop()
    chaos.stop()


@pytest.fixture(autouse=True)
def no_gateway_errors() -> Iterator[None]:
    """No unexpected exception (``log.exception``: a would-be 500 with traceback) anywhere."""
    with ErrorLogWatch() as watch:
        yield
    assert not watch.records


def _body(model: str, fault: str, stream: bool) -> dict[str, Any]:
    return {
        "model": model, "max_tokens": 64, "stream": stream,
        "messages": [{"role": "user", "content": f"say hello chaos:{fault}"}],
    }  # fmt: skip


@pytest.mark.parametrize("model", ["chat", "claude"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("fault", TESTED)
def test_wire(gateway: ThreadedApp, fault: str, stream: bool, model: str) -> None:
    expected = translated_outcome(fault, stream, UPSTREAM_FORMAT[model])
    started = time.monotonic()
    response = httpx.post(
        gateway.url + "/v1/messages",
        json=_body(model, fault, stream),
        headers=HEADERS,
        timeout=CLIENT_TIMEOUT,
    )  # reads to the end: a stream that never ends times out here
    assert time.monotonic() - started < STALL - 1, "the gateway waited for the stall to end"
    assert "Traceback" not in response.text
    if expected.kind is None:
        _check_answer(response, stream)
    elif expected.in_stream:
        _check_stream_error(response, expected)
    else:
        _check_http_error(response, expected, fault)


def _check_answer(response: httpx.Response, stream: bool) -> None:
    assert response.status_code == 200, response.text
    if not stream:
        message = response.json()
        assert message["type"] == "message"
        assert "".join(b["text"] for b in message["content"]) in ("Hello from chaos", "")
        return
    events = sse_events(response.text)
    names = [name for name, _ in events]
    assert names[0] == "message_start" and names[-1] == "message_stop", names
    assert "error" not in names
    deltas = [json.loads(data)["delta"] for name, data in events if name == "content_block_delta"]
    assert "".join(d["text"] for d in deltas) == "Hello from chaos"


def _check_http_error(response: httpx.Response, expected: Outcome, fault: str) -> None:
    assert expected.kind is not None
    status, etype = ANTHROPIC_ERRORS[expected.kind]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] == etype, body
    assert body["error"]["message"] and body["request_id"] == response.headers["request-id"]
    assert response.headers["x-should-retry"] == "true"  # crosswire did not retry (retries=0)
    if fault == "status_429":
        assert response.headers["retry-after"] == "1"
        assert response.headers["retry-after-ms"] == "1000"
    else:
        assert "retry-after" not in response.headers


def _check_stream_error(response: httpx.Response, expected: Outcome) -> None:
    assert expected.kind is not None
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    names = [name for name, _ in events]
    assert names[0] == "message_start" and names[-1] == "error", names
    assert "message_stop" not in names
    error = json.loads(events[-1][1])
    assert error["type"] == "error" and error["error"]["message"]
    assert error["error"]["type"] == ANTHROPIC_ERRORS[expected.kind][1], error


@pytest.fixture(scope="module")
def client(gateway: ThreadedApp) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(
        base_url=gateway.url, api_key="client-key", max_retries=0, timeout=CLIENT_TIMEOUT
    ) as sdk:
        yield sdk


def _ask(client: anthropic.Anthropic, fault: str, stream: bool) -> str:
    kwargs = _body("chat", fault, stream)
    del kwargs["stream"]
    if stream:
        with client.messages.stream(**kwargs) as events:
            message = events.get_final_message()
    else:
        message = client.messages.create(**kwargs)
    return "".join(block.text for block in message.content if block.type == "text")


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("fault", TESTED)
def test_sdk(client: anthropic.Anthropic, fault: str, stream: bool) -> None:
    expected = translated_outcome(fault, stream, "openai")
    if expected.kind is None:
        assert _ask(client, fault, stream) == "Hello from chaos"
        return
    with pytest.raises(anthropic.APIStatusError) as caught:
        _ask(client, fault, stream)
    status, etype = ANTHROPIC_ERRORS[expected.kind]
    assert caught.value.status_code == (200 if expected.in_stream else status)
    body = caught.value.body
    assert isinstance(body, dict) and body["error"]["type"] == etype, body
    if fault.startswith("status_429"):
        assert isinstance(caught.value, anthropic.RateLimitError)
