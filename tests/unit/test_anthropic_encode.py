"""Canonical answers → Anthropic Messages: encode_response, StreamEncoder and encode_error."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crosswire.canonical import (
    AuthenticationError,
    ContextLengthError,
    Event,
    GatewayError,
    InvalidRequestError,
    MessageStart,
    MessageStop,
    NotFoundError,
    OpaquePart,
    OverloadedError,
    PartStart,
    PartStop,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    RedactedThinkingPart,
    RequestTooLargeError,
    Response,
    SignatureDelta,
    StopReason,
    StreamError,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    ToolArgsDelta,
    ToolCallPart,
    UpstreamError,
    UpstreamServerError,
    UpstreamTimeoutError,
    Usage,
)
from crosswire.canonical.arguments import RAW_ARGUMENTS_KEY
from crosswire.canonical.synthesis import events_from_response
from crosswire.formats.anthropic import StreamEncoder, encode_error, encode_response
from crosswire.formats.anthropic.ids import from_client_id
from crosswire.formats.anthropic.signatures import thinking_from_client

from .helpers import parse_sse

USAGE = Usage(input_tokens=1000, cache_read_tokens=600, cache_write_tokens=100, output_tokens=42)

# --------------------------------------------------------------------------- non-streaming


def test_response_envelope_and_block_order() -> None:
    response = Response(
        id="chatcmpl-123",
        model="kimi-k2.6",
        parts=[
            ThinkingPart("plan", origin="openai_chat"),
            TextPart(""),
            TextPart("I'll run it."),
            ToolCallPart("functions.Bash:0", "Bash", '{"command": "ls"}'),
            ToolCallPart("call_2", "Read", '{"path": "/a"}'),
        ],
        stop_reason=StopReason.TOOL_USE,
        usage=USAGE,
    )
    out = encode_response(response, "claude-opus-5-5")
    assert out["type"] == "message" and out["role"] == "assistant"
    assert out["id"].startswith("msg_") and len(out["id"]) > 10
    assert out["model"] == "claude-opus-5-5"  # the client's model, never the upstream's
    assert [b["type"] for b in out["content"]] == ["thinking", "text", "tool_use", "tool_use"]
    thinking, text, bash, read = out["content"]
    assert thinking["thinking"] == "plan"
    assert thinking["signature"].startswith("cw1.")
    assert thinking_from_client("plan", thinking["signature"]).origin == "openai_chat"
    assert text == {"type": "text", "text": "I'll run it."}
    assert bash["input"] == {"command": "ls"}
    assert from_client_id(bash["id"]) == "functions.Bash:0"
    assert bash["id"].startswith("cwx_")
    assert read == {"type": "tool_use", "id": "call_2", "name": "Read", "input": {"path": "/a"}}
    assert out["stop_reason"] == "tool_use"
    assert out["stop_sequence"] is None
    assert out["usage"] == {
        "input_tokens": 300,
        "cache_creation_input_tokens": 100,
        "cache_read_input_tokens": 600,
        "output_tokens": 42,
    }
    json.dumps(out)  # plain JSON types only


def test_anthropic_message_id_is_kept() -> None:
    out = encode_response(Response(id="msg_01abc", model="m"), "m")
    assert out["id"] == "msg_01abc"
    assert out["content"] == []


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ('{"a": 1, "b": [true, null]}', {"a": 1, "b": [True, None]}),
        ("", {}),
        ("   ", {}),
        # truncated (finish_reason length): never completed, so a Write cut inside its content
        # cannot run and write half a file; the agent's validation rejects the call instead
        ('{"cmd": "ls -la', {RAW_ARGUMENTS_KEY: '{"cmd": "ls -la'}),
        ('{"a": {"b": [1, 2', {RAW_ARGUMENTS_KEY: '{"a": {"b": [1, 2'}),
        ('{"a": 1,', {RAW_ARGUMENTS_KEY: '{"a": 1,'}),
        ('  {"a": 1}\n', {"a": 1}),
        ('"{\\"a\\": 1}"', {"a": 1}),  # double-encoded
        ("[1, 2]", {RAW_ARGUMENTS_KEY: "[1, 2]"}),
        ("42", {RAW_ARGUMENTS_KEY: "42"}),
        ("not json at all", {RAW_ARGUMENTS_KEY: "not json at all"}),
        ('"just a string"', {RAW_ARGUMENTS_KEY: '"just a string"'}),
        ('{"a": 1}}', {RAW_ARGUMENTS_KEY: '{"a": 1}}'}),
    ],
)
def test_tool_input_is_always_an_object(arguments: str, expected: dict[str, Any]) -> None:
    response = Response(id="r", model="m", parts=[ToolCallPart("c", "T", arguments)])
    assert encode_response(response, "m")["content"][0]["input"] == expected


def test_usage_never_negative() -> None:
    usage = Usage(input_tokens=10, cache_read_tokens=50, output_tokens=1)
    out = encode_response(Response(id="r", model="m", usage=usage), "m")
    assert out["usage"]["input_tokens"] == 0
    assert out["usage"]["cache_read_input_tokens"] == 50


def test_thinking_omitted_non_stream_hides_text_but_keeps_it_in_signature() -> None:
    response = Response(id="r", model="m", parts=[ThinkingPart("hidden", origin="openai_chat")])
    block = encode_response(response, "m", thinking_omitted=True)["content"][0]
    assert block["thinking"] == ""
    back = thinking_from_client("", block["signature"])
    assert (back.text, back.origin) == ("hidden", "openai_chat")


def test_anthropic_only_parts_kept_for_anthropic_origin_only() -> None:
    opaque = {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}
    response = Response(
        id="r",
        model="m",
        parts=[
            OpaquePart("anthropic", opaque),
            OpaquePart("gemini", {"type": "x"}),
            RedactedThinkingPart("abc", origin="anthropic"),
            RedactedThinkingPart("zzz", origin="openai_responses"),
            ThinkingPart("t", "EqQB", "anthropic"),
        ],
    )
    content = encode_response(response, "m")["content"]
    assert content == [
        opaque,
        {"type": "redacted_thinking", "data": "abc"},
        {"type": "thinking", "thinking": "t", "signature": "EqQB"},
    ]


@pytest.mark.parametrize("reason", list(StopReason))
def test_every_stop_reason_is_written(reason: StopReason) -> None:
    out = encode_response(Response(id="r", model="m", stop_reason=reason, stop_sequence="X"), "m")
    assert out["stop_reason"] == reason.value
    assert out["stop_sequence"] == "X"


# --------------------------------------------------------------------------- streaming

Frames = list[tuple[str | None, dict[str, Any]]]


def encode_all(events: list[Event], **options: Any) -> Frames:
    encoder = StreamEncoder("claude-client-model", **options)
    raw = b"".join(encoder.encode(e) for e in events)
    frames = parse_sse(raw)
    for name, data in frames:
        assert name == data["type"], "event name must equal data.type"
    return frames


def assert_anthropic_grammar(frames: Frames) -> None:
    """message_start (block_start delta* block_stop)* message_delta message_stop | … error."""
    names = [name for name, _ in frames]
    assert names[0] == "message_start"
    assert names.count("message_start") == 1
    if names[-1] == "error":
        assert "message_stop" not in names and "message_delta" not in names
        body = frames[1:-1]
    else:
        assert names[-2:] == ["message_delta", "message_stop"]
        assert names.count("message_stop") == 1
        body = frames[1:-2]
    open_index: int | None = None
    expected = 0
    for name, data in body:
        if name == "content_block_start":
            assert open_index is None
            assert data["index"] == expected
            open_index = expected
            expected += 1
        elif name == "content_block_delta":
            assert data["index"] == open_index
        elif name == "content_block_stop":
            assert data["index"] == open_index
            open_index = None
        else:
            raise AssertionError(f"unexpected {name} inside the message")
    if names[-1] != "error":
        assert open_index is None


def blocks(frames: Frames) -> list[dict[str, Any]]:
    """Rebuild the content blocks the way the Anthropic SDK does."""
    out: list[dict[str, Any]] = []
    json_parts: dict[int, str] = {}
    for name, data in frames:
        if name == "content_block_start":
            out.append(dict(data["content_block"]))
        elif name == "content_block_delta":
            block, delta = out[data["index"]], data["delta"]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            elif delta["type"] == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "signature_delta":
                block["signature"] = delta["signature"]
            elif delta["type"] == "input_json_delta":
                json_parts[data["index"]] = (
                    json_parts.get(data["index"], "") + delta["partial_json"]
                )
        elif name == "content_block_stop" and data["index"] in json_parts:
            out[data["index"]]["input"] = json.loads(json_parts[data["index"]])
    return out


def full_stream() -> list[Event]:
    return [
        MessageStart("chatcmpl-9", "upstream-model", Usage(input_tokens=1000)),
        PartStart(0, ThinkingPart("", origin="openai_chat")),
        ThinkingDelta(0, "Let me "),
        ThinkingDelta(0, "think."),
        PartStop(0),
        PartStart(1, TextPart("")),
        TextDelta(1, "Hello "),
        TextDelta(1, ""),
        TextDelta(1, "wörld 🌍"),
        PartStop(1),
        PartStart(2, ToolCallPart("functions.Bash:0", "Bash", "")),
        ToolArgsDelta(2, '{"comm'),
        ToolArgsDelta(2, 'and": "ls'),
        ToolArgsDelta(2, '"}'),
        PartStop(2),
        PartStart(3, ToolCallPart("call_b", "Read", "")),
        ToolArgsDelta(3, '{"path": "/tmp/x'),  # truncated: kept raw, never completed
        PartStop(3),
        MessageStop(StopReason.TOOL_USE, USAGE),
    ]


def test_stream_full_grammar_and_content() -> None:
    frames = encode_all(full_stream())
    assert_anthropic_grammar(frames)
    start = frames[0][1]["message"]
    assert start["model"] == "claude-client-model"
    assert start["id"].startswith("msg_")
    assert start["content"] == [] and start["stop_reason"] is None
    assert start["usage"]["input_tokens"] == 1000
    thinking, text, bash, read = blocks(frames)
    assert thinking["thinking"] == "Let me think."
    assert thinking_from_client(thinking["thinking"], thinking["signature"]).origin == "openai_chat"
    assert text == {"type": "text", "text": "Hello wörld 🌍"}
    assert bash["input"] == {"command": "ls"}
    assert from_client_id(bash["id"]) == "functions.Bash:0"
    assert read["input"] == {RAW_ARGUMENTS_KEY: '{"path": "/tmp/x'}
    _, delta = frames[-2]
    assert delta["delta"] == {"stop_reason": "tool_use", "stop_sequence": None}
    # cumulative usage, Anthropic arithmetic
    assert delta["usage"] == {
        "input_tokens": 300,
        "cache_creation_input_tokens": 100,
        "cache_read_input_tokens": 600,
        "output_tokens": 42,
    }
    assert frames[-1] == ("message_stop", {"type": "message_stop"})


def test_stream_empty_text_delta_writes_nothing() -> None:
    encoder = StreamEncoder("m")
    encoder.encode(MessageStart("x", "m"))
    encoder.encode(PartStart(0, TextPart("")))
    assert encoder.encode(TextDelta(0, "")) == b""


def test_stream_signature_delta_just_before_thinking_block_stop() -> None:
    frames = encode_all(full_stream())
    indexes = [i for i, (n, d) in enumerate(frames) if d.get("index") == 0]
    kinds = [
        frames[i][1]["delta"]["type"] if frames[i][0] == "content_block_delta" else frames[i][0]
        for i in indexes
    ]
    assert kinds == [
        "content_block_start",
        "thinking_delta",
        "thinking_delta",
        "signature_delta",
        "content_block_stop",
    ]


def test_stream_anthropic_signature_passes_through() -> None:
    events: list[Event] = [
        MessageStart("msg_1", "m"),
        PartStart(0, ThinkingPart("", origin="anthropic")),
        ThinkingDelta(0, "t"),
        SignatureDelta(0, "EqQBCkYIBxgC", "anthropic"),
        PartStop(0),
        MessageStop(StopReason.END_TURN, Usage()),
    ]
    frames = encode_all(events)
    assert_anthropic_grammar(frames)
    assert frames[0][1]["message"]["id"] == "msg_1"
    assert blocks(frames)[0] == {"type": "thinking", "thinking": "t", "signature": "EqQBCkYIBxgC"}


def test_stream_upstream_signature_is_wrapped_for_foreign_origins() -> None:
    events: list[Event] = [
        MessageStart("x", "m"),
        PartStart(0, ThinkingPart("", origin="openai_chat")),
        ThinkingDelta(0, "t"),
        SignatureDelta(0, "upstream-state", "openai_chat"),
        PartStop(0),
        MessageStop(StopReason.END_TURN, Usage()),
    ]
    signature = blocks(encode_all(events))[0]["signature"]
    back = thinking_from_client("t", signature)
    assert (back.origin, back.signature) == ("openai_chat", "upstream-state")


def test_stream_thinking_omitted() -> None:
    frames = encode_all(full_stream(), thinking_omitted=True)
    assert_anthropic_grammar(frames)
    deltas = [d["delta"]["type"] for n, d in frames if n == "content_block_delta"]
    assert "thinking_delta" not in deltas
    thinking = blocks(frames)[0]
    assert thinking["thinking"] == ""
    assert "." in thinking["signature"]
    back = thinking_from_client("", thinking["signature"])
    assert (back.text, back.origin) == ("Let me think.", "openai_chat")


def test_stream_tool_args_gathered_into_one_input_json_delta() -> None:
    frames = encode_all(full_stream())
    tool_deltas = [d for n, d in frames if n == "content_block_delta" and d["index"] in (2, 3)]
    assert [d["delta"]["type"] for d in tool_deltas] == ["input_json_delta"] * 2
    assert json.loads(tool_deltas[0]["delta"]["partial_json"]) == {"command": "ls"}
    starts = [d for n, d in frames if n == "content_block_start" and d["index"] == 2]
    assert starts[0]["content_block"]["input"] == {}


def test_stream_tool_args_on_part_start_are_kept() -> None:
    events: list[Event] = [
        MessageStart("x", "m"),
        PartStart(0, ToolCallPart("c", "T", '{"a": 1}')),
        PartStop(0),
        MessageStop(StopReason.TOOL_USE, Usage()),
    ]
    assert blocks(encode_all(events))[0]["input"] == {"a": 1}


def test_stream_tool_without_args_gets_empty_object() -> None:
    events: list[Event] = [
        MessageStart("x", "m"),
        PartStart(0, ToolCallPart("c", "T", "")),
        PartStop(0),
        MessageStop(StopReason.TOOL_USE, Usage()),
    ]
    assert blocks(encode_all(events))[0]["input"] == {}


def test_stream_redacted_thinking_block() -> None:
    events: list[Event] = [
        MessageStart("x", "m"),
        PartStart(0, RedactedThinkingPart("EmwK", origin="anthropic")),
        PartStop(0),
        MessageStop(StopReason.END_TURN, Usage()),
    ]
    frames = encode_all(events)
    assert_anthropic_grammar(frames)
    assert blocks(frames) == [{"type": "redacted_thinking", "data": "EmwK"}]


@pytest.mark.parametrize(
    ("error", "etype"),
    [
        (RateLimitError("slow down"), "rate_limit_error"),
        (OverloadedError("busy"), "overloaded_error"),
        (UpstreamError("bad"), "api_error"),
        (UpstreamTimeoutError("late"), "timeout_error"),
        (ContextLengthError("long"), "invalid_request_error"),
        (AuthenticationError("key"), "authentication_error"),
    ],
)
def test_stream_error_event_mid_block(error: GatewayError, etype: str) -> None:
    events: list[Event] = [
        MessageStart("x", "m"),
        PartStart(0, TextPart("")),
        TextDelta(0, "partial"),
        StreamError(error),
    ]
    frames = encode_all(events)
    assert_anthropic_grammar(frames)
    name, data = frames[-1]
    assert name == "error"
    assert data == {"type": "error", "error": {"type": etype, "message": error.message}}
    assert "message_stop" not in [n for n, _ in frames]


def test_stream_from_synthesized_response_matches_non_stream_encoding() -> None:
    response = Response(
        id="chatcmpl-1",
        model="m",
        parts=[
            ThinkingPart("why", "sig", "openai_chat"),
            TextPart(""),
            TextPart("answer"),
            ToolCallPart("functions.Read:1", "Read", '{"p": "/x"}'),
        ],
        stop_reason=StopReason.TOOL_USE,
        usage=USAGE,
    )
    frames = encode_all(events_from_response(response))
    assert_anthropic_grammar(frames)
    assert blocks(frames) == encode_response(response, "claude-client-model")["content"]


# --------------------------------------------------------------------------- encode_error


@pytest.mark.parametrize(
    ("error", "status", "etype", "retry"),
    [
        (InvalidRequestError("bad"), 400, "invalid_request_error", "false"),
        (ContextLengthError("long"), 400, "invalid_request_error", "false"),
        (AuthenticationError("who"), 401, "authentication_error", "false"),
        (PermissionDeniedError("no"), 403, "permission_error", "false"),
        (NotFoundError("where"), 404, "not_found_error", "false"),
        (RequestTooLargeError("big"), 413, "request_too_large", "false"),
        (RateLimitError("slow"), 429, "rate_limit_error", "true"),
        (QuotaExceededError("broke"), 429, "rate_limit_error", "false"),
        (UpstreamServerError("boom"), 500, "api_error", "true"),
        (UpstreamError("junk"), 502, "api_error", "true"),
        (OverloadedError("busy"), 529, "overloaded_error", "true"),
        (UpstreamTimeoutError("late"), 504, "timeout_error", "true"),
        (GatewayError("oops"), 500, "api_error", "false"),
    ],
)
def test_encode_error_table(error: GatewayError, status: int, etype: str, retry: str) -> None:
    code, raw, headers = encode_error(error, request_id="req_1")
    assert code == status
    assert json.loads(raw) == {
        "type": "error",
        "error": {"type": etype, "message": error.message},
        "request_id": "req_1",
    }
    assert headers["content-type"] == "application/json"
    assert headers["x-should-retry"] == retry
    assert "retry-after" not in headers


def test_encode_error_without_request_id() -> None:
    _, raw, _ = encode_error(InvalidRequestError("bad"))
    assert "request_id" not in json.loads(raw)


@pytest.mark.parametrize(
    ("retry_after", "seconds", "millis"),
    [(2.5, "3", "2500"), (30, "30", "30000"), (0.2, "1", "200"), (0, "1", "0")],
)
def test_encode_error_retry_after_headers(retry_after: float, seconds: str, millis: str) -> None:
    status, _, headers = encode_error(RateLimitError("slow", retry_after=retry_after))
    assert status == 429
    assert headers["retry-after"] == seconds
    assert headers["retry-after-ms"] == millis
    assert headers["x-should-retry"] == "true"


def test_encode_error_overloaded_with_retry_after() -> None:
    status, raw, headers = encode_error(OverloadedError("busy", retry_after=5))
    assert status == 529
    assert json.loads(raw)["error"]["type"] == "overloaded_error"
    assert headers["retry-after"] == "5"
