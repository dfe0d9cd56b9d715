"""Canonical Request → OpenAI Responses upstream body (openai_responses/request_encoder.py)."""

from __future__ import annotations

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
from crosswire.formats import anthropic
from crosswire.formats.opaque import seal
from crosswire.formats.openai_responses import EncodeOptions, decode_request, encode_request

from ..helpers import MESSAGE_FIXTURES, load_fixture
from .test_request_decoder import codex_body, minimal

BASH = Tool("Bash", "Run a command", {"type": "object", "properties": {"cmd": {"type": "string"}}})
BASH_WIRE = {
    "type": "function",
    "name": "Bash",
    "description": "Run a command",
    "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}},
    "strict": False,
}


def encode(request: Request, options: EncodeOptions | None = None) -> dict[str, Any]:
    return encode_request(request, "gpt-5.1", options)


def test_minimal_body_is_stateless() -> None:
    request = Request(model="claude-x", messages=[Message("user", [TextPart("hi")])])
    assert encode(request) == {
        "model": "gpt-5.1",
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
        ],
        "store": False,
    }


def test_codex_request_to_a_responses_upstream_golden() -> None:
    body = encode(decode_request(codex_body()))
    assert body["instructions"] == (
        "You are Codex, based on GPT-5. You are running as a coding agent in the Codex CLI on a "
        "user's computer.\n\n## General\n\n- When searching for text or files, prefer using `rg`."
        "\n\n<permissions instructions>\nFilesystem sandboxing defines which files can be read or "
        "written. `sandbox_mode` is `workspace-write`.\n</permissions instructions>"
    )
    assert body["input"][1:] == [
        {
            "type": "reasoning",
            "id": "rs_0a1b2c",  # replayed with its id and state; the fc_/fco_ ids are not sent
            "summary": [
                {
                    "type": "summary_text",
                    "text": "**Inspecting the failing test**\n\nRunning it first.",
                }
            ],
            "encrypted_content": "gAAAAABo7Rq1-native-state==",
        },
        {
            "type": "function_call",
            "call_id": "call_Qx1",
            "name": "shell_command",
            "arguments": '{"command":"pytest -x tests/test_parse.py","workdir":"/home/dev/proj"}',
        },
        {
            "type": "function_call",
            "call_id": "call_Qx2",
            "name": "mcp__github__get_issue",
            "arguments": '{"number":12}',
        },
        {
            "type": "function_call_output",
            "call_id": "call_Qx1",
            "output": "Exit code: 1\nWall time: 0.4 seconds\nOutput:\n"
            "E   AssertionError: assert None == []",
        },
        {
            "type": "function_call_output",
            "call_id": "call_Qx2",
            "output": "Issue 12: parse() returns None on empty input",
        },
        {
            "type": "custom_tool_call",
            "call_id": "call_Qx3",
            "name": "apply_patch",
            "input": "*** Begin Patch\n*** Update File: src/parse.py\n@@\n-    return None\n"
            "+    return []\n*** End Patch\n",
        },
        {
            "type": "custom_tool_call_output",
            "call_id": "call_Qx3",
            "output": "Success. Updated the following files:\nM src/parse.py\n",
        },
        {
            "type": "function_call",
            "call_id": "call_Qx4",
            "name": "view_image",
            "arguments": '{"path":"/tmp/after.png"}',
        },
        {
            "type": "function_call_output",
            "call_id": "call_Qx4",
            "output": [
                {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "auto"}
            ],
        },
        {
            "type": "message",
            "role": "assistant",
            "content": [
                {"type": "output_text", "text": "Fixed: parse() now returns [] for empty input."}
            ],
        },
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "Thanks! Now commit it."}],
        },
    ]
    assert body["input"][0]["content"][-1] == {
        "type": "input_image",
        "image_url": "data:image/png;base64,iVBORw0KGgo=",
        "detail": "auto",
    }
    original = codex_body()["tools"]
    assert body["tools"] == [
        original[0],
        original[1],  # the free-text tool goes back as the client sent it, grammar and all
        original[2],
        {**original[3]["tools"][0], "name": "mcp__github__get_issue"},
        original[4],  # hosted web_search: a Responses upstream can run it
    ]
    rest = {k: v for k, v in body.items() if k not in ("instructions", "input", "tools")}
    assert rest == {
        "model": "gpt-5.1",
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        "reasoning": {"effort": "medium", "summary": "auto"},
        "include": ["reasoning.encrypted_content"],
        "text": {"verbosity": "low"},
        "store": False,
        "stream": True,
        "prompt_cache_key": "019a3c2e-7c1d-7b40-9d55-2f0f3f6f8a11",
        "client_metadata": {
            "session_id": "019a3c2e-7c1d-7b40-9d55-2f0f3f6f8a11",
            "turn_id": "019a3c2e-91aa-7d20-8b3c-5e1f9a0c7d42",
        },
    }


def test_anthropic_client_request_golden() -> None:
    request = Request(
        model="claude-sonnet-4-5",
        client_format="anthropic",
        system=[TextPart("You are Claude Code.", {"type": "ephemeral"}), TextPart("Be terse.")],
        messages=[
            Message("user", [TextPart("list files"), ImagePart("image/png", "iVBOR")]),
            Message(
                "assistant",
                [
                    ThinkingPart("I should run ls.", "EqQB-anthropic-signature", "anthropic"),
                    TextPart("Listing."),
                    ToolCallPart("toolu_01", "Bash", '{"cmd":"ls"}'),
                    ToolCallPart("toolu_02", "Bash", ""),
                ],
            ),
            Message(
                "user",
                [
                    ToolResultPart("toolu_01", [TextPart("a.py"), ImagePart("image/png", "QUJD")]),
                    ToolResultPart("toolu_02", [TextPart("denied")], is_error=True),
                    TextPart("and now?"),
                    DocumentPart("application/pdf", "JVBER", title="spec.pdf"),
                ],
            ),
        ],
        max_tokens=1,  # Claude Code's quota probe: below OpenAI's minimum
        temperature=0.5,
        top_k=5,
        stop=["END"],
        stream=True,
        tools=[BASH],
        tool_choice=ToolChoice("any", parallel=False),
        thinking=ThinkingConfig("enabled", budget_tokens=10000, display="omitted"),
        user_id='{"device_id":"d"}',
        extra={"context_management": {"edits": []}},  # Anthropic-only: not sent
    )
    assert encode(request) == {
        "model": "gpt-5.1",
        "instructions": "You are Claude Code.\n\nBe terse.",
        "input": [
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "list files"},
                    {
                        "type": "input_image",
                        "image_url": "data:image/png;base64,iVBOR",
                        "detail": "auto",
                    },
                ],
            },
            # Anthropic-signed thinking cannot go to OpenAI: dropped
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Listing."}],
            },
            {
                "type": "function_call",
                "call_id": "toolu_01",
                "name": "Bash",
                "arguments": '{"cmd":"ls"}',
            },
            {"type": "function_call", "call_id": "toolu_02", "name": "Bash", "arguments": "{}"},
            {
                "type": "function_call_output",
                "call_id": "toolu_01",
                "output": [
                    {"type": "input_text", "text": "a.py"},
                    {
                        "type": "input_image",
                        "image_url": "data:image/png;base64,QUJD",
                        "detail": "auto",
                    },
                ],
            },
            {"type": "function_call_output", "call_id": "toolu_02", "output": "Error: denied"},
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "and now?"},
                    {
                        "type": "input_file",
                        "filename": "spec.pdf",
                        "file_data": "data:application/pdf;base64,JVBER",
                    },
                ],
            },
        ],
        "tools": [BASH_WIRE],
        "tool_choice": "required",
        "parallel_tool_calls": False,
        "reasoning": {"effort": "medium"},  # budget 10000 → medium; display omitted → no summary
        "include": ["reasoning.encrypted_content"],
        "max_output_tokens": 16,
        # temperature dropped: reasoning models reject it; top_k and stop do not exist here
        "store": False,
        "stream": True,
    }


def test_native_reasoning_is_replayed_with_its_id_and_foreign_reasoning_is_not() -> None:
    anthropic_thinking = ThinkingPart("hmm", "sig", "anthropic")
    sealed = seal(anthropic_thinking, native="openai_responses", include_text=False)
    request = Request(
        model="m",
        messages=[
            Message("user", [TextPart("q")]),
            Message(
                "assistant",
                [
                    ThinkingPart("summary", "rs_1\nENC1", "openai_responses"),
                    ThinkingPart("", "\nENC2", "openai_responses"),
                    ThinkingPart("no state", None, "openai_responses"),
                    ThinkingPart("id only", "rs_3\n", "openai_responses"),
                    anthropic_thinking,
                    ThinkingPart("deepseek reasoning", None, "openai_chat"),
                    RedactedThinkingPart("x", "anthropic"),
                    OpaquePart("anthropic", {"type": "server_tool_use"}),
                    OpaquePart("openai_responses", {"type": "web_search_call", "id": "ws_1"}),
                    TextPart("answer"),
                ],
            ),
        ],
    )
    assert sealed.startswith("cw1.")
    assert encode(request)["input"][1:] == [
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "summary"}],
            "encrypted_content": "ENC1",
        },
        {"type": "reasoning", "summary": [], "encrypted_content": "ENC2"},
        {"type": "web_search_call", "id": "ws_1"},
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "answer"}],
        },
    ]


def test_sealed_state_from_a_responses_client_reaches_its_origin_only() -> None:
    """A Responses client returns a cw1 token for Anthropic thinking: a Responses upstream
    gets nothing from it; the thinking keeps its Anthropic signature for an Anthropic one."""
    original = ThinkingPart("deep thought", "anthropic-sig", "anthropic")
    item = {
        "type": "reasoning",
        "id": "rs_x",
        "summary": [{"type": "summary_text", "text": "deep thought"}],
        "encrypted_content": seal(original, native="openai_responses", include_text=False),
    }
    request = decode_request(minimal(input=[{"role": "user", "content": "q"}, item]))
    assert request.messages[1].parts == [original]
    assert [i["type"] for i in encode(request)["input"]] == ["message"]


@pytest.mark.parametrize(
    ("thinking", "options", "reasoning"),
    [
        (ThinkingConfig("enabled", effort="high"), None, {"effort": "high", "summary": "auto"}),
        (ThinkingConfig("adaptive", effort="xhigh"), None, {"effort": "xhigh", "summary": "auto"}),
        (ThinkingConfig("enabled", budget_tokens=2048), None, {"effort": "low", "summary": "auto"}),
        (
            ThinkingConfig("enabled", budget_tokens=32000),
            None,
            {"effort": "high", "summary": "auto"},
        ),
        (ThinkingConfig("adaptive"), None, {"summary": "auto"}),
        (ThinkingConfig("enabled", effort="high"), EncodeOptions(can_think=False), None),
        (ThinkingConfig(), EncodeOptions(always_thinking=True), {"summary": "auto"}),
        (ThinkingConfig(), None, None),
        (ThinkingConfig("off", effort="none"), None, None),  # "none" relayed only to its own
    ],
)
def test_reasoning_settings(
    thinking: ThinkingConfig, options: EncodeOptions | None, reasoning: dict[str, Any] | None
) -> None:
    request = Request(
        model="m",
        messages=[Message("user", [TextPart("q")])],
        thinking=thinking,
        temperature=0.3,
        client_format="anthropic",
    )
    body = encode(request, options)
    assert body.get("reasoning") == reasoning
    assert ("include" in body) == (reasoning is not None)
    assert ("temperature" in body) == (reasoning is None)


def test_a_responses_client_gets_its_own_reasoning_settings_through() -> None:
    request = decode_request(minimal(reasoning={"effort": "none"}, temperature=0.2))
    assert encode(request, EncodeOptions(can_think=False))["reasoning"] == {"effort": "none"}
    detailed = decode_request(minimal(reasoning={"effort": "low", "summary": "detailed"}))
    assert encode(detailed, EncodeOptions(can_think=False))["reasoning"] == {
        "effort": "low",
        "summary": "detailed",
    }


def test_response_format_and_max_tokens_cap() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    request = Request(
        model="m", response_format={"type": "json_schema", "schema": schema}, max_tokens=50000
    )
    body = encode(request, EncodeOptions(max_output_cap=32000))
    assert body["text"] == {"format": {"type": "json_schema", "name": "output", "schema": schema}}
    assert body["max_output_tokens"] == 32000
    same = decode_request(
        minimal(
            text={
                "verbosity": "high",
                "format": {
                    "type": "json_schema",
                    "name": "answer",
                    "schema": schema,
                    "strict": True,
                },
            }
        )
    )
    assert encode(same)["text"] == {
        "verbosity": "high",
        "format": {"type": "json_schema", "name": "answer", "schema": schema, "strict": True},
    }
    json_mode = Request(model="m", response_format={"type": "json_object"})
    assert encode(json_mode)["text"] == {"format": {"type": "json_object"}}


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        (ToolChoice("auto"), {"tool_choice": "auto"}),
        (ToolChoice("none"), {"tool_choice": "none"}),
        (
            ToolChoice("any", parallel=True),
            {"tool_choice": "required", "parallel_tool_calls": True},
        ),
        (ToolChoice("tool", "Bash"), {"tool_choice": {"type": "function", "name": "Bash"}}),
    ],
)
def test_tool_choice(choice: ToolChoice, wire: dict[str, Any]) -> None:
    body = encode(Request(model="m", tools=[BASH], tool_choice=choice))
    assert {k: v for k, v in body.items() if k in ("tool_choice", "parallel_tool_calls")} == wire


def test_forcing_a_custom_tool_uses_the_custom_choice() -> None:
    request = decode_request(codex_body())
    request.tool_choice = ToolChoice("tool", "apply_patch")
    assert encode(request)["tool_choice"] == {"type": "custom", "name": "apply_patch"}


def test_strict_is_explicit() -> None:
    strict = Tool("s", None, {"type": "object"}, strict=True)
    assert encode(Request(model="m", tools=[strict]))["tools"] == [
        {"type": "function", "name": "s", "parameters": {"type": "object"}, "strict": True}
    ]


def test_foreign_server_tools_are_a_clear_400() -> None:
    search = ServerTool("web_search_20250305", "web_search", "web_search", {}, "anthropic")
    with pytest.raises(InvalidRequestError, match="web_search_20250305"):
        encode(Request(model="m", server_tools=[search]))
    own = ServerTool(
        "file_search", "file_search", "file_search", {"vector_store_ids": ["v"]}, "openai_responses"
    )
    assert encode(Request(model="m", server_tools=[own]))["tools"] == [
        {"type": "file_search", "vector_store_ids": ["v"]}
    ]


def test_responses_client_extras_are_relayed_but_not_state() -> None:
    request = decode_request(
        minimal(
            store=True,
            include=["file_search_call.results"],
            background=True,
            metadata={"k": "v"},
            service_tier="flex",
            safety_identifier="u1",
        )
    )
    body = encode(request)
    assert body["store"] is False
    assert "include" not in body and "background" not in body
    assert (body["metadata"], body["service_tier"], body["safety_identifier"]) == (
        {"k": "v"},
        "flex",
        "u1",
    )
    assert not any(key.startswith("_") for key in body)


def test_documents_by_url_and_text() -> None:
    request = Request(
        model="m",
        messages=[
            Message(
                "user",
                [
                    DocumentPart("application/pdf", url="https://x/y.pdf"),
                    DocumentPart("text/plain", text="notes", title="n.txt"),
                ],
            )
        ],
    )
    assert encode(request)["input"][0]["content"] == [
        {"type": "input_file", "file_url": "https://x/y.pdf"},
        {"type": "input_text", "text": "n.txt\nnotes"},
    ]


@pytest.mark.parametrize("name", MESSAGE_FIXTURES)
def test_claude_code_fixtures_encode_to_consistent_bodies(name: str) -> None:
    request = anthropic.decode_request(load_fixture(name))
    request.server_tools = []
    body = encode(request)
    items = body["input"]
    calls = [i["call_id"] for i in items if i.get("type") == "function_call"]
    outputs = [i["call_id"] for i in items if i.get("type") == "function_call_output"]
    assert set(outputs) <= set(calls)
    assert not any(i.get("type") == "reasoning" for i in items)  # Anthropic thinking stays out
    assert body["store"] is False
    assert all(t["type"] == "function" and "strict" in t for t in body.get("tools", []))
