"""Anthropic SSE from an upstream → canonical stream events (anthropic/stream_decoder.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crosswire.canonical import (
    Event,
    MessageStart,
    MessageStop,
    OverloadedError,
    PartStart,
    PartStop,
    RateLimitError,
    RedactedThinkingPart,
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
    Usage,
)
from crosswire.formats.anthropic import StreamDecoder, StreamEncoder
from crosswire.formats.sse import SSEParser

from ..helpers import assert_grammar, collect, parse_sse

SIGNATURE = "EqQBCkYIBxgCKkBRHu0Kv0Lq1SMXAYsbRbVxXEQ4XvnkJ3R6ntk3ZPYs5m8qLg3CmfIx2Ao1+Q=="


def frame(payload: dict[str, Any]) -> str:
    return f"event: {payload['type']}\ndata: {json.dumps(payload)}\n\n"


def block_start(index: int, block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


def delta(index: int, **body: Any) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": body}


def stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


MESSAGE_START = {
    "type": "message_start",
    "message": {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {
            "input_tokens": 472,
            "cache_creation_input_tokens": 100,
            "cache_read_input_tokens": 12800,
            "output_tokens": 2,
            "service_tier": "standard",
        },
    },
}

# Recorded-style: thinking (+ signature), text, a tool call whose input arrives in fragments,
# pings anywhere, cumulative usage in message_delta.
RECORDED = "".join(
    frame(p)
    for p in [
        MESSAGE_START,
        block_start(0, {"type": "thinking", "thinking": "", "signature": ""}),
        {"type": "ping"},
        delta(0, type="thinking_delta", thinking="The user wants the weather. "),
        delta(0, type="thinking_delta", thinking="I'll call get_weather."),
        delta(0, type="signature_delta", signature=SIGNATURE),
        stop(0),
        block_start(1, {"type": "text", "text": ""}),
        delta(1, type="text_delta", text="Let me check "),
        delta(1, type="text_delta", text="the weather — ☀️?"),
        stop(1),
        block_start(
            2,
            {
                "type": "tool_use",
                "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
                "name": "get_weather",
                "input": {},
            },
        ),
        delta(2, type="input_json_delta", partial_json=""),
        delta(2, type="input_json_delta", partial_json='{"location":'),
        delta(2, type="input_json_delta", partial_json=' "San Fra'),
        delta(2, type="input_json_delta", partial_json='ncisco, CA"}'),
        stop(2),
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {"output_tokens": 89, "output_tokens_details": {"thinking_tokens": 40}},
        },
        {"type": "message_stop"},
    ]
).encode()


def decode_bytes(data: bytes, chunk: int = 7, decoder: StreamDecoder | None = None) -> list[Event]:
    """Feed ``data`` through the SSE parser in awkward ``chunk``-byte pieces, like the backend."""
    decoder = decoder or StreamDecoder("claude-sonnet-4-5")
    parser = SSEParser()
    events: list[Event] = []
    for start in range(0, len(data), chunk):
        for sse in parser.feed(data[start : start + chunk]):
            events += decoder.feed(json.loads(sse.data))
    for sse in parser.flush():
        events += decoder.feed(json.loads(sse.data))
    return events + decoder.finish()


def decode(*payloads: dict[str, Any], model: str = "m") -> list[Event]:
    decoder = StreamDecoder(model)
    events: list[Event] = []
    for payload in payloads:
        events += decoder.feed(payload)
    return events + decoder.finish()


def test_recorded_stream() -> None:
    events = decode_bytes(RECORDED)
    assert_grammar(events)
    assert events == [
        MessageStart(
            "msg_01XFDUDYJgAACzvnptvVoYEL",
            "claude-sonnet-4-5",  # the configured model; the upstream's own name is ignored
            Usage(
                input_tokens=13372, cache_read_tokens=12800, cache_write_tokens=100, output_tokens=2
            ),
        ),
        PartStart(0, ThinkingPart("", origin="anthropic")),
        ThinkingDelta(0, "The user wants the weather. "),
        ThinkingDelta(0, "I'll call get_weather."),
        SignatureDelta(0, SIGNATURE, "anthropic"),
        PartStop(0),
        PartStart(1, TextPart("")),
        TextDelta(1, "Let me check "),
        TextDelta(1, "the weather — ☀️?"),
        PartStop(1),
        PartStart(2, ToolCallPart("toolu_01T1x1fJ34qAmk2tNTrN7Up6", "get_weather", "")),
        ToolArgsDelta(2, '{"location":'),
        ToolArgsDelta(2, ' "San Fra'),
        ToolArgsDelta(2, 'ncisco, CA"}'),
        PartStop(2),
        MessageStop(
            StopReason.TOOL_USE,
            Usage(
                input_tokens=13372,
                cache_read_tokens=12800,
                cache_write_tokens=100,
                output_tokens=89,
                reasoning_tokens=40,
            ),
        ),
    ]


@pytest.mark.parametrize("chunk", [1, 3, 64, 10_000])
def test_recorded_stream_survives_any_chunking(chunk: int) -> None:
    assert decode_bytes(RECORDED, chunk) == decode_bytes(RECORDED)


def test_round_trip_to_an_anthropic_client_keeps_blocks_and_signature() -> None:
    encoder = StreamEncoder("claude-sonnet-4-5")
    frames = parse_sse(b"".join(encoder.encode(e) for e in decode_bytes(RECORDED)))
    starts = [d["content_block"] for name, d in frames if name == "content_block_start"]
    assert [b["type"] for b in starts] == ["thinking", "text", "tool_use"]
    assert starts[2]["id"] == "toolu_01T1x1fJ34qAmk2tNTrN7Up6"
    deltas = [d["delta"] for name, d in frames if name == "content_block_delta"]
    assert {"type": "signature_delta", "signature": SIGNATURE} in deltas
    tool_json = "".join(d.get("partial_json", "") for d in deltas)
    assert json.loads(tool_json) == {"location": "San Francisco, CA"}
    assert frames[-2][1]["delta"]["stop_reason"] == "tool_use"
    assert frames[-2][1]["usage"]["input_tokens"] == 472  # uncached input, as Anthropic said


def test_server_tool_blocks_are_skipped_and_parts_renumbered() -> None:
    events = decode(
        MESSAGE_START,
        block_start(0, {"type": "text", "text": ""}),
        delta(0, type="text_delta", text="Searching."),
        stop(0),
        block_start(
            1, {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}
        ),
        delta(1, type="input_json_delta", partial_json='{"query": "x"}'),
        stop(1),
        block_start(
            2, {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []}
        ),
        stop(2),
        block_start(3, {"type": "text", "text": ""}),
        delta(3, type="citations_delta", citation={"type": "web_search_result_location"}),
        delta(3, type="text_delta", text="Found it."),
        stop(3),
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 9},
        },
        {"type": "message_stop"},
    )
    assert_grammar(events)
    assert collect(events) == [
        {"kind": "TextPart", "text": "Searching."},
        {"kind": "TextPart", "text": "Found it."},
    ]
    assert [e.index for e in events if isinstance(e, PartStart)] == [0, 1]
    assert isinstance(events[-1], MessageStop) and events[-1].stop_reason is StopReason.END_TURN


def test_redacted_thinking_arrives_whole() -> None:
    events = decode(
        MESSAGE_START,
        block_start(0, {"type": "redacted_thinking", "data": "EmwKAhgB=="}),
        stop(0),
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 1},
        },
        {"type": "message_stop"},
    )
    assert_grammar(events)
    assert events[1] == PartStart(0, RedactedThinkingPart("EmwKAhgB==", origin="anthropic"))


def test_error_event_mid_stream() -> None:
    decoder = StreamDecoder("m")
    events = decoder.feed(MESSAGE_START)
    events += decoder.feed(block_start(0, {"type": "text", "text": ""}))
    events += decoder.feed(delta(0, type="text_delta", text="partial"))
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    events += decoder.feed(error)
    events += decoder.feed({"type": "message_stop"})  # nothing after an error
    events += decoder.finish()
    assert_grammar(events)
    last = events[-1]
    assert isinstance(last, StreamError) and isinstance(last.error, OverloadedError)
    assert last.error.message == "upstream: Overloaded"
    assert not any(isinstance(e, MessageStop) for e in events)


def test_error_event_first_still_starts_the_message() -> None:
    error = {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}
    events = decode(error)
    assert_grammar(events)
    assert isinstance(events[0], MessageStart)
    assert isinstance(events[1], StreamError) and isinstance(events[1].error, RateLimitError)


def test_stream_cut_inside_a_tool_call_never_closes_it() -> None:
    events = decode(
        MESSAGE_START,
        block_start(0, {"type": "tool_use", "id": "toolu_1", "name": "Write", "input": {}}),
        delta(0, type="input_json_delta", partial_json='{"file_path": "/a", "content": "hal'),
    )
    assert_grammar(events)
    assert not any(isinstance(e, PartStop) for e in events)  # no client runs a half call
    assert isinstance(events[-1], StreamError) and isinstance(events[-1].error, UpstreamError)


def test_empty_stream_and_the_backends_probe() -> None:
    events = decode()
    assert_grammar(events)
    assert isinstance(events[0], MessageStart) and isinstance(events[1], StreamError)
    decoder = StreamDecoder("m")
    probe = decoder.feed({})  # what the HTTP backend feeds before reporting a transport failure
    assert probe == [MessageStart("", "m", None)]
    assert decoder.feed({}) == []


def test_nothing_after_message_stop() -> None:
    decoder = StreamDecoder("m")
    events = decoder.feed(MESSAGE_START) + decoder.feed({"type": "message_stop"})
    assert isinstance(events[-1], MessageStop)
    assert decoder.feed({"type": "ping"}) == [] and decoder.finish() == []


def test_loose_compatible_server() -> None:
    """Usage only at the end, content in start events, a missing block stop, a late delta,
    ``end_turn`` next to a tool call."""
    events = decode(
        {"type": "message_start", "message": {"id": "m1", "usage": {"input_tokens": None}}},
        block_start(0, {"type": "text", "text": "Hello"}),
        delta(0, type="text_delta", text=" there"),
        block_start(
            1, {"type": "tool_use", "id": "call_1", "name": "Bash", "input": {"command": "ls"}}
        ),
        delta(0, type="text_delta", text="late"),  # block 0 is closed: dropped
        stop(1),
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"input_tokens": 50, "output_tokens": 7},
        },
        {"type": "message_stop"},
    )
    assert_grammar(events)
    assert collect(events) == [
        {"kind": "TextPart", "text": "Hello there"},
        {"kind": "tool", "id": "call_1", "name": "Bash", "args": '{"command":"ls"}'},
    ]
    assert events[-1] == MessageStop(StopReason.TOOL_USE, Usage(input_tokens=50, output_tokens=7))


@pytest.mark.parametrize(
    ("reason", "sequence", "canonical"),
    [
        ("end_turn", None, StopReason.END_TURN),
        ("max_tokens", None, StopReason.MAX_TOKENS),
        ("stop_sequence", "###", StopReason.STOP_SEQUENCE),
        ("pause_turn", None, StopReason.PAUSE_TURN),
        ("refusal", None, StopReason.REFUSAL),
        ("model_context_window_exceeded", None, StopReason.CONTEXT_WINDOW_EXCEEDED),
        ("something_new", None, StopReason.END_TURN),
    ],
)
def test_stop_reasons(reason: str, sequence: str | None, canonical: StopReason) -> None:
    message_delta = {
        "type": "message_delta",
        "delta": {"stop_reason": reason, "stop_sequence": sequence},
        "usage": {"output_tokens": 3},
    }
    events = decode(MESSAGE_START, message_delta, {"type": "message_stop"})
    last = events[-1]
    assert isinstance(last, MessageStop)
    assert (last.stop_reason, last.stop_sequence) == (canonical, sequence)


def test_a_late_message_start_still_counts() -> None:
    events = decode(
        {"type": "ping"},
        block_start(0, {"type": "text", "text": ""}),
        MESSAGE_START,
        delta(0, type="text_delta", text="hi"),
        stop(0),
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 4},
        },
        {"type": "message_stop"},
    )
    assert_grammar(events)
    assert events[0] == MessageStart("", "m", None)
    last = events[-1]
    assert isinstance(last, MessageStop) and last.usage.input_tokens == 13372
