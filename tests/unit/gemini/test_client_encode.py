"""Canonical answers → Gemini clients: encode_response, StreamEncoder, encode_error."""

from __future__ import annotations

import base64
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
from crosswire.canonical.synthesis import events_from_response
from crosswire.formats.base import ClientContext
from crosswire.formats.gemini import CLIENT, StreamEncoder, encode_error, encode_response
from crosswire.formats.gemini.signatures import thinking_from_client

from ..helpers import parse_sse

USAGE = Usage(
    input_tokens=1000, cache_read_tokens=600, cache_write_tokens=0, output_tokens=300,
    reasoning_tokens=120,
)  # fmt: skip
GEMINI_SIG = "CiQBjz1rX4sHl0Y2nY5c1KvTq2xq0sdfQ8Jm3s9wPKvURIxJ"


def genai_types() -> Any:
    return pytest.importorskip("google.genai.types")


def validate(body: dict[str, Any]) -> Any:
    """What the google-genai SDK makes of ``body`` (it parses chunks the same way)."""
    types = genai_types()
    return types.GenerateContentResponse._from_response(response=body, kwargs={})


# --------------------------------------------------------------------------- non-streaming


def test_response_golden() -> None:
    response = Response(
        id="resp-1",
        model="kimi-k2.6",
        parts=[
            ThinkingPart("plan", signature=GEMINI_SIG, origin="gemini"),
            TextPart("Running it."),
            ToolCallPart("cwg_abc", "Bash", '{"command": "ls"}'),
            ToolCallPart("toolu_2", "Read", "{bad json"),
        ],
        stop_reason=StopReason.TOOL_USE,
        usage=USAGE,
    )
    body = encode_response(response, "gemini-2.5-pro", include_thoughts=True)
    assert body == {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": "plan", "thought": True},
                        {"text": "Running it.", "thoughtSignature": GEMINI_SIG},
                        {"functionCall": {"id": "cwg_abc", "name": "Bash",
                                          "args": {"command": "ls"}}},
                        {"functionCall": {"id": "toolu_2", "name": "Read",
                                          "args": {"_raw_arguments": "{bad json"}}},
                    ],
                },
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 1000, "candidatesTokenCount": 180, "totalTokenCount": 1300,
            "thoughtsTokenCount": 120, "cachedContentTokenCount": 600,
        },
        "modelVersion": "gemini-2.5-pro",
        "responseId": "resp-1",
    }  # fmt: skip
    parsed = validate(body)
    assert parsed.candidates[0].content.parts[1].thought_signature == base64.b64decode(GEMINI_SIG)
    assert parsed.function_calls[0].args == {"command": "ls"}
    assert parsed.usage_metadata.thoughts_token_count == 120


def test_thoughts_hidden_unless_asked_but_state_kept() -> None:
    anthropic = ThinkingPart("secret plan", signature="EqQBsig", origin="anthropic")
    response = Response(
        id="",
        model="m",
        parts=[anthropic, ToolCallPart("toolu_1", "Bash", "{}")],
        stop_reason=StopReason.TOOL_USE,
    )
    body = encode_response(response, "gemini-2.5-pro")
    (call,) = body["candidates"][0]["content"]["parts"]
    assert "secret plan" not in json.dumps(body).replace(call["thoughtSignature"], "")
    assert thinking_from_client("", call["thoughtSignature"]) == anthropic
    assert body["responseId"]  # made up when the upstream had none
    validate(body)


def test_two_states_in_a_row_and_trailing_state() -> None:
    response = Response(
        id="r",
        model="m",
        parts=[
            ThinkingPart("one", signature="s1", origin="anthropic"),
            ThinkingPart("two", signature="s2", origin="anthropic"),
            TextPart("answer"),
            ThinkingPart("", signature=GEMINI_SIG, origin="gemini"),
        ],
    )
    parts = encode_response(response, "m")["candidates"][0]["content"]["parts"]
    assert [p.get("text") for p in parts] == ["", "answer", ""]
    assert thinking_from_client("", parts[0]["thoughtSignature"]).signature == "s1"
    assert thinking_from_client("", parts[1]["thoughtSignature"]).signature == "s2"
    assert parts[2]["thoughtSignature"] == GEMINI_SIG


@pytest.mark.parametrize(
    ("reason", "finish"),
    [
        (StopReason.END_TURN, "STOP"),
        (StopReason.STOP_SEQUENCE, "STOP"),
        (StopReason.TOOL_USE, "STOP"),
        (StopReason.PAUSE_TURN, "STOP"),
        (StopReason.MAX_TOKENS, "MAX_TOKENS"),
        (StopReason.CONTEXT_WINDOW_EXCEEDED, "MAX_TOKENS"),
        (StopReason.REFUSAL, "SAFETY"),
    ],
)
def test_finish_reasons(reason: StopReason, finish: str) -> None:
    response = Response(id="r", model="m", parts=[TextPart("x")], stop_reason=reason)
    assert encode_response(response, "m")["candidates"][0]["finishReason"] == finish


def test_parts_with_no_gemini_form_are_dropped() -> None:
    code = {"executableCode": {"language": "PYTHON", "code": "1"}}
    response = Response(
        id="r",
        model="m",
        parts=[
            TextPart(""),
            RedactedThinkingPart("x", origin="anthropic"),
            OpaquePart("anthropic", {"type": "server_tool_use"}),
            OpaquePart("gemini", code),
        ],
    )
    assert encode_response(response, "m")["candidates"][0]["content"]["parts"] == [code]


def test_usage_without_reasoning_or_cache() -> None:
    response = Response(id="r", model="m", usage=Usage(input_tokens=5, output_tokens=7))
    assert encode_response(response, "m")["usageMetadata"] == {
        "promptTokenCount": 5, "candidatesTokenCount": 7, "totalTokenCount": 12,
    }  # fmt: skip


# --------------------------------------------------------------------------- streaming


def stream(events: list[Event], *, include_thoughts: bool = True) -> list[dict[str, Any]]:
    encoder = StreamEncoder("gemini-2.5-pro", include_thoughts=include_thoughts)
    data = b"".join(encoder.encode(e) for e in events)
    assert b"[DONE]" not in data and b"event:" not in data
    frames = parse_sse(data)
    assert all(name is None for name, _ in frames)
    return [body for _, body in frames]


ANTHROPIC_TOOL_TURN: list[Event] = [
    MessageStart("msg_01", "claude-opus"),
    PartStart(0, ThinkingPart("", origin="anthropic")),
    ThinkingDelta(0, "I should "),
    ThinkingDelta(0, "list files."),
    SignatureDelta(0, "EqQBsig", "anthropic"),
    PartStop(0),
    PartStart(1, TextPart("")),
    TextDelta(1, "Listing"),
    TextDelta(1, " now."),
    PartStop(1),
    PartStart(2, ToolCallPart("toolu_1", "Bash", "")),
    ToolArgsDelta(2, '{"comm'),
    ToolArgsDelta(2, 'and": "ls"}'),
    PartStop(2),
    MessageStop(StopReason.TOOL_USE, USAGE),
]


def test_stream_golden() -> None:
    chunks = stream(ANTHROPIC_TOOL_TURN)
    parts = [c["candidates"][0]["content"]["parts"] for c in chunks]
    assert parts[:2] == [
        [{"text": "I should ", "thought": True}],
        [{"text": "list files.", "thought": True}],
    ]
    (first_text,) = parts[2]
    assert first_text["text"] == "Listing"
    assert thinking_from_client("", first_text["thoughtSignature"]) == ThinkingPart(
        "I should list files.", signature="EqQBsig", origin="anthropic"
    )
    assert parts[3:] == [
        [{"text": " now."}],
        [{"functionCall": {"id": "toolu_1", "name": "Bash", "args": {"command": "ls"}}}],
        [],
    ]
    assert all(
        c["responseId"] == "msg_01" and c["modelVersion"] == "gemini-2.5-pro" for c in chunks
    )
    assert all("finishReason" not in c["candidates"][0] for c in chunks[:-1])
    assert all("usageMetadata" not in c for c in chunks[:-1])
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
    assert chunks[-1]["usageMetadata"]["thoughtsTokenCount"] == 120
    for chunk in chunks:
        validate(chunk)


def test_stream_tool_call_emitted_whole_only_at_its_end() -> None:
    encoder = StreamEncoder("m")
    assert encoder.encode(MessageStart("r", "u")) == b""
    assert encoder.encode(PartStart(0, ToolCallPart("c1", "Write", ""))) == b""
    assert encoder.encode(ToolArgsDelta(0, '{"path": "/a", ')) == b""
    assert encoder.encode(ToolArgsDelta(0, '"content": "hi"}')) == b""
    (frame,) = parse_sse(encoder.encode(PartStop(0)))
    assert frame[1]["candidates"][0]["content"]["parts"] == [
        {"functionCall": {"id": "c1", "name": "Write", "args": {"path": "/a", "content": "hi"}}}
    ]


def test_stream_without_thoughts_keeps_state_on_the_call() -> None:
    chunks = stream(ANTHROPIC_TOOL_TURN, include_thoughts=False)
    text = json.dumps(chunks)
    assert '"thought": true' not in text
    call = chunks[-2]["candidates"][0]["content"]["parts"][0]
    assert "functionCall" in call and "thoughtSignature" not in call  # the text carried it
    assert "thoughtSignature" in chunks[0]["candidates"][0]["content"]["parts"][0]


def test_stream_gemini_signature_round_trip_and_trailing_state() -> None:
    events: list[Event] = [
        MessageStart("r", "gemini-2.5-pro"),
        PartStart(0, TextPart("")),
        TextDelta(0, "Hi."),
        PartStop(0),
        PartStart(1, ThinkingPart("", origin="gemini")),
        SignatureDelta(1, GEMINI_SIG, "gemini"),
        PartStop(1),
        MessageStop(StopReason.END_TURN, Usage(input_tokens=3, output_tokens=2)),
    ]
    chunks = stream(events)
    assert chunks[-1]["candidates"][0]["content"]["parts"] == [
        {"text": "", "thoughtSignature": GEMINI_SIG}
    ]
    for chunk in chunks:
        validate(chunk)


def test_stream_matches_whole_response() -> None:
    response = Response(
        id="r9",
        model="up",
        parts=[
            ThinkingPart("think", signature=GEMINI_SIG, origin="gemini"),
            TextPart("a"),
            ToolCallPart("c", "f", '{"x": 1}'),
        ],
        stop_reason=StopReason.TOOL_USE,
        usage=USAGE,
    )
    chunks = stream(events_from_response(response))
    streamed = [p for c in chunks for p in c["candidates"][0]["content"]["parts"]]
    whole = encode_response(response, "gemini-2.5-pro", include_thoughts=True)
    assert streamed == whole["candidates"][0]["content"]["parts"]
    assert chunks[-1]["usageMetadata"] == whole["usageMetadata"]


def test_stream_error_frame() -> None:
    encoder = StreamEncoder("m")
    encoder.encode(MessageStart("r", "u"))
    data = encoder.encode(StreamError(OverloadedError("upstream: busy")))
    assert data.startswith(b"data: ") and data.endswith(b"\r\n\r\n")
    ((_, body),) = parse_sse(data)
    assert body == {"error": {"code": 503, "message": "upstream: busy", "status": "UNAVAILABLE"}}


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (InvalidRequestError("bad"), 400, "INVALID_ARGUMENT"),
        (ContextLengthError("long"), 400, "INVALID_ARGUMENT"),
        (RequestTooLargeError("big"), 400, "INVALID_ARGUMENT"),
        (AuthenticationError("who"), 401, "UNAUTHENTICATED"),
        (PermissionDeniedError("no"), 403, "PERMISSION_DENIED"),
        (NotFoundError("where"), 404, "NOT_FOUND"),
        (RateLimitError("slow"), 429, "RESOURCE_EXHAUSTED"),
        (QuotaExceededError("done"), 429, "RESOURCE_EXHAUSTED"),
        (UpstreamServerError("boom"), 500, "INTERNAL"),
        (UpstreamError("junk"), 502, "UNAVAILABLE"),
        (OverloadedError("busy"), 503, "UNAVAILABLE"),
        (UpstreamTimeoutError("slow"), 504, "DEADLINE_EXCEEDED"),
        (GatewayError("odd"), 500, "INTERNAL"),
    ],
)
def test_encode_error_statuses(error: GatewayError, code: int, status: str) -> None:
    http, body, headers = encode_error(error, "req_1")
    payload = json.loads(body)
    assert http == code
    assert payload["error"]["code"] == code and payload["error"]["status"] == status
    assert payload["error"]["message"] == error.message
    assert headers["x-should-retry"] == ("true" if error.retryable else "false")
    assert headers["content-type"] == "application/json"


def test_rate_limit_details_and_headers() -> None:
    _http, body, headers = encode_error(RateLimitError("slow down", retry_after=36.2), "r")
    assert json.loads(body)["error"]["details"] == [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}
    ]
    assert headers["retry-after"] == "37" and headers["retry-after-ms"] == "36200"
    _, body, headers = encode_error(QuotaExceededError("daily cap"), "r")
    (quota,) = json.loads(body)["error"]["details"]
    assert "PerDay" in quota["violations"][0]["quotaId"]
    assert headers["x-should-retry"] == "false"


def test_sdk_reads_the_error_envelope() -> None:
    errors = pytest.importorskip("google.genai.errors")
    _, body, _ = encode_error(RateLimitError("slow down", retry_after=2), "r")
    error = errors.APIError(429, json.loads(body))
    assert (error.code, error.status, error.message) == (429, "RESOURCE_EXHAUSTED", "slow down")
    assert error.details["error"]["details"][0]["retryDelay"] == "2s"


# --------------------------------------------------------------------------- the codec


def test_client_codec() -> None:
    assert CLIENT.name == "gemini" and CLIENT.ping == b""
    body = {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "generationConfig": {"thinkingConfig": {"includeThoughts": True}},
    }
    request = CLIENT.decode_request(body, ClientContext(path_model="gemini-2.5-pro", stream=True))
    assert request.stream and request.model == "gemini-2.5-pro"
    response = Response(id="r", model="up", parts=[ThinkingPart("t", origin="x"), TextPart("a")])
    parts = CLIENT.encode_response(response, request)["candidates"][0]["content"]["parts"]
    assert parts[0] == {"text": "t", "thought": True}
    request.thinking.display = "omitted"
    parts = CLIENT.encode_response(response, request)["candidates"][0]["content"]["parts"]
    assert [p["text"] for p in parts] == ["a"]
    encoder = CLIENT.stream_encoder(request)
    assert encoder.encode(MessageStart("r", "up")) == b""
    status, _, _ = CLIENT.encode_error(NotFoundError("x"), "req")
    assert status == 404
