"""Canonical Request → OpenAI Chat Completions body (formats/openai_chat/request_encoder.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from crosswire.canonical import (
    DocumentPart,
    ImagePart,
    Message,
    OpaquePart,
    RedactedThinkingPart,
    Request,
    TextPart,
    ThinkingConfig,
    ThinkingPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
)
from crosswire.formats.anthropic import decode_request
from crosswire.formats.openai_chat import EncodeOptions, encode_request
from crosswire.jsonutil import dumps

from .helpers import MESSAGE_FIXTURES, load_fixture

DEFAULT = EncodeOptions()
BASH = Tool("Bash", "Run a command", {"type": "object", "properties": {"cmd": {"type": "string"}}})
BASH_WIRE = {
    "type": "function",
    "function": {
        "name": "Bash",
        "description": "Run a command",
        "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}},
    },
}


def encode(request: Request, options: EncodeOptions = DEFAULT) -> dict[str, Any]:
    return encode_request(request, "up-model", options)


def test_minimal_body() -> None:
    request = Request(model="claude-x", messages=[Message("user", [TextPart("hi")])])
    assert encode(request) == {
        "model": "up-model",
        "messages": [{"role": "user", "content": "hi"}],
    }


def test_system_blocks_hoisted_into_one_leading_message() -> None:
    request = Request(
        model="m",
        system=[TextPart("one", {"type": "ephemeral"}), TextPart(""), TextPart("two")],
        messages=[Message("user", [TextPart("q")])],
    )
    assert encode(request)["messages"] == [
        {"role": "system", "content": "one\ntwo"},
        {"role": "user", "content": "q"},
    ]


def test_sampling_limits_and_stop() -> None:
    request = Request(
        model="m",
        messages=[Message("user", [TextPart("q")])],
        max_tokens=1000,
        temperature=0.7,
        top_p=0.9,
        top_k=40,  # no Chat Completions equivalent: dropped
        stop=["a", "b", "c", "d", "e"],
        user_id='{"session_id": "s"}',  # Anthropic metadata: not sent
        extra={"context_management": {"edits": []}},  # Anthropic-only: not sent
    )
    assert encode(request) == {
        "model": "up-model",
        "messages": [{"role": "user", "content": "q"}],
        "max_tokens": 1000,
        "temperature": 0.7,
        "top_p": 0.9,
        "stop": ["a", "b", "c", "d"],
    }


def test_max_tokens_field_option() -> None:
    request = Request(model="m", messages=[Message("user", [TextPart("q")])], max_tokens=5)
    body = encode(request, EncodeOptions(max_tokens_field="max_completion_tokens"))
    assert body["max_completion_tokens"] == 5
    assert "max_tokens" not in body


def test_stream_asks_for_usage() -> None:
    request = Request(model="m", messages=[Message("user", [TextPart("q")])], stream=True)
    body = encode(request)
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


def test_tool_round_trip_golden() -> None:
    request = Request(
        model="m",
        system=[TextPart("sys")],
        tools=[BASH],
        messages=[
            Message("user", [TextPart("list files")]),
            Message(
                "assistant",
                [
                    TextPart("Listing."),
                    ToolCallPart("call_1", "Bash", '{"cmd":"ls"}'),
                    ToolCallPart("functions.Bash:2", "Bash", '{ "cmd" : "pwd" }'),
                ],
            ),
            Message(
                "user",
                [
                    TextPart("and now explain"),  # text sent BEFORE the results by the client
                    ToolResultPart("call_1", [TextPart("a.txt"), TextPart("b.txt")]),
                    ToolResultPart("functions.Bash:2", [TextPart("/root")]),
                ],
            ),
        ],
    )
    assert encode(request) == {
        "model": "up-model",
        "messages": [
            {"role": "system", "content": "sys"},
            {"role": "user", "content": "list files"},
            {
                "role": "assistant",
                "content": "Listing.",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "Bash", "arguments": '{"cmd":"ls"}'},
                    },
                    {
                        "id": "functions.Bash:2",
                        "type": "function",
                        "function": {"name": "Bash", "arguments": '{ "cmd" : "pwd" }'},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "a.txt\nb.txt"},
            {"role": "tool", "tool_call_id": "functions.Bash:2", "content": "/root"},
            {"role": "user", "content": "and now explain"},
        ],
        "tools": [BASH_WIRE],
    }


def test_tool_result_error_prefix_and_empty_result() -> None:
    request = Request(
        model="m",
        messages=[
            Message(
                "user",
                [
                    ToolResultPart("c1", [TextPart("permission denied")], is_error=True),
                    ToolResultPart("c2", []),
                ],
            )
        ],
    )
    assert encode(request)["messages"] == [
        {"role": "tool", "tool_call_id": "c1", "content": "Error: permission denied"},
        {"role": "tool", "tool_call_id": "c2", "content": ""},
    ]


def test_images_in_tool_results_follow_as_a_user_message() -> None:
    request = Request(
        model="m",
        messages=[
            Message(
                "user",
                [
                    ToolResultPart(
                        "c1",
                        [TextPart("shot"), ImagePart(media_type="image/png", data="AAAA")],
                    ),
                    ToolResultPart("c2", [ImagePart(url="https://x.test/i.jpg")]),
                    TextPart("compare them"),
                ],
            )
        ],
    )
    assert encode(request)["messages"] == [
        {"role": "tool", "tool_call_id": "c1", "content": "shot"},
        {"role": "tool", "tool_call_id": "c2", "content": ""},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Images returned by tool call c1:"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                {"type": "text", "text": "Images returned by tool call c2:"},
                {"type": "image_url", "image_url": {"url": "https://x.test/i.jpg"}},
                {"type": "text", "text": "compare them"},
            ],
        },
    ]


def test_user_images_and_documents() -> None:
    request = Request(
        model="m",
        messages=[
            Message(
                "user",
                [
                    TextPart("look"),
                    ImagePart(media_type="image/jpeg", data="/9j/"),
                    ImagePart(data="iVBO"),  # no media type: png assumed
                    DocumentPart(media_type="application/pdf", data="JVBE", title="a.pdf"),
                    DocumentPart(media_type="application/pdf", data="JVBE"),
                    DocumentPart(media_type="text/plain", text="notes", title="N"),
                    DocumentPart(media_type="application/pdf", url="https://x.test/d.pdf"),
                ],
            )
        ],
    )
    assert encode(request)["messages"][0]["content"] == [
        {"type": "text", "text": "look"},
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/"}},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}},
        {
            "type": "file",
            "file": {"file_data": "data:application/pdf;base64,JVBE", "filename": "a.pdf"},
        },
        {
            "type": "file",
            "file": {"file_data": "data:application/pdf;base64,JVBE", "filename": "document.pdf"},
        },
        {"type": "text", "text": "N\nnotes"},
        {"type": "text", "text": "Document: https://x.test/d.pdf"},
    ]


def test_several_user_text_parts_joined_into_a_string() -> None:
    request = Request(model="m", messages=[Message("user", [TextPart("a"), TextPart("b")])])
    assert encode(request)["messages"] == [{"role": "user", "content": "a\n\nb"}]


def test_user_turn_with_nothing_encodable_still_sends_a_user_message() -> None:
    request = Request(
        model="m",
        messages=[Message("user", [OpaquePart("anthropic", {"type": "container_upload"})])],
    )
    assert encode(request)["messages"] == [{"role": "user", "content": ""}]


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        (ToolChoice("auto"), {"tool_choice": "auto"}),
        (ToolChoice("any"), {"tool_choice": "required"}),
        (ToolChoice("none"), {"tool_choice": "none"}),
        (
            ToolChoice("tool", "Bash"),
            {"tool_choice": {"type": "function", "function": {"name": "Bash"}}},
        ),
        (ToolChoice("auto", parallel=False), {"tool_choice": "auto", "parallel_tool_calls": False}),
        (
            ToolChoice("any", parallel=True),
            {"tool_choice": "required", "parallel_tool_calls": True},
        ),
    ],
)
def test_tool_choice_mapping(choice: ToolChoice, wire: dict[str, Any]) -> None:
    request = Request(
        model="m", messages=[Message("user", [TextPart("q")])], tools=[BASH], tool_choice=choice
    )
    body = encode(request)
    assert {k: body[k] for k in ("tool_choice", "parallel_tool_calls") if k in body} == wire


def test_tool_choice_without_tools_is_not_sent() -> None:
    request = Request(
        model="m", messages=[Message("user", [TextPart("q")])], tool_choice=ToolChoice("any")
    )
    body = encode(request)
    assert "tool_choice" not in body and "tools" not in body


def test_tool_definition_fields() -> None:
    request = Request(
        model="m",
        messages=[Message("user", [TextPart("q")])],
        tools=[
            Tool("Strict", None, {"type": "object"}, strict=True, cache_control={"type": "x"}),
            Tool("Plain"),
        ],
    )
    assert encode(request)["tools"] == [
        {
            "type": "function",
            "function": {"name": "Strict", "parameters": {"type": "object"}, "strict": True},
        },
        {"type": "function", "function": {"name": "Plain", "parameters": {"type": "object"}}},
    ]


def test_response_format() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    base = Request(model="m", messages=[Message("user", [TextPart("q")])])
    base.response_format = {"type": "json_schema", "schema": schema}
    assert encode(base)["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "output", "schema": schema},
    }
    base.response_format = {"type": "json_object"}
    assert encode(base)["response_format"] == {"type": "json_object"}


# --------------------------------------------------------------------------- assistant turns


def _assistant(*parts: Any) -> Request:
    return Request(
        model="m",
        messages=[Message("user", [TextPart("q")]), Message("assistant", list(parts))],
    )


def test_reasoning_echo_rules() -> None:
    # echoed: thinking from an OpenAI-format upstream, and plain unsigned reasoning text;
    # dropped: thinking signed by another vendor (its signature means nothing here)
    request = _assistant(
        ThinkingPart("mine ", "state", "openai_chat"),
        ThinkingPart("claude's", "EqQB", "anthropic"),
        ThinkingPart("unsigned ", None, None),
        RedactedThinkingPart("x", "anthropic"),
        ThinkingPart("again", origin="openai_chat"),
        TextPart("answer"),
    )
    assert encode(request)["messages"][1] == {
        "role": "assistant",
        "content": "answer",
        "reasoning_content": "mine unsigned again",
    }


def test_capture_thinking_replay_is_echoed_as_reasoning() -> None:
    # Claude Code replays thinking with a cw1 signature it got from crosswire (here a dummy one)
    request = decode_request(load_fixture("messages_thinking_turn2.json"))
    assistant = encode(request)["messages"][2]
    assert assistant["reasoning_content"] == "I should write the file"
    assert assistant["tool_calls"][0]["function"]["name"] == "Write"


def test_reasoning_key_option() -> None:
    request = _assistant(ThinkingPart("r", origin="openai_chat"), TextPart("a"))
    body = encode(request, EncodeOptions(reasoning_key="reasoning"))
    assert body["messages"][1] == {"role": "assistant", "content": "a", "reasoning": "r"}


def test_anthropic_thinking_dropped_without_reasoning_field() -> None:
    request = _assistant(ThinkingPart("claude's", "EqQB", "anthropic"), TextPart("a"))
    assert encode(request)["messages"][1] == {"role": "assistant", "content": "a"}


def test_tool_call_only_assistant_content_null_by_default() -> None:
    request = _assistant(ToolCallPart("c", "Bash", ""))
    message = encode(request)["messages"][1]
    assert message == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "Bash", "arguments": "{}"}}
        ],
    }


def test_omit_empty_assistant_content() -> None:
    request = _assistant(ToolCallPart("c", "Bash", '{"cmd":"ls"}'))
    message = encode(request, EncodeOptions(omit_empty_assistant_content=True))["messages"][1]
    assert "content" not in message
    assert message["tool_calls"][0]["function"]["arguments"] == '{"cmd":"ls"}'


def test_empty_assistant_turn_without_calls_keeps_empty_content() -> None:
    request = _assistant()
    message = encode(request, EncodeOptions(omit_empty_assistant_content=True))["messages"][1]
    assert message == {"role": "assistant", "content": ""}


def test_reasoning_on_tool_calls_adds_empty_reasoning() -> None:
    options = EncodeOptions(reasoning_on_tool_calls=True, omit_empty_assistant_content=True)
    with_calls = encode(_assistant(ToolCallPart("c", "Bash", "{}")), options)["messages"][1]
    assert with_calls["reasoning_content"] == ""
    without_calls = encode(_assistant(TextPart("plain")), options)["messages"][1]
    assert "reasoning_content" not in without_calls


def test_arguments_passed_through_byte_exact() -> None:
    odd = '{"b":1,  "a":"ü\\u00fc",\n"z":[ ]}'
    message = encode(_assistant(ToolCallPart("c", "T", odd)))["messages"][1]
    assert message["tool_calls"][0]["function"]["arguments"] == odd


def test_assistant_opaque_and_redacted_parts_dropped() -> None:
    request = _assistant(OpaquePart("anthropic", {"type": "server_tool_use"}), TextPart("a"))
    assert encode(request)["messages"][1] == {"role": "assistant", "content": "a"}


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("name", MESSAGE_FIXTURES)
def test_encoding_is_deterministic_and_pure(name: str) -> None:
    request = decode_request(load_fixture(name))
    before = copy.deepcopy(request)
    first = dumps(encode(request))
    second = dumps(encode(request))
    assert first == second
    assert request == before  # encoding does not touch the canonical request


def test_capture_turn2_encodes_to_a_valid_tool_loop() -> None:
    body = encode(decode_request(load_fixture("messages_turn2.json")))
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "user", "assistant", "tool"]
    assistant, tool = body["messages"][2], body["messages"][3]
    assert assistant["tool_calls"][0]["id"] == tool["tool_call_id"] == "toolu_cw_0001"
    assert assistant["tool_calls"][0]["function"]["arguments"] == (
        '{"file_path":"/workspace/hello.txt","content":"hi"}'
    )
    assert "x-anthropic-billing-header" not in body["messages"][0]["content"]
    assert body["messages"][0]["content"].endswith(
        decode_request(load_fixture("messages_turn2.json")).system[-1].text
    )
    assert len(body["tools"]) == 12


def test_thinking_config_is_not_encoded_by_the_codec() -> None:
    request = Request(
        model="m",
        messages=[Message("user", [TextPart("q")])],
        thinking=ThinkingConfig("enabled", 2048, "high"),
    )
    body = encode(request)
    assert set(body) == {"model", "messages"}
