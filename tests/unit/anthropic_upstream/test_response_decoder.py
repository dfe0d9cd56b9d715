"""An Anthropic-format upstream's reply → canonical Response (anthropic/response_decoder.py)."""

from __future__ import annotations

from typing import Any

import pytest

from crosswire.canonical import (
    OpaquePart,
    OverloadedError,
    RedactedThinkingPart,
    Response,
    StopReason,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    UpstreamError,
    Usage,
)
from crosswire.formats.anthropic import decode_response
from crosswire.upstream.anthropic import AnthropicAdapter

from .support import KIMI_CODE_URL, target

SERVER_USE = {
    "type": "server_tool_use",
    "id": "srvtoolu_01",
    "name": "web_search",
    "input": {"query": "weather"},
}
SEARCH_RESULT = {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_01", "content": []}

REPLY: dict[str, Any] = {
    "id": "msg_01Aq9w938a90dw8q",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [
        {"type": "thinking", "thinking": "Let me look it up.", "signature": "EqQBCkYIBx=="},
        {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va=="},
        SERVER_USE,
        SEARCH_RESULT,
        {
            "type": "text",
            "text": "It is sunny.",
            "citations": [{"type": "web_search_result_location", "url": "https://w.example"}],
        },
        {
            "type": "tool_use",
            "id": "toolu_01A09q90qw90lq917835lq9",
            "name": "get_weather",
            "input": {"location": "San Francisco, CA", "unit": "celsius"},
        },
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 2095,
        "cache_creation_input_tokens": 300,
        "cache_read_input_tokens": 12000,
        "output_tokens": 503,
        "output_tokens_details": {"thinking_tokens": 120},
        "server_tool_use": {"web_search_requests": 1},
        "service_tier": "standard",
    },
}


def test_golden_reply() -> None:
    assert decode_response(REPLY, "claude-sonnet-4-5") == Response(
        id="msg_01Aq9w938a90dw8q",
        model="claude-sonnet-4-5",
        parts=[
            ThinkingPart("Let me look it up.", signature="EqQBCkYIBx==", origin="anthropic"),
            RedactedThinkingPart("EmwKAhgBEgy3va==", origin="anthropic"),
            OpaquePart("anthropic", SERVER_USE),
            OpaquePart("anthropic", SEARCH_RESULT),
            TextPart("It is sunny."),  # citations do not round-trip
            ToolCallPart(
                "toolu_01A09q90qw90lq917835lq9",
                "get_weather",
                '{"location":"San Francisco, CA","unit":"celsius"}',
            ),
        ],
        stop_reason=StopReason.TOOL_USE,
        usage=Usage(
            input_tokens=14395,  # 2095 uncached + 12000 read + 300 written
            cache_read_tokens=12000,
            cache_write_tokens=300,
            output_tokens=503,
            reasoning_tokens=120,
        ),
    )


def test_kimi_code_answers_under_another_model_name() -> None:
    reply = {**REPLY, "model": "kimi-for-coding"}
    response = AnthropicAdapter().decode_response(reply, target(KIMI_CODE_URL, model="kimi-k2.6"))
    assert response.model == "kimi-k2.6"


def test_stop_sequence_and_empty_signature() -> None:
    reply = {
        "id": "msg_2",
        "content": [
            {"type": "thinking", "thinking": "hm", "signature": ""},
            {"type": "text", "text": "a ###"},
        ],
        "stop_reason": "stop_sequence",
        "stop_sequence": "###",
        "usage": {"input_tokens": 10, "output_tokens": 3},
    }
    response = decode_response(reply)
    assert response.parts[0] == ThinkingPart("hm", signature=None, origin="anthropic")
    assert (response.stop_reason, response.stop_sequence) == (StopReason.STOP_SEQUENCE, "###")
    assert response.usage == Usage(input_tokens=10, output_tokens=3)


def test_tool_use_next_to_end_turn_is_a_tool_use_stop() -> None:
    reply = {
        "id": "msg_3",
        "content": [{"type": "tool_use", "id": "call_1", "name": "Bash", "input": {}}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": None, "output_tokens": 5, "cache_read_input_tokens": None},
    }
    response = decode_response(reply)
    assert response.stop_reason is StopReason.TOOL_USE
    assert response.parts == [ToolCallPart("call_1", "Bash", "{}")]
    assert response.usage == Usage(output_tokens=5)


def test_max_tokens_with_a_tool_call_stays_max_tokens() -> None:
    reply = {
        "id": "msg_4",
        "content": [{"type": "tool_use", "id": "t", "name": "Write", "input": {"a": 1}}],
        "stop_reason": "max_tokens",
        "usage": {},
    }
    assert decode_response(reply).stop_reason is StopReason.MAX_TOKENS


@pytest.mark.parametrize("body", [[], "text", None, {"id": "x"}, {"content": "nope"}])
def test_garbage_is_a_502(body: Any) -> None:
    with pytest.raises(UpstreamError):
        decode_response(body)


def test_error_body_with_http_200() -> None:
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    with pytest.raises(OverloadedError, match="Overloaded"):
        decode_response(body)


def test_unknown_and_malformed_blocks() -> None:
    reply = {
        "id": "msg_5",
        "content": ["junk", {"type": "container_upload", "file_id": "f1"}, {"type": "text"}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    assert decode_response(reply).parts == [
        OpaquePart("anthropic", {"type": "container_upload", "file_id": "f1"}),
        TextPart(""),
    ]
