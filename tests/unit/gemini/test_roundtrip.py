"""Whole loops through the hub: upstream reply → canonical → Gemini client → its next request →
canonical → upstream body. Thought signatures and call ids must survive every hop."""

from __future__ import annotations

import json
from typing import Any

from crosswire.canonical import (
    Event,
    MessageStart,
    MessageStop,
    PartStart,
    PartStop,
    SignatureDelta,
    StopReason,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    ToolArgsDelta,
    ToolCallPart,
    Usage,
)
from crosswire.formats.base import ClientContext
from crosswire.formats.gemini import (
    StreamDecoder,
    StreamEncoder,
    decode_request,
    encode_request,
)

from ..helpers import assert_grammar, parse_sse

SIG = "EvEBAY89a1+mwLrZr3kT0tQK9Vv0xWcHnqk2hX0zQk0v"
CTX = ClientContext(path_model="gemini-2.5-pro", stream=True)
UPSTREAM_CHUNKS: list[dict[str, Any]] = [
    {
        "candidates": [{"content": {"role": "model", "parts": [
            {"text": "Need the file list.", "thought": True}]}}],
        "responseId": "resp-A",
        "modelVersion": "gemini-2.5-pro",
    },
    {
        "candidates": [{"content": {"role": "model", "parts": [
            {"text": "Looking."},
            {"functionCall": {"name": "Bash", "args": {"command": "ls"}}, "thoughtSignature": SIG},
            {"functionCall": {"name": "Bash", "args": {"command": "pwd"}}},
        ]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 50, "candidatesTokenCount": 9,
                          "thoughtsTokenCount": 30, "totalTokenCount": 89},
        "responseId": "resp-A",
        "modelVersion": "gemini-2.5-pro",
    },
]  # fmt: skip


def client_sees(events: list[Event], include_thoughts: bool) -> list[dict[str, Any]]:
    """The model turn as Gemini CLI records it: thought parts dropped, text consolidated."""
    encoder = StreamEncoder("gemini-2.5-pro", include_thoughts=include_thoughts)
    frames = parse_sse(b"".join(encoder.encode(e) for e in events))
    parts = [p for _, f in frames for p in f["candidates"][0]["content"]["parts"]]
    history: list[dict[str, Any]] = []
    for part in parts:
        if part.get("thought"):
            continue
        last = history[-1] if history else None
        if last is not None and "text" in last and "text" in part and part["text"]:
            last["text"] += part["text"]
        else:
            history.append(dict(part))
    return history


def test_gemini_upstream_signature_survives_a_gemini_client() -> None:
    decoder = StreamDecoder()
    events = [e for c in UPSTREAM_CHUNKS for e in decoder.feed(c)] + decoder.finish()
    assert_grammar(events)
    turn = client_sees(events, include_thoughts=True)
    assert turn[0] == {"text": "Looking."}
    assert turn[1]["thoughtSignature"] == SIG and "thoughtSignature" not in turn[2]
    ids = [p["functionCall"]["id"] for p in turn[1:]]
    assert all(i.startswith("cwg_") for i in ids)
    # Gemini CLI answers with the ids it was given
    next_body = {
        "contents": [
            {"role": "user", "parts": [{"text": "what is here?"}]},
            {"role": "model", "parts": turn},
            {"role": "user", "parts": [
                {"functionResponse": {"id": ids[0], "name": "Bash", "response": {"output": "a"}}},
                {"functionResponse": {"id": ids[1], "name": "Bash", "response": {"output": "/w"}}},
            ]},
        ]
    }  # fmt: skip
    request = decode_request(next_body, CTX)
    body = encode_request(request, "gemini-2.5-pro")
    assert body["contents"][1] == {
        "role": "model",
        "parts": [
            {"text": "Looking."},
            {"functionCall": {"name": "Bash", "args": {"command": "ls"}}, "thoughtSignature": SIG},
            {"functionCall": {"name": "Bash", "args": {"command": "pwd"}}},
        ],
    }
    assert body["contents"][2]["parts"] == [
        {"functionResponse": {"name": "Bash", "response": {"output": "a"}}},
        {"functionResponse": {"name": "Bash", "response": {"output": "/w"}}},
    ]


def test_anthropic_thinking_survives_a_gemini_client_that_drops_thoughts() -> None:
    thinking = "The user wants a listing; I'll call Bash."
    events: list[Event] = [
        MessageStart("msg_1", "claude-opus"),
        PartStart(0, ThinkingPart("", origin="anthropic")),
        ThinkingDelta(0, thinking),
        SignatureDelta(0, "EqQBanthropic-signature", "anthropic"),
        PartStop(0),
        PartStart(1, ToolCallPart("toolu_01", "Bash", "")),
        ToolArgsDelta(1, '{"command":"ls"}'),
        PartStop(1),
        MessageStop(StopReason.TOOL_USE, Usage(input_tokens=10, output_tokens=20)),
    ]
    turn = client_sees(events, include_thoughts=False)
    assert len(turn) == 1 and thinking not in json.dumps(turn)
    next_body = {
        "contents": [
            {"role": "user", "parts": [{"text": "list"}]},
            {"role": "model", "parts": turn},
            {"role": "user", "parts": [{"functionResponse": {
                "id": "toolu_01", "name": "Bash", "response": {"output": "a.txt"}}}]},
        ]
    }  # fmt: skip
    request = decode_request(next_body, CTX)
    assert request.messages[1].parts == [
        ThinkingPart(thinking, signature="EqQBanthropic-signature", origin="anthropic"),
        ToolCallPart("toolu_01", "Bash", '{"command":"ls"}'),
    ]
    # and a Gemini upstream never sees the foreign state
    body = json.dumps(encode_request(request, "gemini-2.5-pro"))
    assert "EqQB" not in body and "cw1." not in body and thinking not in body


def test_text_answer_signature_returns_on_the_text() -> None:
    events: list[Event] = [
        MessageStart("r", "gemini-2.5-pro"),
        PartStart(0, ThinkingPart("", origin="gemini")),
        SignatureDelta(0, SIG, "gemini"),
        PartStop(0),
        PartStart(1, TextPart("")),
        TextDelta(1, "Hello"),
        TextDelta(1, " world."),
        PartStop(1),
        MessageStop(StopReason.END_TURN, Usage()),
    ]
    turn = client_sees(events, include_thoughts=True)
    assert turn == [{"text": "Hello world.", "thoughtSignature": SIG}]
    request = decode_request(
        {"contents": [{"role": "user", "parts": [{"text": "hi"}]}, {"role": "model", "parts": turn},
                      {"role": "user", "parts": [{"text": "again"}]}]},
        CTX,
    )  # fmt: skip
    body = encode_request(request, "gemini-2.5-pro")
    assert body["contents"][1]["parts"] == [{"text": "Hello world.", "thoughtSignature": SIG}]
