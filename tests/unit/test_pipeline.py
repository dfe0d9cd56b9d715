"""Hub and spoke end to end, in memory: an OpenAI-format upstream's stream becomes Anthropic SSE,
the client sends that turn back, and the next upstream body carries the upstream's own ids and
reasoning. Also argument repair and response → events synthesis."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crosswire.canonical import (
    OpaquePart,
    RedactedThinkingPart,
    Response,
    StopReason,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    Usage,
)
from crosswire.canonical.arguments import RAW_ARGUMENTS_KEY, arguments_object
from crosswire.canonical.synthesis import events_from_response
from crosswire.formats.anthropic import StreamEncoder, decode_request
from crosswire.formats.openai_chat import StreamDecoder
from crosswire.providers import get_profile, prepare_chat_body
from crosswire.providers.profile import ModelTraits

from .helpers import assert_grammar, collect, parse_sse

# --------------------------------------------------------------------------- arguments_object


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ("", {}),
        (" \n", {}),
        ('"{\\"a\\": [1, 2]}"', {"a": [1, 2]}),
        ('"not json inside"', {RAW_ARGUMENTS_KEY: '"not json inside"'}),
        ('"[1]"', {RAW_ARGUMENTS_KEY: '"[1]"'}),
        ("null", {RAW_ARGUMENTS_KEY: "null"}),
        ("[]", {RAW_ARGUMENTS_KEY: "[]"}),
        ('{"content": "half a fi', {RAW_ARGUMENTS_KEY: '{"content": "half a fi'}),
        ("{'a': 1}", {RAW_ARGUMENTS_KEY: "{'a': 1}"}),
    ],
)
def test_arguments_object(raw: str, expected: dict[str, Any]) -> None:
    assert arguments_object(raw) == expected


def test_arguments_object_keeps_unicode_and_nesting() -> None:
    raw = '{"path": "/tmp/héllo 🌍.txt", "opts": {"deep": [{"x": null}]}}'
    assert arguments_object(raw) == json.loads(raw)


# --------------------------------------------------------------------------- synthesis


def test_events_from_response_grammar_and_content() -> None:
    response = Response(
        id="r1",
        model="m",
        parts=[
            ThinkingPart("why", "sig", "openai_chat"),
            ThinkingPart("unsigned", origin="openai_chat"),
            TextPart(""),
            TextPart("answer"),
            RedactedThinkingPart("zz", "anthropic"),
            OpaquePart("anthropic", {"type": "server_tool_use"}),
            ToolCallPart("c", "T", '{"a": 1}'),
        ],
        stop_reason=StopReason.TOOL_USE,
        usage=Usage(input_tokens=5, output_tokens=6),
    )
    events = events_from_response(response)
    assert_grammar(events)
    parts = collect(events)
    assert [p["kind"] for p in parts] == [
        "thinking",
        "thinking",
        "TextPart",
        "RedactedThinkingPart",
        "tool",
    ]
    assert parts[0] == {
        "kind": "thinking",
        "text": "why",
        "origin": "openai_chat",
        "signature": "sig",
    }
    assert "signature" not in parts[1]
    assert parts[4]["args"] == '{"a": 1}'
    assert events[-1].stop_reason is StopReason.TOOL_USE
    assert events[-1].usage == Usage(input_tokens=5, output_tokens=6)


def test_events_from_empty_response() -> None:
    events = events_from_response(Response(id="r", model="m"))
    assert_grammar(events)
    assert len(events) == 2


# --------------------------------------------------------------------------- full round trip


def _kimi_stream() -> list[dict[str, Any]]:
    def c(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-k",
            "model": "kimi-k2.6",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    return [
        c({"role": "assistant", "reasoning_content": "Need to "}),
        c({"reasoning_content": "list files."}),
        c({"content": "Listing "}),
        c({"content": "now."}),
        c(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "functions.Bash:0",
                        "type": "function",
                        "function": {"name": "Bash", "arguments": ""},
                    }
                ]
            }
        ),
        c(
            {
                "tool_calls": [
                    {
                        "index": 1,
                        "id": "functions.Read:1",
                        "type": "function",
                        "function": {"name": "Read", "arguments": '{"path": '},
                    }
                ]
            }
        ),
        c({"tool_calls": [{"index": 0, "function": {"arguments": '{"command": "ls"}'}}]}),
        c({"tool_calls": [{"index": 1, "function": {"arguments": '"/a"}'}}]}),
        c({}, "tool_calls"),
        {
            "id": "chatcmpl-k",
            "model": "kimi-k2.6",
            "choices": [],
            "usage": {"prompt_tokens": 50, "completion_tokens": 20},
        },
    ]


def _anthropic_blocks(frames: list[tuple[str | None, dict[str, Any]]]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    partial: dict[int, str] = {}
    for name, data in frames:
        if name == "content_block_start":
            blocks.append(dict(data["content_block"]))
        elif name == "content_block_delta":
            block, delta = blocks[data["index"]], data["delta"]
            kind = delta["type"]
            if kind == "text_delta":
                block["text"] += delta["text"]
            elif kind == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif kind == "signature_delta":
                block["signature"] = delta["signature"]
            elif kind == "input_json_delta":
                partial[data["index"]] = partial.get(data["index"], "") + delta["partial_json"]
        elif name == "content_block_stop" and data["index"] in partial:
            blocks[data["index"]]["input"] = json.loads(partial.pop(data["index"]))
    return blocks


@pytest.mark.parametrize("omitted", [True, False])
def test_kimi_tool_loop_round_trip_through_an_anthropic_client(omitted: bool) -> None:
    # 1. upstream stream → canonical events → Anthropic SSE, one network read at a time
    decoder = StreamDecoder()
    encoder = StreamEncoder("claude-opus-5-5", thinking_omitted=omitted)
    wire = b""
    events = []
    for chunk in _kimi_stream():
        batch = decoder.feed(chunk)
        events += batch
        wire += b"".join(encoder.encode(e) for e in batch)
    tail = decoder.finish()
    events += tail
    wire += b"".join(encoder.encode(e) for e in tail)
    assert_grammar(events)

    frames = parse_sse(wire)
    assert [n for n, _ in frames][-2:] == ["message_delta", "message_stop"]
    assert frames[-2][1]["delta"]["stop_reason"] == "tool_use"
    assert frames[-2][1]["usage"]["input_tokens"] == 50
    blocks = _anthropic_blocks(frames)
    assert [b["type"] for b in blocks] == ["thinking", "text", "tool_use", "tool_use"]
    assert blocks[0]["thinking"] == ("" if omitted else "Need to list files.")
    assert blocks[1]["text"] == "Listing now."
    bash, read = blocks[2], blocks[3]
    assert bash["input"] == {"command": "ls"} and read["input"] == {"path": "/a"}
    for block in (bash, read):
        assert all(ch.isalnum() or ch in "_-" for ch in block["id"])  # Anthropic's id rule

    # 2. the client sends the turn back, as Claude Code does, with the tool results
    next_body = {
        "model": "claude-opus-5-5",
        "max_tokens": 32000,
        "thinking": {"type": "adaptive", "display": "omitted" if omitted else "summarized"},
        "tools": [
            {"name": "Bash", "input_schema": {"type": "object"}},
            {"name": "Read", "input_schema": {"type": "object"}},
        ],
        "messages": [
            {"role": "user", "content": "look around"},
            {"role": "assistant", "content": blocks},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": bash["id"], "content": "a.txt"},
                    {"type": "tool_result", "tool_use_id": read["id"], "content": "hello"},
                ],
            },
        ],
    }
    request = decode_request(json.loads(json.dumps(next_body)))

    # 3. the next upstream body: Kimi's own ids, its reasoning echoed, results in order
    traits = ModelTraits("kimi-k2.6", frozenset({"thinking"}))
    body = prepare_chat_body(request, traits, get_profile("kimi"))
    assert body["thinking"] == {"type": "enabled"}
    assistant = body["messages"][1]
    assert assistant["reasoning_content"] == "Need to list files."
    assert assistant["content"] == "Listing now."
    assert [c["id"] for c in assistant["tool_calls"]] == ["functions.Bash:0", "functions.Read:1"]
    assert [json.loads(c["function"]["arguments"]) for c in assistant["tool_calls"]] == [
        {"command": "ls"},
        {"path": "/a"},
    ]
    assert body["messages"][2:] == [
        {"role": "tool", "tool_call_id": "functions.Bash:0", "content": "a.txt"},
        {"role": "tool", "tool_call_id": "functions.Read:1", "content": "hello"},
    ]
