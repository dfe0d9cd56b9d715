"""Responses upstream answers → canonical: decode_response, StreamDecoder, decode_error."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crosswire import jsonutil
from crosswire.canonical import (
    AuthenticationError,
    ContextLengthError,
    Event,
    InvalidRequestError,
    MessageStart,
    MessageStop,
    OpaquePart,
    OverloadedError,
    PartStart,
    PartStop,
    QuotaExceededError,
    RateLimitError,
    Response,
    SignatureDelta,
    StopReason,
    StreamError,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    UpstreamError,
    UpstreamServerError,
    Usage,
)
from crosswire.formats.openai_responses import StreamDecoder, decode_error, decode_response
from crosswire.formats.sse import SSEParser

from ..helpers import assert_grammar, collect

USAGE_WIRE = {
    "input_tokens": 5000,
    "input_tokens_details": {"cached_tokens": 4096, "cache_write_tokens": 0},
    "output_tokens": 300,
    "output_tokens_details": {"reasoning_tokens": 128},
    "total_tokens": 5300,
}
USAGE = Usage(
    input_tokens=5000,
    cache_read_tokens=4096,
    cache_write_tokens=0,
    output_tokens=300,
    reasoning_tokens=128,
)
REASONING_DONE = {
    "id": "rs_1",
    "type": "reasoning",
    "summary": [
        {"type": "summary_text", "text": "**Plan**\n\nRun tests."},
        {"type": "summary_text", "text": "**Check issue**"},
    ],
    "encrypted_content": "gAAAAABo-upstream-state",
}
CALL_A = {
    "id": "fc_1",
    "type": "function_call",
    "status": "completed",
    "call_id": "call_A",
    "name": "shell",
    "arguments": '{"cmd":"ls"}',
}
CALL_B = {
    "id": "fc_2",
    "type": "function_call",
    "status": "completed",
    "call_id": "call_B",
    "name": "get_issue",
    "namespace": "mcp__github",
    "arguments": '{"number":12}',
}
MESSAGE = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "status": "completed",
    "content": [{"type": "output_text", "text": "I'll run both.", "annotations": []}],
}


def response_body(
    status: str = "completed", output: list[Any] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "id": "resp_abc",
        "object": "response",
        "created_at": 1700000000,
        "status": status,
        "model": "gpt-5.1-codex",
        "output": [REASONING_DONE, MESSAGE, CALL_A, CALL_B] if output is None else output,
        "usage": USAGE_WIRE,
        **extra,
    }


def openai_stream() -> list[dict[str, Any]]:
    """What OpenAI streams for reasoning, text, then two parallel function calls."""
    reasoning_added = {"id": "rs_1", "type": "reasoning", "summary": []}
    at = {"item_id": "rs_1", "output_index": 0}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": response_body("in_progress", [], usage=None)},
        {"type": "response.in_progress", "response": response_body("in_progress", [], usage=None)},
        {"type": "response.output_item.added", "output_index": 0, "item": reasoning_added},
        {
            "type": "response.reasoning_summary_part.added",
            **at,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": ""},
        },
        {
            "type": "response.reasoning_summary_text.delta",
            **at,
            "summary_index": 0,
            "delta": "**Plan**",
        },
        {
            "type": "response.reasoning_summary_text.delta",
            **at,
            "summary_index": 0,
            "delta": "\n\nRun tests.",
        },
        {
            "type": "response.reasoning_summary_text.done",
            **at,
            "summary_index": 0,
            "text": "**Plan**\n\nRun tests.",
        },
        {
            "type": "response.reasoning_summary_part.done",
            **at,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": "**Plan**\n\nRun tests."},
        },
        {
            "type": "response.reasoning_summary_part.added",
            **at,
            "summary_index": 1,
            "part": {"type": "summary_text", "text": ""},
        },
        {
            "type": "response.reasoning_summary_text.delta",
            **at,
            "summary_index": 1,
            "delta": "**Check issue**",
        },
        {"type": "response.output_item.done", "output_index": 0, "item": REASONING_DONE},
        {
            "type": "response.output_item.added",
            "output_index": 1,
            "item": {**MESSAGE, "status": "in_progress", "content": []},
        },
        {
            "type": "response.content_part.added",
            "item_id": "msg_1",
            "output_index": 1,
            "content_index": 0,
            "part": {"type": "output_text", "text": "", "annotations": []},
        },
        {
            "type": "response.output_text.delta",
            "item_id": "msg_1",
            "output_index": 1,
            "content_index": 0,
            "delta": "I'll run",
            "logprobs": [],
        },
        {
            "type": "response.output_text.delta",
            "item_id": "msg_1",
            "output_index": 1,
            "content_index": 0,
            "delta": " both.",
            "logprobs": [],
        },
        {
            "type": "response.output_text.done",
            "item_id": "msg_1",
            "output_index": 1,
            "content_index": 0,
            "text": "I'll run both.",
            "logprobs": [],
        },
        {"type": "response.output_item.done", "output_index": 1, "item": MESSAGE},
        {
            "type": "response.output_item.added",
            "output_index": 2,
            "item": {**CALL_A, "arguments": "", "status": "in_progress"},
        },
        {
            "type": "response.function_call_arguments.delta",
            "item_id": "fc_1",
            "output_index": 2,
            "delta": '{"cmd":',
        },
        {
            "type": "response.function_call_arguments.delta",
            "item_id": "fc_1",
            "output_index": 2,
            "delta": '"ls"}',
        },
        {
            "type": "response.function_call_arguments.done",
            "item_id": "fc_1",
            "output_index": 2,
            "arguments": '{"cmd":"ls"}',
        },
        {"type": "response.output_item.done", "output_index": 2, "item": CALL_A},
        {
            "type": "response.output_item.added",
            "output_index": 3,
            "item": {**CALL_B, "arguments": "", "status": "in_progress"},
        },
        {
            "type": "response.function_call_arguments.delta",
            "item_id": "fc_2",
            "output_index": 3,
            "delta": '{"number":12}',
        },
        {"type": "response.output_item.done", "output_index": 3, "item": CALL_B},
        {"type": "response.completed", "response": response_body()},
    ]
    for n, event in enumerate(events):
        event["sequence_number"] = n
    return events


def decode(payloads: list[dict[str, Any]], *, chunk: int = 0) -> list[Event]:
    """Run payloads through SSE framing (split into ``chunk``-byte reads) and the decoder."""
    data = b"".join(
        b"event: " + p["type"].encode() + b"\ndata: " + jsonutil.dumps(p) + b"\n\n"
        for p in payloads
    )
    parser = SSEParser()
    decoder = StreamDecoder()
    events: list[Event] = []
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)] if chunk else [data]
    for piece in pieces:
        for sse in parser.feed(piece):
            events += decoder.feed(jsonutil.loads(sse.data))
    for sse in parser.flush():
        events += decoder.feed(jsonutil.loads(sse.data))
    events += decoder.finish()
    assert_grammar(events)
    return events


# --------------------------------------------------------------------------- streams


@pytest.mark.parametrize("chunk", [0, 7, 61])
def test_openai_stream_with_reasoning_text_and_parallel_calls(chunk: int) -> None:
    events = decode(openai_stream(), chunk=chunk)
    assert events[0] == MessageStart("resp_abc", "gpt-5.1-codex")
    assert collect(events) == [
        {
            "kind": "thinking",
            "text": "**Plan**\n\nRun tests.\n\n**Check issue**",
            "origin": "openai_responses",
            "signature": "rs_1\ngAAAAABo-upstream-state",
        },
        {"kind": "TextPart", "text": "I'll run both."},
        {"kind": "tool", "id": "call_A", "name": "shell", "args": '{"cmd":"ls"}'},
        {"kind": "tool", "id": "call_B", "name": "mcp__github__get_issue", "args": '{"number":12}'},
    ]
    # the thinking part announces its item id up front; the state comes just before its end
    start = events[1]
    assert start == PartStart(0, ThinkingPart("", "rs_1\n", "openai_responses"))
    stop_at = events.index(PartStop(0))
    assert events[stop_at - 1] == SignatureDelta(
        0, "rs_1\ngAAAAABo-upstream-state", "openai_responses"
    )
    assert events[-1] == MessageStop(StopReason.TOOL_USE, USAGE)


def test_interleaved_items_are_buffered_into_contiguous_parts() -> None:
    a_at = {"item_id": "fc_1", "output_index": 0}
    b_at = {"item_id": "fc_2", "output_index": 1}
    payloads = [
        {"type": "response.created", "response": {"id": "resp_i", "model": "m"}},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {**CALL_A, "arguments": ""},
        },
        {
            "type": "response.output_item.added",
            "output_index": 1,
            "item": {**CALL_B, "arguments": ""},
        },
        {"type": "response.function_call_arguments.delta", **b_at, "delta": '{"number":'},
        {"type": "response.function_call_arguments.delta", **a_at, "delta": '{"cmd":'},
        {"type": "response.function_call_arguments.delta", **b_at, "delta": "12}"},
        {"type": "response.output_item.done", "output_index": 1, "item": CALL_B},
        {"type": "response.function_call_arguments.delta", **a_at, "delta": '"ls"}'},
        {"type": "response.output_item.done", "output_index": 0, "item": CALL_A},
        {
            "type": "response.completed",
            "response": {"id": "resp_i", "status": "completed", "usage": USAGE_WIRE},
        },
    ]
    events = decode(payloads)
    assert [(p["id"], p["args"]) for p in collect(events)] == [
        ("call_A", '{"cmd":"ls"}'),
        ("call_B", '{"number":12}'),
    ]
    assert events[-1] == MessageStop(StopReason.TOOL_USE, USAGE)


def test_items_sent_whole_without_deltas() -> None:
    payloads = [
        {"type": "response.created", "response": {"id": "resp_w", "model": "m"}},
        {"type": "response.output_item.done", "output_index": 0, "item": REASONING_DONE},
        {"type": "response.output_item.done", "output_index": 1, "item": MESSAGE},
        {
            "type": "response.output_item.added",
            "output_index": 2,
            "item": {"type": "function_call", "id": "fc_9", "arguments": ""},
        },  # no call_id yet
        {
            "type": "response.function_call_arguments.delta",
            "item_id": "fc_9",
            "output_index": 2,
            "delta": "{}",
        },
        {
            "type": "response.output_item.done",
            "output_index": 2,
            "item": {**CALL_A, "id": "fc_9", "arguments": "{}"},
        },
        {"type": "response.completed", "response": {"status": "completed"}},
    ]
    assert collect(decode(payloads)) == [
        {
            "kind": "thinking",
            "text": "**Plan**\n\nRun tests.\n\n**Check issue**",
            "origin": "openai_responses",
            "signature": "rs_1\ngAAAAABo-upstream-state",
        },
        {"kind": "TextPart", "text": "I'll run both."},
        {"kind": "tool", "id": "call_A", "name": "shell", "args": "{}"},
    ]


def test_only_a_final_response_is_enough() -> None:
    payloads = [{"type": "response.completed", "response": response_body()}]
    events = decode(payloads)
    assert [p["kind"] for p in collect(events)] == ["thinking", "TextPart", "tool", "tool"]
    assert events[-1] == MessageStop(StopReason.TOOL_USE, USAGE)


def test_raw_reasoning_text_and_custom_tool_input() -> None:
    payloads = [
        {"type": "response.created", "response": {"id": "r", "model": "gpt-oss-120b"}},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"id": "rs_r", "type": "reasoning", "summary": []},
        },
        {
            "type": "response.reasoning_text.delta",
            "item_id": "rs_r",
            "output_index": 0,
            "content_index": 0,
            "delta": "raw ",
        },
        {
            "type": "response.reasoning_text.delta",
            "item_id": "rs_r",
            "output_index": 0,
            "content_index": 0,
            "delta": "thoughts",
        },
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": {
                "id": "rs_r",
                "type": "reasoning",
                "summary": [],
                "content": [{"type": "reasoning_text", "text": "raw thoughts"}],
            },
        },
        {
            "type": "response.output_item.added",
            "output_index": 1,
            "item": {
                "id": "ctc_1",
                "type": "custom_tool_call",
                "call_id": "call_P",
                "name": "apply_patch",
                "input": "",
            },
        },
        {
            "type": "response.custom_tool_call_input.delta",
            "item_id": "ctc_1",
            "output_index": 1,
            "delta": "*** Begin Patch\n",
        },
        {
            "type": "response.custom_tool_call_input.delta",
            "item_id": "ctc_1",
            "output_index": 1,
            "delta": "*** End Patch\n",
        },
        {
            "type": "response.output_item.done",
            "output_index": 1,
            "item": {
                "id": "ctc_1",
                "type": "custom_tool_call",
                "call_id": "call_P",
                "name": "apply_patch",
                "input": "*** Begin Patch\n*** End Patch\n",
            },
        },
        {"type": "response.completed", "response": {"status": "completed"}},
    ]
    events = decode(payloads)
    assert collect(events) == [
        {"kind": "thinking", "text": "raw thoughts", "origin": "openai_responses"},
        {
            "kind": "tool",
            "id": "call_P",
            "name": "apply_patch",
            "args": json.dumps(
                {"input": "*** Begin Patch\n*** End Patch\n"}, separators=(",", ":")
            ),
        },
    ]
    assert events[-1] == MessageStop(StopReason.TOOL_USE, Usage())


@pytest.mark.parametrize(
    ("details", "reason"),
    [
        ({"reason": "max_output_tokens"}, StopReason.MAX_TOKENS),
        ({"reason": "content_filter"}, StopReason.REFUSAL),
        (None, StopReason.END_TURN),
    ],
)
def test_incomplete(details: Any, reason: StopReason) -> None:
    payloads = [
        {"type": "response.created", "response": {"id": "r", "model": "m"}},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"id": "msg_c", "type": "message", "content": []},
        },
        {
            "type": "response.output_text.delta",
            "item_id": "msg_c",
            "output_index": 0,
            "content_index": 0,
            "delta": "cut sho",
        },
        {
            "type": "response.incomplete",
            "response": {
                "status": "incomplete",
                "incomplete_details": details,
                "usage": USAGE_WIRE,
            },
        },
    ]
    events = decode(payloads)
    assert collect(events) == [{"kind": "TextPart", "text": "cut sho"}]
    assert events[-1] == MessageStop(reason, USAGE)


@pytest.mark.parametrize(
    ("event", "cls", "retry_after"),
    [
        (
            {
                "type": "error",
                "code": "rate_limit_exceeded",
                "param": None,
                "message": "Rate limit reached for gpt-5. Please try again in 1.5s.",
            },
            RateLimitError,
            1.5,
        ),
        (
            {
                "type": "error",
                "error": {
                    "type": "invalid_request_error",
                    "code": "context_length_exceeded",
                    "param": "input",
                    "message": "Your input exceeds the context window of this model.",
                },
            },
            ContextLengthError,
            None,
        ),
        (
            {
                "type": "error",
                "error": {
                    "type": "insufficient_quota",
                    "code": "insufficient_quota",
                    "message": "You exceeded your current quota.",
                },
            },
            QuotaExceededError,
            None,
        ),
        (
            {"type": "error", "code": "server_is_overloaded", "message": "busy"},
            OverloadedError,
            None,
        ),
        ({"type": "error", "message": "something"}, UpstreamServerError, None),
        (
            {
                "type": "response.failed",
                "response": {
                    "id": "r",
                    "status": "failed",
                    "error": {"code": "server_error", "message": "The server had an error."},
                },
            },
            UpstreamServerError,
            None,
        ),
        (
            {
                "type": "response.failed",
                "response": {
                    "status": "failed",
                    "error": {"code": "invalid_image_url", "message": "bad image"},
                },
            },
            InvalidRequestError,
            None,
        ),
    ],
)
def test_error_events_flat_nested_and_failed(
    event: dict[str, Any], cls: type[Exception], retry_after: float | None
) -> None:
    payloads = [
        {"type": "response.created", "response": {"id": "r", "model": "m"}},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"id": "msg_e", "type": "message", "content": []},
        },
        {
            "type": "response.output_text.delta",
            "item_id": "msg_e",
            "output_index": 0,
            "content_index": 0,
            "delta": "partial",
        },
        event,
        {"type": "response.failed", "response": {"status": "failed"}},  # ignored: already ended
    ]
    events = decode(payloads)
    error = events[-1]
    assert isinstance(error, StreamError)
    assert type(error.error) is cls
    assert error.error.retry_after == retry_after
    assert "upstream:" in error.error.message


def test_stream_cut_short_and_never_started() -> None:
    cut = decode(openai_stream()[:12])
    assert isinstance(cut[-1], StreamError) and isinstance(cut[-1].error, UpstreamError)
    assert "response.completed" in cut[-1].error.message
    decoder = StreamDecoder()
    (error,) = decoder.finish()
    assert isinstance(error, StreamError) and "before answering" in error.error.message


def test_feeding_nothing_still_starts_the_message() -> None:
    """The HTTP backend feeds ``{}`` to get a MessageStart before reporting a failure."""
    decoder = StreamDecoder()
    assert decoder.feed({}) == [MessageStart("", "")]
    assert decoder.feed({}) == []


# --------------------------------------------------------------------------- whole responses


def test_decode_response_golden() -> None:
    search = {"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {}}
    body = response_body(output=[REASONING_DONE, search, MESSAGE, CALL_A, CALL_B])
    assert decode_response(body) == Response(
        id="resp_abc",
        model="gpt-5.1-codex",
        parts=[
            ThinkingPart(
                "**Plan**\n\nRun tests.\n\n**Check issue**",
                "rs_1\ngAAAAABo-upstream-state",
                "openai_responses",
            ),
            OpaquePart("openai_responses", search),
            TextPart("I'll run both."),
            ToolCallPart("call_A", "shell", '{"cmd":"ls"}'),
            ToolCallPart("call_B", "mcp__github__get_issue", '{"number":12}'),
        ],
        stop_reason=StopReason.TOOL_USE,
        usage=USAGE,
    )


def test_decode_response_text_refusal_and_incomplete() -> None:
    refusal = {"type": "message", "id": "m", "content": [{"type": "refusal", "refusal": "No."}]}
    body = response_body("incomplete", [refusal], incomplete_details={"reason": "content_filter"})
    response = decode_response(body)
    assert response.parts == [TextPart("No.")]
    assert response.stop_reason is StopReason.REFUSAL
    plain = decode_response(response_body(output=[MESSAGE], usage=None))
    assert (plain.stop_reason, plain.usage) == (StopReason.END_TURN, Usage())


def test_decode_response_failures() -> None:
    failed = response_body("failed", [], error={"code": "rate_limit_exceeded", "message": "slow"})
    with pytest.raises(RateLimitError):
        decode_response(failed)
    with pytest.raises(AuthenticationError):
        decode_response({"error": {"message": "bad key", "code": "invalid_api_key"}} | {"x": 1})
    for garbage in (None, [], "x", {"id": "r"}):
        with pytest.raises(UpstreamError):
            decode_response(garbage)


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (400, {"error": {"message": "bad", "type": "invalid_request_error"}}, InvalidRequestError),
        (
            400,
            {"error": {"message": "Too long", "code": "context_length_exceeded"}},
            ContextLengthError,
        ),
        (
            401,
            {"error": {"message": "Incorrect API key", "code": "invalid_api_key"}},
            AuthenticationError,
        ),
        (429, {"error": {"message": "quota", "code": "insufficient_quota"}}, QuotaExceededError),
        (429, {"error": {"message": "rl", "code": "rate_limit_exceeded"}}, RateLimitError),
        (503, b"<html>overloaded</html>", OverloadedError),
    ],
)
def test_decode_error(status: int, body: Any, cls: type[Exception]) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    error = decode_error(status, raw, 3.0)
    assert type(error) is cls
    assert error.retry_after == 3.0
