"""Canonical Request → Anthropic Messages body (formats/anthropic/request_encoder.py and
turn_encoder.py): replay rules, limits, sampling, tool pairing, ids, media."""

from __future__ import annotations

import re
from typing import Any

import pytest

from crosswire.canonical import (
    DocumentPart,
    ImagePart,
    InvalidRequestError,
    Message,
    OpaquePart,
    RedactedThinkingPart,
    Request,
    ServerTool,
    TextPart,
    ThinkingConfig,
    ThinkingPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
)
from crosswire.canonical.arguments import RAW_ARGUMENTS_KEY
from crosswire.formats.anthropic import EncodeOptions, decode_request, encode_request, tool_id

from ..helpers import MESSAGE_FIXTURES, load_fixture

ANTHROPIC = EncodeOptions(first_party=True, adaptive_thinking=True)
MOONSHOT = EncodeOptions(
    keep_unsigned_thinking=True, fixed_sampling=True, explicit_thinking_off=True
)
COMPATIBLE = EncodeOptions()
BASH = Tool("Bash", "Run", {"type": "object", "properties": {"command": {"type": "string"}}})
ENABLED = ThinkingConfig(mode="enabled", budget_tokens=4000)


def encode(request: Request, options: EncodeOptions = ANTHROPIC) -> dict[str, Any]:
    return encode_request(request, "up-model", options)


def turns(*messages: Message, options: EncodeOptions = ANTHROPIC) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = encode(Request(model="m", messages=list(messages)), options)[
        "messages"
    ]
    return result


def tool_loop(*thinking: Any) -> list[Message]:
    """A user question, an assistant turn (``thinking`` parts, then a Bash call), its result."""
    return [
        Message("user", [TextPart("go")]),
        Message("assistant", [*thinking, ToolCallPart("toolu_1", "Bash", '{"command":"ls"}')]),
        Message("user", [ToolResultPart("toolu_1", [TextPart("a.txt")])]),
    ]


def assistant_blocks(body_turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = body_turns[1]["content"]
    return blocks


# --------------------------------------------------------------------------- minimal bodies


def test_minimal_body_always_has_max_tokens() -> None:
    request = Request(model="claude-x", messages=[Message("user", [TextPart("hi")])])
    assert encode(request) == {
        "model": "up-model",
        "max_tokens": 32000,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
    }
    assert encode(request, MOONSHOT) == {
        "model": "up-model",
        "max_tokens": 32000,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        "thinking": {"type": "disabled"},  # Kimi models think unless told not to
    }


@pytest.mark.parametrize(
    ("asked", "cap", "sent"),
    [
        (None, None, 32000),
        (None, 8192, 8192),
        (4096, None, 4096),
        (64000, 16000, 16000),
        (0, None, 0),
    ],
)
def test_max_tokens(asked: int | None, cap: int | None, sent: int) -> None:
    request = Request(model="m", messages=[Message("user", [TextPart("hi")])], max_tokens=asked)
    options = EncodeOptions(first_party=True, max_output_tokens=cap)
    assert encode(request, options)["max_tokens"] == sent


# --------------------------------------------------------------------------- thinking replay


def test_signed_anthropic_thinking_is_replayed_byte_exact_before_the_tool_use() -> None:
    signature = "EqQBCkYIBxgCKkB+/=="
    thinking = ThinkingPart("  I'll list  \n", signature=signature, origin="anthropic")
    redacted = RedactedThinkingPart("opaque==", origin="anthropic")
    for options in (ANTHROPIC, MOONSHOT, COMPATIBLE):
        blocks = assistant_blocks(turns(*tool_loop(thinking, redacted), options=options))
        assert blocks[:2] == [
            {"type": "thinking", "thinking": "  I'll list  \n", "signature": signature},
            {"type": "redacted_thinking", "data": "opaque=="},
        ]
        assert blocks[2]["type"] == "tool_use"


def test_foreign_thinking_never_reaches_anthropic() -> None:
    parts = (
        ThinkingPart("gemini thought", signature="g-sig", origin="gemini"),
        ThinkingPart("responses thought", signature="enc", origin="openai_responses"),
        RedactedThinkingPart("x", origin="openai_responses"),
    )
    for options in (ANTHROPIC, COMPATIBLE):
        assert [
            b["type"] for b in assistant_blocks(turns(*tool_loop(*parts), options=options))
        ] == ["tool_use"]


def test_unsigned_thinking_kept_for_moonshot_dropped_for_anthropic() -> None:
    unsigned = ThinkingPart("plain reasoning", origin="openai_chat")
    no_origin = ThinkingPart("", signature=None, origin=None)  # e.g. an empty-signature block
    assert [b["type"] for b in assistant_blocks(turns(*tool_loop(unsigned, no_origin)))] == [
        "tool_use"
    ]
    blocks = assistant_blocks(turns(*tool_loop(unsigned, no_origin), options=MOONSHOT))
    assert blocks[:2] == [
        {"type": "thinking", "thinking": "plain reasoning", "signature": ""},
        {"type": "thinking", "thinking": "", "signature": ""},
    ]


def test_signed_thinking_from_another_format_goes_to_moonshot_without_its_signature() -> None:
    foreign = ThinkingPart("thought", signature="enc-state", origin="openai_responses")
    assert assistant_blocks(turns(*tool_loop(foreign), options=MOONSHOT))[0] == {
        "type": "thinking",
        "thinking": "thought",
        "signature": "",
    }


def test_opaque_blocks_go_verbatim_to_real_anthropic_only() -> None:
    server_use = {
        "type": "server_tool_use",
        "id": "srvtoolu_01",
        "name": "web_search",
        "input": {"query": "crosswire"},
    }
    result = {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_01", "content": []}
    parts = [OpaquePart("anthropic", server_use), OpaquePart("anthropic", result), TextPart("ok")]
    messages = [Message("user", [TextPart("search")]), Message("assistant", parts)]
    assert turns(*messages)[1]["content"] == [server_use, result, {"type": "text", "text": "ok"}]
    assert turns(*messages, options=MOONSHOT)[1]["content"] == [{"type": "text", "text": "ok"}]
    foreign = Message("assistant", [OpaquePart("gemini", {"x": 1}), TextPart("ok")])
    assert turns(messages[0], foreign)[1]["content"] == [{"type": "text", "text": "ok"}]


def test_a_turn_left_empty_is_dropped_and_its_neighbours_merge() -> None:
    assert turns(
        Message("user", [TextPart("one")]),
        Message("assistant", [ThinkingPart("foreign", signature="s", origin="gemini")]),
        Message("user", [TextPart("two"), TextPart("   ")]),
        Message("assistant", [TextPart(""), TextPart("answer")]),
    ) == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "answer"}]},
    ]


def test_an_open_tool_loop_without_anthropic_thinking_turns_thinking_off_for_anthropic() -> None:
    request = Request(model="m", messages=tool_loop(ThinkingPart("t", origin="openai_chat")))
    request.thinking = ThinkingConfig(mode="adaptive", effort="high")
    request.tool_choice, request.tools, request.temperature = ToolChoice("any"), [BASH], 0.3
    body = encode(request)
    assert "thinking" not in body  # else: 400 "Expected `thinking` … but found `tool_use`"
    assert body["tool_choice"] == {"type": "any"} and body["temperature"] == 0.3
    assert body["output_config"] == {"effort": "high"}
    assert encode(request, MOONSHOT)["thinking"] == {"type": "enabled", "budget_tokens": 16384}
    signed = ThinkingPart("t", signature="sig", origin="anthropic")
    request.messages = tool_loop(signed)
    assert encode(request)["thinking"] == {"type": "adaptive"}
    request.messages = [
        *tool_loop(),
        Message("assistant", [TextPart("done")]),
        Message("user", [TextPart("next")]),
    ]
    assert encode(request)["thinking"] == {"type": "adaptive"}  # that loop is closed


# --------------------------------------------------------------------------- thinking config


@pytest.mark.parametrize(
    ("thinking", "max_tokens", "sent"),
    [
        (
            ThinkingConfig(mode="enabled", budget_tokens=4000),
            32000,
            {"type": "enabled", "budget_tokens": 4000},
        ),
        (
            ThinkingConfig(mode="enabled", budget_tokens=100),
            32000,
            {"type": "enabled", "budget_tokens": 1024},
        ),
        (
            ThinkingConfig(mode="enabled", budget_tokens=31999),
            8000,
            {"type": "enabled", "budget_tokens": 7999},
        ),
        (ThinkingConfig(mode="enabled"), 32000, {"type": "enabled", "budget_tokens": 16384}),
        (
            ThinkingConfig(mode="enabled", effort="low"),
            32000,
            {"type": "enabled", "budget_tokens": 4096},
        ),
        (
            ThinkingConfig(mode="enabled", effort="max"),
            32000,
            {"type": "enabled", "budget_tokens": 31999},
        ),
        (ThinkingConfig(mode="enabled", budget_tokens=2048), 1024, None),  # no room: off
        (ThinkingConfig(mode="adaptive", effort="medium"), 32000, {"type": "adaptive"}),
        (
            ThinkingConfig(mode="enabled", budget_tokens=2048, display="summarized"),
            4096,
            {"type": "enabled", "budget_tokens": 2048, "display": "summarized"},
        ),
    ],
)
def test_thinking_budget_fits_max_tokens(
    thinking: ThinkingConfig, max_tokens: int, sent: dict[str, Any] | None
) -> None:
    request = Request(model="m", messages=[Message("user", [TextPart("q")])])
    request.thinking, request.max_tokens = thinking, max_tokens
    assert encode(request).get("thinking") == sent


def test_adaptive_thinking_becomes_a_budget_where_it_is_not_understood() -> None:
    request = Request(model="m", messages=[Message("user", [TextPart("q")])], max_tokens=32000)
    request.thinking = ThinkingConfig(mode="adaptive", effort="medium", display="omitted")
    body = encode(request, MOONSHOT)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 8192}  # no display either
    assert "output_config" not in body
    assert encode(request)["output_config"] == {"effort": "medium"}


def test_impossible_budget_with_an_explicit_off_switch() -> None:
    request = Request(model="m", messages=[Message("user", [TextPart("q")])], max_tokens=500)
    request.thinking = ENABLED
    assert encode(request, MOONSHOT)["thinking"] == {"type": "disabled"}


def test_effort_names_outside_anthropics_set() -> None:
    request = Request(model="m", messages=[Message("user", [TextPart("q")])])
    request.thinking = ThinkingConfig(mode="adaptive", effort="minimal")
    assert encode(request)["output_config"] == {"effort": "low"}
    request.thinking = ThinkingConfig(mode="adaptive", effort="none")
    assert "output_config" not in encode(request)


# --------------------------------------------------------------------------- sampling


def test_temperature_clamped_and_top_p_dropped_next_to_it_for_claude() -> None:
    request = Request(model="m", messages=[Message("user", [TextPart("q")])])
    request.temperature, request.top_p, request.top_k = 1.7, 0.9, 40
    body = encode(request)
    assert (body["temperature"], body.get("top_p"), body["top_k"]) == (1.0, None, 40)
    request.temperature = -0.5
    assert encode(request)["temperature"] == 0.0
    third = encode(request, COMPATIBLE)
    assert (third["temperature"], third["top_p"], third["top_k"]) == (0.0, 0.9, 40)


def test_sampling_with_thinking_on() -> None:
    request = Request(model="m", messages=[Message("user", [TextPart("q")])], thinking=ENABLED)
    request.temperature, request.top_p, request.top_k = 0.5, 0.5, 10
    body = encode(request)
    assert "temperature" not in body and "top_k" not in body
    assert body["top_p"] == 0.95


def test_fixed_sampling_sends_none() -> None:
    request = Request(model="m", messages=[Message("user", [TextPart("q")])])
    request.temperature, request.top_p, request.top_k = 0.6, 0.9, 10
    body = encode(request, MOONSHOT)
    assert not {"temperature", "top_p", "top_k"} & body.keys()


def test_stop_metadata_stream_and_response_format() -> None:
    request = Request(model="m", messages=[Message("user", [TextPart("q")])], stop=["END"])
    request.user_id, request.stream = "user-1", False
    request.response_format = {"type": "json_schema", "schema": {"type": "object"}}
    body = encode(request)
    assert body["stop_sequences"] == ["END"]
    assert body["metadata"] == {"user_id": "user-1"}
    assert "stream" not in body
    assert body["output_config"] == {
        "format": {"type": "json_schema", "schema": {"type": "object"}}
    }
    assert "metadata" not in encode(request, COMPATIBLE)
    request.response_format = {"type": "json_object"}
    assert "output_config" not in encode(request)


# --------------------------------------------------------------------------- tools


@pytest.mark.parametrize(
    ("choice", "thinking", "sent"),
    [
        (ToolChoice("auto"), False, {"type": "auto"}),
        (
            ToolChoice("any", parallel=False),
            False,
            {"type": "any", "disable_parallel_tool_use": True},
        ),
        (ToolChoice("tool", "Bash"), False, {"type": "tool", "name": "Bash"}),
        (ToolChoice("none", parallel=False), False, {"type": "none"}),
        (
            ToolChoice("auto", parallel=True),
            False,
            {"type": "auto", "disable_parallel_tool_use": False},
        ),
        (ToolChoice("tool", "Bash"), True, {"type": "auto"}),
        (
            ToolChoice("any", parallel=False),
            True,
            {"type": "auto", "disable_parallel_tool_use": True},
        ),
    ],
)
def test_tool_choice(choice: ToolChoice, thinking: bool, sent: dict[str, Any]) -> None:
    request = Request(model="m", messages=[Message("user", [TextPart("q")])], tools=[BASH])
    request.tool_choice = choice
    if thinking:
        request.thinking = ENABLED
    assert encode(request)["tool_choice"] == sent


def test_no_tool_choice_without_tools() -> None:
    request = Request(model="m", messages=[Message("user", [TextPart("q")])])
    request.tool_choice = ToolChoice("any")
    assert "tool_choice" not in encode(request) and "tools" not in encode(request)


def test_tool_definitions() -> None:
    tools = [
        Tool("Read", None, {"properties": {"path": {"type": "string"}}}, strict=True),
        Tool("Later", "Deferred", defer_loading=True, cache_control={"type": "ephemeral"}),
    ]
    request = Request(model="m", messages=[Message("user", [TextPart("q")])], tools=tools)
    assert encode(request)["tools"] == [
        {
            "name": "Read",
            "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}},
            "strict": True,
        },
        {
            "name": "Later",
            "description": "Deferred",
            "input_schema": {"type": "object"},
            "defer_loading": True,
            "cache_control": {"type": "ephemeral"},
        },
    ]
    assert [set(t) for t in encode(request, MOONSHOT)["tools"]] == [
        {"name", "input_schema"},
        {"name", "description", "input_schema", "cache_control"},
    ]


def test_server_tools_to_anthropic_and_a_clear_400_elsewhere() -> None:
    search = ServerTool(
        "web_search_20250305", "web_search", "web_search", {"max_uses": 3}, origin="anthropic"
    )
    request = Request(model="m", messages=[Message("user", [TextPart("q")])], tools=[BASH])
    request.server_tools = [search]
    assert encode(request)["tools"][1] == {
        "type": "web_search_20250305",
        "name": "web_search",
        "max_uses": 3,
    }
    with pytest.raises(InvalidRequestError, match=r"server tools \(web_search_20250305\)"):
        encode(request, MOONSHOT)
    request.server_tools = [ServerTool("web_search", "web_search", "web_search", origin="openai")]
    with pytest.raises(InvalidRequestError, match="server tools"):
        encode(request)


def test_tool_reference_rebuilt_for_deferred_tools_on_anthropic_only() -> None:
    tools = [BASH, Tool("mcp__db__query", "Query", defer_loading=True)]
    messages = [
        Message("user", [TextPart("find the db tool")]),
        Message("assistant", [ToolCallPart("toolu_s", "ToolSearch", '{"query":"db"}')]),
        Message(
            "user",
            [
                ToolResultPart(
                    "toolu_s",
                    [
                        TextPart("Tool mcp__db__query is now available."),
                        TextPart("Tool Bash is now available."),  # not deferred: stays text
                    ],
                )
            ],
        ),
    ]
    request = Request(model="m", messages=messages, tools=tools)
    content = encode(request)["messages"][2]["content"][0]["content"]
    assert content == [
        {"type": "tool_reference", "tool_name": "mcp__db__query"},
        {"type": "text", "text": "Tool Bash is now available."},
    ]
    third = encode(request, MOONSHOT)["messages"][2]["content"][0]["content"]
    assert third[0] == {"type": "text", "text": "Tool mcp__db__query is now available."}


def test_tool_arguments_become_an_object_even_when_broken() -> None:
    messages = [
        Message("user", [TextPart("q")]),
        Message("assistant", [ToolCallPart("toolu_1", "Write", '{"path": "/a", "content": "x"}')]),
        Message("user", [ToolResultPart("toolu_1", [TextPart("ok")])]),
    ]
    assert turns(*messages)[1]["content"][0]["input"] == {"path": "/a", "content": "x"}
    messages[1].parts[0] = ToolCallPart("toolu_1", "Write", '{"path": "/a", "content": "hel')
    assert turns(*messages)[1]["content"][0]["input"] == {
        RAW_ARGUMENTS_KEY: '{"path": "/a", "content": "hel'
    }
    messages[1].parts[0] = ToolCallPart("toolu_1", "Write", "")
    assert turns(*messages)[1]["content"][0]["input"] == {}


# --------------------------------------------------------------------------- tool ids & pairing


@pytest.mark.parametrize(
    "raw", ["functions.Bash:0", "call|1", "a/b", "::", "", "toolu_01ABC", "call_abc-DEF_9"]
)
def test_tool_ids_are_valid_and_deterministic(raw: str) -> None:
    sent = tool_id(raw)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", sent)
    assert tool_id(raw) == sent
    if re.fullmatch(r"[A-Za-z0-9_-]+", raw):
        assert sent == raw


def test_tool_id_rewrite_is_the_same_on_call_and_result_and_avoids_collisions() -> None:
    messages = [
        Message("user", [TextPart("q")]),
        Message(
            "assistant",
            [
                ToolCallPart("functions.Bash:0", "Bash", "{}"),
                ToolCallPart("functions.Bash|0", "Bash", "{}"),
            ],
        ),
        Message(
            "user",
            [
                ToolResultPart("functions.Bash|0", [TextPart("second")]),
                ToolResultPart("functions.Bash:0", [TextPart("first")]),
            ],
        ),
    ]
    body_turns = turns(*messages)
    call_ids = [b["id"] for b in body_turns[1]["content"]]
    assert len(set(call_ids)) == 2
    assert [b["tool_use_id"] for b in body_turns[2]["content"]] == call_ids  # in call order
    assert [b["content"][0]["text"] for b in body_turns[2]["content"]] == ["first", "second"]


def test_results_first_then_text_and_missing_results_answered() -> None:
    messages = [
        Message("user", [TextPart("q")]),
        Message(
            "assistant",
            [ToolCallPart("toolu_a", "Bash", "{}"), ToolCallPart("toolu_b", "Read", "{}")],
        ),
        Message("user", [TextPart("also look at this")]),
        Message("user", [ToolResultPart("toolu_b", [TextPart("read ok")])]),
    ]
    assert turns(*messages)[2] == {
        "role": "user",
        "content": [
            {
                "type": "tool_result",
                "tool_use_id": "toolu_a",
                "content": [{"type": "text", "text": "(no result)"}],
                "is_error": True,
            },
            {
                "type": "tool_result",
                "tool_use_id": "toolu_b",
                "content": [{"type": "text", "text": "read ok"}],
            },
            {"type": "text", "text": "also look at this"},
        ],
    }


def test_unanswered_calls_before_a_plain_user_turn() -> None:
    messages = [
        Message("user", [TextPart("q")]),
        Message("assistant", [ToolCallPart("toolu_a", "Bash", "{}")]),
        Message("user", [TextPart("never mind")]),
    ]
    assert [b["type"] for b in turns(*messages)[2]["content"]] == ["tool_result", "text"]


def test_a_trailing_tool_call_turn_is_left_alone() -> None:
    messages = [
        Message("user", [TextPart("q")]),
        Message("assistant", [ToolCallPart("toolu_a", "Bash", "{}")]),
    ]
    assert len(turns(*messages)) == 2


def test_a_result_with_no_call_becomes_text() -> None:
    messages = [
        Message("user", [TextPart("q")]),
        Message("assistant", [TextPart("no calls here")]),
        Message("user", [ToolResultPart("toolu_gone", [TextPart("late")], is_error=True)]),
    ]
    assert turns(*messages)[2]["content"] == [
        {"type": "text", "text": "Result of tool call toolu_gone (error):\nlate"}
    ]


def test_tool_result_content() -> None:
    image = ImagePart(media_type="image/png", data="iVBORw0KGgo=")
    document = DocumentPart(media_type="application/pdf", data="JVBERi0=", title="spec.pdf")
    messages = [
        Message("user", [TextPart("q")]),
        Message(
            "assistant",
            [ToolCallPart("toolu_a", "Shot", "{}"), ToolCallPart("toolu_b", "Touch", "{}")],
        ),
        Message(
            "user",
            [
                ToolResultPart(
                    "toolu_a",
                    [TextPart("see"), image, document],
                    cache_control={"type": "ephemeral"},
                ),
                ToolResultPart("toolu_b", [], is_error=True),
            ],
        ),
    ]
    assert turns(*messages)[2]["content"] == [
        {
            "type": "tool_result",
            "tool_use_id": "toolu_a",
            "content": [
                {"type": "text", "text": "see"},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
                },
                {
                    "type": "document",
                    "source": {
                        "type": "base64",
                        "media_type": "application/pdf",
                        "data": "JVBERi0=",
                    },
                    "title": "spec.pdf",
                },
            ],
            "cache_control": {"type": "ephemeral"},
        },
        {
            "type": "tool_result",
            "tool_use_id": "toolu_b",
            "content": [{"type": "text", "text": "(no output)"}],  # empty + is_error is a 400
            "is_error": True,
        },
    ]


# --------------------------------------------------------------------------- media & system


def test_user_media() -> None:
    parts = [
        ImagePart(url="https://example.com/cat.jpg"),
        ImagePart(media_type="image/webp", data="UklG", cache_control={"type": "ephemeral"}),
        DocumentPart(media_type="text/plain", text="notes", title="notes.txt"),
        DocumentPart(url="https://example.com/a.pdf"),
    ]
    assert turns(Message("user", parts))[0]["content"] == [
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/webp", "data": "UklG"},
            "cache_control": {"type": "ephemeral"},
        },
        {
            "type": "document",
            "source": {"type": "text", "media_type": "text/plain", "data": "notes"},
            "title": "notes.txt",
        },
        {"type": "document", "source": {"type": "url", "url": "https://example.com/a.pdf"}},
    ]


def test_unsupported_image_type_is_a_clear_400() -> None:
    with pytest.raises(InvalidRequestError, match="image/heic"):
        turns(Message("user", [ImagePart(media_type="image/heic", data="AAAA")]))


def test_system_blocks_keep_cache_control_and_skip_blanks() -> None:
    request = Request(
        model="m",
        system=[
            TextPart("one", {"type": "ephemeral", "ttl": "1h"}),
            TextPart(" "),
            TextPart("two"),
        ],
        messages=[Message("user", [TextPart("q")])],
    )
    assert encode(request, COMPATIBLE)["system"] == [
        {"type": "text", "text": "one", "cache_control": {"type": "ephemeral", "ttl": "1h"}},
        {"type": "text", "text": "two"},
    ]


# --------------------------------------------------------------------------- real traffic


@pytest.mark.parametrize("name", MESSAGE_FIXTURES)
def test_claude_code_requests_reach_anthropic_nearly_unchanged(name: str) -> None:
    """Claude Code → crosswire → Anthropic: the body Anthropic sees is the one Claude Code sent,
    but for the normalisations the canonical model implies."""
    original = load_fixture(name)
    body = encode_request(decode_request(original), original["model"], ANTHROPIC)
    same = {"model", "max_tokens", "tools", "output_config", "metadata", "context_management"}
    for key in same & original.keys():
        assert body[key] == original[key], key
    last = body["messages"][-2:]
    open_loop = last[0]["role"] == "assistant" and last[0]["content"][-1]["type"] == "tool_use"
    if open_loop and last[0]["content"][0]["type"] != "thinking":  # replies from elsewhere
        assert "thinking" not in body
    else:
        assert body["thinking"] == original["thinking"]
    assert body["system"][0] == original["system"][0]  # the billing block stays first
    assert body.get("stream", False) == original.get("stream", False)
    for turn in body["messages"]:
        for block in turn["content"]:
            if block["type"] == "thinking":
                assert not block["signature"].startswith("cw1.")  # sealed tokens never go up
