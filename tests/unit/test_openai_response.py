"""Non-streamed Chat Completions bodies → canonical Response (decode_response)."""

from __future__ import annotations

from typing import Any

import pytest

from crosswire.canonical import (
    ContextLengthError,
    GatewayError,
    QuotaExceededError,
    RateLimitError,
    StopReason,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    UpstreamError,
    Usage,
)
from crosswire.formats.openai_chat import decode_response


def reply(message: dict[str, Any], finish: str | None = "stop", **top: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-abc123def456",
        "object": "chat.completion",
        "model": "kimi-k2.6",
        "choices": [
            {"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}
        ],
    }
    body.update(top)
    return body


def test_plain_text() -> None:
    response = decode_response(
        reply(
            {"content": "Hello"},
            usage={"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
        )
    )
    assert response.id == "chatcmpl-abc123def456"
    assert response.model == "kimi-k2.6"
    assert response.parts == [TextPart("Hello")]
    assert response.stop_reason is StopReason.END_TURN
    assert response.usage == Usage(input_tokens=10, output_tokens=2)


@pytest.mark.parametrize("key", ["reasoning_content", "reasoning"])
def test_reasoning_fields(key: str) -> None:
    response = decode_response(reply({key: "because", "content": "answer"}))
    assert response.parts == [ThinkingPart("because", origin="openai_chat"), TextPart("answer")]


def test_reasoning_content_preferred_over_reasoning() -> None:
    response = decode_response(reply({"reasoning_content": "a", "reasoning": "b", "content": "x"}))
    assert response.parts[0] == ThinkingPart("a", origin="openai_chat")


def test_reasoning_details() -> None:
    details = [
        {"type": "reasoning.text", "text": "step one. "},
        {"type": "reasoning.encrypted", "data": "opaque"},
        {"type": "reasoning.summary", "summary": "summary."},
    ]
    response = decode_response(reply({"reasoning_details": details, "content": "x"}))
    assert response.parts[0] == ThinkingPart("step one. summary.", origin="openai_chat")


def test_configured_reasoning_key() -> None:
    body = reply({"thoughts": "custom", "reasoning_content": "default", "content": "x"})
    assert decode_response(body, ("thoughts",)).parts[0].text == "custom"
    # without the configured key, the custom field is ignored
    assert decode_response(body).parts[0].text == "default"


def test_empty_reasoning_is_no_part() -> None:
    response = decode_response(reply({"reasoning_content": "", "content": "x"}))
    assert response.parts == [TextPart("x")]


@pytest.mark.parametrize(
    ("content", "thinking", "text"),
    [
        ("<think>plan</think>answer", "plan", "answer"),
        ("\n  <think>plan</think>\n\nanswer", "plan", "answer"),
        ("<think>unfinished", "unfinished", ""),
        ("no tags <think>x</think>", None, "no tags <think>x</think>"),
    ],
)
def test_think_tags(content: str, thinking: str | None, text: str) -> None:
    parts = decode_response(reply({"content": content})).parts
    expected: list[Any] = []
    if thinking:
        expected.append(ThinkingPart(thinking, origin="openai_chat"))
    if text:
        expected.append(TextPart(text))
    assert parts == expected


def test_think_tags_ignored_when_reasoning_field_present() -> None:
    parts = decode_response(reply({"reasoning_content": "r", "content": "<think>t</think>x"})).parts
    assert parts == [ThinkingPart("r", origin="openai_chat"), TextPart("<think>t</think>x")]


def test_content_as_list_of_parts() -> None:
    content = [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}, "junk"]
    assert decode_response(reply({"content": content})).parts == [TextPart("ab")]


def test_refusal_becomes_text() -> None:
    parts = decode_response(reply({"content": None, "refusal": "I can't."}, "content_filter"))
    assert parts.parts == [TextPart("I can't.")]
    assert parts.stop_reason is StopReason.REFUSAL


def test_tool_calls() -> None:
    response = decode_response(
        reply(
            {
                "content": "Let me look.",
                "tool_calls": [
                    {
                        "id": "functions.Read:0",
                        "type": "function",
                        "function": {"name": "Read", "arguments": '{"path": "/a"}'},
                    },
                    {
                        "type": "function",
                        "function": {"name": "Bash", "arguments": {"cmd": "ls"}},
                    },
                    {"type": "function", "function": {"name": "Noop"}},
                    "garbage",
                ],
            },
            "tool_calls",
        )
    )
    text, read, bash, noop = response.parts
    assert text == TextPart("Let me look.")
    assert read == ToolCallPart("functions.Read:0", "Read", '{"path": "/a"}')
    assert bash.name == "Bash" and bash.arguments == '{"cmd":"ls"}'  # object → JSON text
    assert noop.arguments == ""
    # missing ids are synthesised, distinct and stable for the response
    assert bash.id.startswith("call_") and noop.id.startswith("call_")
    assert bash.id != noop.id
    assert (
        decode_response(reply({"tool_calls": [{"function": {"name": "Bash"}}]})).parts[0].id
        == decode_response(reply({"tool_calls": [{"function": {"name": "Bash"}}]})).parts[0].id
    )
    assert response.stop_reason is StopReason.TOOL_USE


@pytest.mark.parametrize("finish", ["stop", None, "tool_calls", "weird"])
def test_tool_calls_mean_tool_use_whatever_the_finish_reason(finish: str | None) -> None:
    call = {"id": "c", "function": {"name": "T", "arguments": "{}"}}
    response = decode_response(reply({"content": None, "tool_calls": [call]}, finish))
    assert response.stop_reason is StopReason.TOOL_USE


def test_cut_off_tool_call_stays_max_tokens() -> None:
    # the last call may be incomplete: it must not be run as a finished tool_use turn
    call = {"id": "c", "function": {"name": "Write", "arguments": '{"content": "half'}}
    response = decode_response(reply({"content": None, "tool_calls": [call]}, "length"))
    assert response.stop_reason is StopReason.MAX_TOKENS
    assert response.parts == [ToolCallPart("c", "Write", '{"content": "half')]


@pytest.mark.parametrize(
    ("finish", "reason"),
    [
        ("stop", StopReason.END_TURN),
        ("length", StopReason.MAX_TOKENS),
        ("content_filter", StopReason.REFUSAL),
        ("tool_calls", StopReason.TOOL_USE),
        ("function_call", StopReason.TOOL_USE),
        (None, StopReason.END_TURN),
        ("eos", StopReason.END_TURN),
    ],
)
def test_finish_reasons(finish: str | None, reason: StopReason) -> None:
    assert decode_response(reply({"content": "x"}, finish)).stop_reason is reason


def test_usage_details() -> None:
    usage = {
        "prompt_tokens": 1000,
        "completion_tokens": 300,
        "prompt_tokens_details": {"cached_tokens": 800, "cache_write_tokens": 50},
        "completion_tokens_details": {"reasoning_tokens": 200},
    }
    assert decode_response(reply({"content": "x"}, usage=usage)).usage == Usage(
        input_tokens=1000,
        cache_read_tokens=800,
        cache_write_tokens=50,
        output_tokens=300,
        reasoning_tokens=200,
    )


def test_usage_deepseek_cache_hit_tokens() -> None:
    usage = {"prompt_tokens": 100, "completion_tokens": 1, "prompt_cache_hit_tokens": 64}
    assert decode_response(reply({"content": "x"}, usage=usage)).usage.cache_read_tokens == 64


def test_usage_in_choice_when_not_top_level() -> None:
    body = reply({"content": "x"}, usage=None)
    body["choices"][0]["usage"] = {"prompt_tokens": 7, "completion_tokens": 3, "cached_tokens": 4}
    assert decode_response(body).usage == Usage(
        input_tokens=7, cache_read_tokens=4, output_tokens=3
    )


def test_top_level_usage_wins() -> None:
    body = reply({"content": "x"}, usage={"prompt_tokens": 1, "completion_tokens": 1})
    body["choices"][0]["usage"] = {"prompt_tokens": 99, "completion_tokens": 99}
    assert decode_response(body).usage.input_tokens == 1


def test_no_usage_is_zero() -> None:
    assert decode_response(reply({"content": "x"})).usage == Usage()


def test_error_body_with_http_200_raises_gateway_error() -> None:
    with pytest.raises(GatewayError, match="model is sleeping"):
        decode_response({"error": {"message": "model is sleeping", "type": "server_error"}})


def test_error_body_with_http_200_keeps_known_codes() -> None:
    with pytest.raises(QuotaExceededError):
        decode_response({"error": {"message": "no money", "code": "insufficient_quota"}})
    with pytest.raises(ContextLengthError):
        decode_response({"error": {"message": "x", "code": "context_length_exceeded"}})


def test_error_body_with_numeric_code_uses_it_as_status() -> None:
    with pytest.raises(RateLimitError):
        decode_response({"error": {"code": 429, "message": "Rate limit exceeded"}})


@pytest.mark.parametrize(
    "body",
    [
        {"id": "x", "choices": []},
        {"id": "x"},
        {"id": "x", "choices": "nope"},
        {"id": "x", "choices": ["nope"]},
        {"id": "x", "choices": [{"message": "text"}]},
        [],
        "text",
        None,
    ],
)
def test_unusable_bodies_raise_upstream_error(body: Any) -> None:
    with pytest.raises(UpstreamError):
        decode_response(body)


def test_null_message_is_empty_response() -> None:
    body = {"id": "x", "choices": [{"message": None, "finish_reason": "stop"}]}
    response = decode_response(body)
    assert response.parts == []
    assert response.stop_reason is StopReason.END_TURN
