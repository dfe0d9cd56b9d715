"""Fault injection on the same-format relay: OpenAI Chat clients on the ``chat`` route, whose
bodies and answers cross crosswire untranslated (``x-crosswire-passthrough: 1``).

Upstream error statuses are relayed with the upstream's own envelope plus ``x-should-retry``
(and ``Retry-After`` on a 429); stalls and resets become a 504/502 in OpenAI's envelope
before the answer started, or a ``data: {"error": …}`` frame after; a 200 whose body is not
JSON is a 502, and a stream that ends without ``[DONE]`` ends with an error frame. A known
limit stays marked ``xfail(strict=True)``: a malformed ``data:`` line inside an otherwise
relayed stream reaches the client as the upstream sent it (the relay passes bytes through
without decoding them). About 3 s.
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
    ChaosUpstream,
    ErrorLogWatch,
    chaos_gateway_config,
    sse_events,
)
from tests.support.servers import ThreadedApp, start_gateway

IDLE = 0.2
STALL = 3.0
CLIENT_TIMEOUT = 5.0

KNOWN_LIMIT = (
    "known limit: the same-format relay passes stream bytes through undecoded, so a malformed "
    "data: line reaches the client as the upstream sent it (translated routes end such "
    "streams with an error frame)"
)


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


@pytest.fixture(scope="module")
def client(gateway: ThreadedApp) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=gateway.url + "/v1", api_key="client-key", max_retries=0, timeout=CLIENT_TIMEOUT
    ) as sdk:
        yield sdk


def _body(fault: str, stream: bool) -> dict[str, Any]:
    return {
        "model": "chat", "stream": stream,
        "messages": [{"role": "user", "content": f"say hello chaos:{fault}"}],
    }  # fmt: skip


def _post(gateway: ThreadedApp, fault: str, stream: bool) -> httpx.Response:
    started = time.monotonic()
    response = httpx.post(
        gateway.url + "/v1/chat/completions", json=_body(fault, stream), timeout=CLIENT_TIMEOUT
    )
    assert time.monotonic() - started < STALL - 1, "the gateway waited for the stall to end"
    assert "Traceback" not in response.text
    return response


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ("status_429", 429), ("status_429_bare", 429), ("status_500", 500),
        ("status_502", 502), ("status_503", 503),
        ("status_529", 503),  # OpenAI clients do not know 529: 503, as on translated routes
    ],
)  # fmt: skip
def test_upstream_status_relayed(
    gateway: ThreadedApp, fault: str, status: int, stream: bool
) -> None:
    response = _post(gateway, fault, stream)
    assert response.status_code == status
    assert response.headers["x-crosswire-passthrough"] == "1"
    upstream_status = fault.removeprefix("status_").removesuffix("_bare")
    assert response.json()["error"]["message"] == f"chaos upstream says {upstream_status}"
    assert response.headers["x-should-retry"] == "true"
    assert response.headers.get("retry-after") == ("1" if fault == "status_429" else None)


@pytest.mark.parametrize(
    ("fault", "stream", "status", "code"),
    [
        ("stall_first", False, 504, "timeout"),
        ("stall_first", True, 504, "timeout"),
        ("stall_body", False, 504, "timeout"),
        ("stall_body", True, 200, "timeout"),  # the relay starts once the headers are in
        ("stall_mid", False, 504, "timeout"),
        ("stall_mid", True, 200, "timeout"),
        ("reset_mid", False, 502, "bad_gateway"),
        ("reset_mid", True, 200, "bad_gateway"),
    ],
)
def test_stall_and_reset(
    gateway: ThreadedApp, client: openai.OpenAI, fault: str, stream: bool, status: int, code: str
) -> None:
    response = _post(gateway, fault, stream)
    assert response.status_code == status
    if status != 200:
        assert response.json()["error"]["code"] == code
        assert response.headers["x-should-retry"] == "true"
    else:
        frames = [data for _, data in sse_events(response.text)]
        assert "[DONE]" not in frames
        assert json.loads(frames[-1])["error"]["code"] == code
    with pytest.raises(openai.APIError) as caught:  # and the SDK says so
        _ask(client, fault, stream)
    assert isinstance(caught.value.body, dict) and caught.value.body["code"] == code


def _ask(client: openai.OpenAI, fault: str, stream: bool) -> str:
    if not stream:
        answer = client.chat.completions.create(**_body(fault, False))
        return answer.choices[0].message.content or ""
    pieces = []
    for piece in client.chat.completions.create(**_body(fault, True)):
        if piece.choices and piece.choices[0].delta.content:
            pieces.append(piece.choices[0].delta.content)
    return "".join(pieces)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_answers(client: openai.OpenAI, stream: bool) -> None:
    assert _ask(client, "ok", stream) == "Hello from chaos"


def test_garbage_lines_relayed_verbatim(gateway: ThreadedApp) -> None:
    """Non-SSE lines, comments and ``id:``/``retry:``-only events reach the client as sent and
    the stream still ends with ``[DONE]`` (the openai SDK itself chokes on a data-less event,
    which the SSE spec says to ignore, so this is checked on the wire)."""
    response = _post(gateway, "garbage_lines", True)
    assert response.status_code == 200
    assert b"this line is not sse at all" in response.content
    frames = [data for _, data in sse_events(response.text)]
    assert frames[-1] == "[DONE]"
    chunks = [json.loads(data)["choices"] for data in frames[:-1]]
    text = "".join(c[0]["delta"].get("content") or "" for c in chunks if c)
    assert text == "Hello from chaos"


@pytest.mark.parametrize("fault", ["truncated_json", "bad_data", "garbage_lines"])
def test_non_json_answer_is_a_502(gateway: ThreadedApp, fault: str) -> None:
    response = _post(gateway, fault, False)
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "bad_gateway"


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(f, marks=pytest.mark.xfail(strict=True, reason=KNOWN_LIMIT))
        for f in ("bad_data_first", "bad_data", "truncated_json")
    ]
    + ["no_done"],
)
def test_malformed_stream_ends_in_an_error(client: openai.OpenAI, fault: str) -> None:
    with pytest.raises(openai.APIError):
        _ask(client, fault, True)
