"""Upstream and client errors reach Anthropic clients in Anthropic's shape, with the status
codes and retry hints the SDK acts on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2 as httpx
import pytest

from tests.support.servers import (
    Reply,
    ScriptedOpenAIUpstream,
    ThreadedApp,
    chunk,
    free_port,
    openai_gateway_config,
    start_gateway,
)

from ._helpers import (
    ANTHROPIC_HEADERS,
    MODEL,
    assert_anthropic_error,
    event_names,
    raw_stream,
)

REQUEST: dict[str, Any] = {
    "model": MODEL,
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "hi"}],
}


def _call(client: anthropic.Anthropic, streamed: bool) -> Any:
    if streamed:
        with client.messages.stream(**REQUEST) as stream:
            return stream.get_final_message()
    return client.messages.create(**REQUEST)


def _error(status: int, message: str, code: str | None = None, **headers: str) -> Reply:
    error = {"message": message, "type": code or "error", "code": code}
    return Reply(status=status, json_body={"error": error}, headers=headers)


@pytest.mark.parametrize("streamed", [False, True], ids=["create", "stream"])
def test_rate_limit_with_retry_after(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream, streamed: bool
) -> None:
    upstream.reset(_error(429, "Rate limit reached", "rate_limit_exceeded", **{"retry-after": "7"}))

    with pytest.raises(anthropic.RateLimitError) as caught:
        _call(client, streamed)

    error = caught.value
    assert error.status_code == 429
    assert error.response.headers["retry-after"] == "7"
    assert error.response.headers["x-should-retry"] == "true"
    assert error.request_id and error.request_id.startswith("req_")
    assert isinstance(error.body, dict)
    assert error.body["type"] == "error"
    assert error.body["error"]["type"] == "rate_limit_error"
    assert "Rate limit reached" in error.body["error"]["message"]
    assert len(upstream.requests) == 1  # the gateway does not retry on its own


def test_insufficient_quota_is_not_retryable(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    upstream.reset(_error(429, "You exceeded your current quota", "insufficient_quota"))

    with pytest.raises(anthropic.RateLimitError) as caught:
        client.messages.create(**REQUEST)

    assert caught.value.status_code == 429
    assert caught.value.response.headers["x-should-retry"] == "false"
    assert caught.value.body["error"]["type"] == "rate_limit_error"
    assert len(upstream.requests) == 1


def test_sdk_with_retries_honours_x_should_retry_false(
    gateway: ThreadedApp, upstream: ScriptedOpenAIUpstream
) -> None:
    """No retry storms: a retrying SDK stops at once when the gateway says not to retry."""
    upstream.reset(*[_error(429, "quota exceeded", "insufficient_quota")] * 3)
    retrying = anthropic.Anthropic(base_url=gateway.url, api_key="client-key", max_retries=2)

    with pytest.raises(anthropic.RateLimitError):
        retrying.messages.create(**REQUEST)

    assert len(upstream.requests) == 1


@pytest.mark.parametrize("streamed", [False, True], ids=["create", "stream"])
def test_upstream_400_is_bad_request(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream, streamed: bool
) -> None:
    upstream.reset(_error(400, "Invalid value for 'max_tokens'", "invalid_request_error"))

    with pytest.raises(anthropic.BadRequestError) as caught:
        _call(client, streamed)

    assert caught.value.status_code == 400
    assert caught.value.body["error"]["type"] == "invalid_request_error"
    assert "max_tokens" in caught.value.body["error"]["message"]
    assert caught.value.response.headers["x-should-retry"] == "false"
    assert len(upstream.requests) == 1


def test_upstream_context_length_is_bad_request(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    upstream.reset(
        _error(400, "This model's maximum context length is 8192 tokens", "context_length_exceeded")
    )

    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(**REQUEST)

    assert caught.value.body["error"]["type"] == "invalid_request_error"
    assert "context length" in caught.value.body["error"]["message"]


@pytest.mark.parametrize(
    ("upstream_status", "status", "error_type", "sdk_error"),
    [
        (500, 500, "api_error", anthropic.InternalServerError),
        (503, 529, "overloaded_error", anthropic.OverloadedError),
    ],
)
def test_upstream_server_errors(
    client: anthropic.Anthropic,
    upstream: ScriptedOpenAIUpstream,
    upstream_status: int,
    status: int,
    error_type: str,
    sdk_error: type[anthropic.APIStatusError],
) -> None:
    upstream.reset(_error(upstream_status, "upstream trouble"))

    with pytest.raises(sdk_error) as caught:
        client.messages.create(**REQUEST)

    assert caught.value.status_code == status
    assert caught.value.body["error"]["type"] == error_type
    assert caught.value.response.headers["x-should-retry"] == "true"
    assert len(upstream.requests) == 1


@pytest.fixture(scope="module")
def dead_upstream_gateway() -> Iterator[ThreadedApp]:
    """A gateway whose upstream is a closed port."""
    app = start_gateway(openai_gateway_config(f"http://127.0.0.1:{free_port()}/v1"))
    yield app
    app.stop()


@pytest.mark.parametrize("streamed", [False, True], ids=["create", "stream"])
def test_upstream_unreachable(dead_upstream_gateway: ThreadedApp, streamed: bool) -> None:
    client = anthropic.Anthropic(
        base_url=dead_upstream_gateway.url, api_key="client-key", max_retries=0
    )

    with pytest.raises(anthropic.InternalServerError) as caught:
        _call(client, streamed)

    assert caught.value.status_code == 502
    assert caught.value.body["type"] == "error"
    assert caught.value.body["error"]["type"] == "api_error"
    assert "127.0.0.1" in caught.value.body["error"]["message"]
    assert caught.value.response.headers["x-should-retry"] == "true"


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"", b'{"model": "x", "messages": [', b"\xff\xfe"],
    ids=["garbage", "empty", "truncated", "binary"],
)
def test_malformed_json_is_400(
    raw: httpx.Client, upstream: ScriptedOpenAIUpstream, content: bytes
) -> None:
    response = raw.post("/v1/messages", content=content, headers=ANTHROPIC_HEADERS)

    body = assert_anthropic_error(response, 400, "invalid_request_error")
    assert body["request_id"].startswith("req_")
    assert upstream.requests == []


@pytest.mark.parametrize(
    "payload",
    [
        [1, 2, 3],
        "just a string",
        {"max_tokens": 10, "messages": []},
        {"model": MODEL, "max_tokens": 10, "messages": "hi"},
        {"model": MODEL, "max_tokens": 10, "messages": [{"role": "robot", "content": "x"}]},
        {"model": MODEL, "max_tokens": "lots", "messages": [{"role": "user", "content": "x"}]},
        {"model": MODEL, "max_tokens": 10, "messages": [{"role": "user", "content": 5}]},
        {
            "model": MODEL,
            "max_tokens": 10,
            "messages": [{"role": "user", "content": "x"}],
            "thinking": {"type": "sometimes"},
        },
    ],
    ids=[
        "array",
        "string",
        "no-model",
        "messages-not-list",
        "bad-role",
        "max-tokens-string",
        "content-number",
        "bad-thinking",
    ],
)
def test_wrong_shape_is_400(
    raw: httpx.Client, upstream: ScriptedOpenAIUpstream, payload: Any
) -> None:
    response = raw.post("/v1/messages", json=payload, headers=ANTHROPIC_HEADERS)

    assert_anthropic_error(response, 400, "invalid_request_error")
    assert upstream.requests == []


def test_wrong_shape_through_sdk_is_bad_request(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(
            model=MODEL, max_tokens=10, messages=[{"role": "robot", "content": "beep"}]
        )

    assert caught.value.status_code == 400
    assert caught.value.body["error"]["type"] == "invalid_request_error"
    assert "role" in caught.value.body["error"]["message"]
    assert upstream.requests == []


def _error_frame_mid_stream() -> Reply:
    return Reply(
        chunks=[
            chunk({"role": "assistant", "content": ""}),
            chunk({"content": "partial "}),
            chunk({"content": "answer"}),
            {"error": {"message": "model crashed", "type": "server_error"}},
        ],
        done=False,
    )


def _cut_stream() -> Reply:
    """The upstream closes the stream without ``finish_reason`` or ``[DONE]``."""
    return Reply(
        chunks=[chunk({"role": "assistant", "content": ""}), chunk({"content": "partial answer"})],
        done=False,
    )


@pytest.mark.parametrize("make_reply", [_error_frame_mid_stream, _cut_stream])
def test_stream_failure_after_start(
    client: anthropic.Anthropic,
    raw: httpx.Client,
    upstream: ScriptedOpenAIUpstream,
    make_reply: Any,
) -> None:
    upstream.reset(make_reply(), make_reply())

    received: list[str] = []
    with (
        pytest.raises(anthropic.APIStatusError) as caught,
        client.messages.stream(**REQUEST) as stream,
    ):
        received.extend(stream.text_stream)
    response, frames = raw_stream(raw, REQUEST)

    assert "".join(received) == "partial answer"
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["type"] == "error"
    assert caught.value.body["error"]["type"] == "api_error"

    assert response.status_code == 200  # the stream had started: the error is in-band
    names = event_names(frames)
    assert names[0] == "message_start"
    assert names[-1] == "error"
    assert "message_stop" not in names and "message_delta" not in names
    error = frames[-1][1]
    assert error["type"] == "error" and error["error"]["type"] == "api_error"
    assert len(upstream.requests) == 2


def test_error_frame_before_content_is_an_http_error(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    """An upstream that fails in its first frame: the client gets a plain HTTP error it can
    retry, not a 200 stream that dies at once."""
    upstream.reset(
        Reply(chunks=[{"error": {"message": "no capacity", "type": "server_error"}}], done=False)
    )

    with pytest.raises(anthropic.APIStatusError) as caught:
        _call(client, streamed=True)

    assert caught.value.status_code == 500  # mapped by its type: server_error
    assert caught.value.body["error"]["type"] == "api_error"
    assert "no capacity" in caught.value.body["error"]["message"]
    assert len(upstream.requests) == 1


@pytest.mark.parametrize(
    ("streamed", "error", "status", "error_type"),
    [
        pytest.param(
            True,
            {"message": "boom", "type": "server_error"},
            (500, 502),
            "api_error",
            id="stream-server_error",
        ),
        pytest.param(
            False,
            {"message": "boom", "type": "server_error"},
            (500, 502),
            "api_error",
            id="create-server_error",
        ),
        pytest.param(
            False,
            {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"},
            (429,),
            "rate_limit_error",
            id="create-rate_limit_exceeded",
        ),
        pytest.param(
            True,
            {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"},
            (429,),
            "rate_limit_error",
            id="stream-rate_limit_exceeded",
        ),
        pytest.param(
            True,
            {"message": "Provider returned error", "code": 429},  # OpenRouter: HTTP code
            (429,),
            "rate_limit_error",
            id="stream-numeric-429",
        ),
    ],
)
def test_error_body_after_http_200_mapped_by_its_type(
    client: anthropic.Anthropic,
    upstream: ScriptedOpenAIUpstream,
    streamed: bool,
    error: dict[str, Any],
    status: tuple[int, ...],
    error_type: str,
) -> None:
    """protocols.md §1.9/§2.5: after a 200 the status says nothing; map the error's own
    type/code (server_error → 5xx retryable, rate_limit_exceeded → 429)."""
    upstream.reset(
        Reply(chunks=[{"error": error}], done=False)
        if streamed
        else Reply(json_body={"error": error})
    )

    with pytest.raises(anthropic.APIStatusError) as caught:
        _call(client, streamed)

    assert caught.value.status_code in status
    assert caught.value.body["error"]["type"] == error_type
    assert caught.value.response.headers["x-should-retry"] == "true"
    assert len(upstream.requests) == 1
