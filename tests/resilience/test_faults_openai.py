"""Fault injection, OpenAI Chat clients on translated routes: every chaos fault through
``POST /v1/chat/completions``, streamed and not, to an OpenAI Chat upstream with
``passthrough = false`` (``chat-tr``) and to an Anthropic upstream (``claude``).

Raw httpx checks the wire: status, OpenAI's ``{"error": {message, type, param, code}}``
envelope, ``x-should-retry``, ``Retry-After`` / ``retry-after-ms`` on 429s, and after the
stream started a ``data: {"error": …}`` frame with no ``[DONE]`` after it. The official
``openai`` SDK (``max_retries=0``) gets its answer or an ``APIError`` carrying the error type —
never a timeout or a JSON decode error. The same-format relay (``chat``) is
``test_faults_passthrough``. About 6 s.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
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
STALL = 3.0
CLIENT_TIMEOUT = 5.0
OPENAI_ERRORS = {
    "rate_limit": (429, "rate_limit_exceeded"),
    "api_error": (500, "server_error"),
    "bad_gateway": (502, "server_error"),
    "overloaded": (503, "server_error"),
    "timeout": (504, "server_error"),
}
"""Canonical kind -> (HTTP status, ``error.type``) an OpenAI client must see."""
UPSTREAM_FORMAT = {"chat-tr": "openai", "claude": "anthropic"}
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
    with ErrorLogWatch() as watch:
        yield
    assert not watch.records


def _body(model: str, fault: str, stream: bool) -> dict[str, Any]:
    return {
        "model": model, "stream": stream,
        "messages": [{"role": "user", "content": f"say hello chaos:{fault}"}],
    }  # fmt: skip


@pytest.mark.parametrize("model", ["chat-tr", "claude"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("fault", TESTED)
def test_wire(gateway: ThreadedApp, fault: str, stream: bool, model: str) -> None:
    expected = translated_outcome(fault, stream, UPSTREAM_FORMAT[model])
    started = time.monotonic()
    response = httpx.post(
        gateway.url + "/v1/chat/completions",
        json=_body(model, fault, stream),
        headers={"authorization": "Bearer client-key"},
        timeout=CLIENT_TIMEOUT,
    )
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
        choices = response.json()["choices"]
        assert choices[0]["message"]["content"] in ("Hello from chaos", None, "")
        return
    frames = [data for _, data in sse_events(response.text)]
    assert frames[-1] == "[DONE]"
    chunks = [json.loads(data) for data in frames[:-1]]
    assert not any("error" in c for c in chunks)
    deltas = [c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]]
    assert "".join(deltas) == "Hello from chaos"
    assert any(c["choices"] and c["choices"][0]["finish_reason"] == "stop" for c in chunks)


def _check_http_error(response: httpx.Response, expected: Outcome, fault: str) -> None:
    assert expected.kind is not None
    status, etype = OPENAI_ERRORS[expected.kind]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["type"] == etype and error["message"], error
    assert set(error) == {"message", "type", "param", "code"}
    assert response.headers["x-should-retry"] == "true"
    assert response.headers["x-request-id"].startswith("req_")
    if fault == "status_429":
        assert response.headers["retry-after"] == "1"
        assert response.headers["retry-after-ms"] == "1000"
    else:
        assert "retry-after" not in response.headers


def _check_stream_error(response: httpx.Response, expected: Outcome) -> None:
    assert expected.kind is not None
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = [data for _, data in sse_events(response.text)]
    assert "[DONE]" not in frames
    first, last = json.loads(frames[0]), json.loads(frames[-1])
    assert first["object"] == "chat.completion.chunk"
    assert last["error"]["type"] == OPENAI_ERRORS[expected.kind][1] and last["error"]["message"]


@pytest.fixture(scope="module")
def client(gateway: ThreadedApp) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=gateway.url + "/v1", api_key="client-key", max_retries=0, timeout=CLIENT_TIMEOUT
    ) as sdk:
        yield sdk


def _ask(client: openai.OpenAI, fault: str, stream: bool) -> str:
    kwargs = _body("chat-tr", fault, stream)
    if not stream:
        return client.chat.completions.create(**kwargs).choices[0].message.content or ""
    pieces = []
    for piece in client.chat.completions.create(**kwargs):
        if piece.choices and piece.choices[0].delta.content:
            pieces.append(piece.choices[0].delta.content)
    return "".join(pieces)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("fault", TESTED)
def test_sdk(client: openai.OpenAI, fault: str, stream: bool) -> None:
    expected = translated_outcome(fault, stream, "openai")
    if expected.kind is None:
        assert _ask(client, fault, stream) == "Hello from chaos"
        return
    with pytest.raises(openai.APIError) as caught:
        _ask(client, fault, stream)
    status, etype = OPENAI_ERRORS[expected.kind]
    body = caught.value.body
    assert isinstance(body, dict) and body["type"] == etype, body
    if expected.in_stream:
        assert not isinstance(caught.value, openai.APIStatusError)
    else:
        assert isinstance(caught.value, openai.APIStatusError)
        assert caught.value.status_code == status
