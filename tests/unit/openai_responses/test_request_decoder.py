"""Responses request body → canonical Request (formats/openai_responses/request_decoder.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from crosswire.canonical import (
    DocumentPart,
    ImagePart,
    InvalidRequestError,
    Message,
    OpaquePart,
    TextPart,
    ThinkingConfig,
    ThinkingPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
)
from crosswire.formats.opaque import seal
from crosswire.formats.openai_responses import decode_request
from crosswire.formats.openai_responses.fields import STATE_KEY, ClientState, client_state

CODEX_TURN = Path(__file__).with_name("codex_turn.json")


def codex_body() -> dict[str, Any]:
    with open(CODEX_TURN, encoding="utf-8") as f:
        body: dict[str, Any] = json.load(f)
    return body


def minimal(**fields: Any) -> dict[str, Any]:
    return {"model": "gpt-5", "input": "hi", **fields}


# --------------------------------------------------------------------------- Codex, golden


def test_codex_turn_messages_golden() -> None:
    request = decode_request(codex_body())
    assert request.model == "gpt-5-codex"
    assert request.client_format == "openai_responses"
    assert request.stream is True
    # instructions first, then the developer message, in order
    assert [p.text[:30] for p in request.system] == [
        "You are Codex, based on GPT-5.",
        "<permissions instructions>\nFil",
    ]
    assert request.messages == [
        Message(
            "user",
            [
                TextPart(
                    "# AGENTS.md instructions for /home/dev/proj\n\n<INSTRUCTIONS>\n"
                    "Run `make test` before committing.\n</INSTRUCTIONS>"
                ),
                TextPart(
                    "<environment_context>\n  <cwd>/home/dev/proj</cwd>\n  <shell>bash</shell>\n"
                    "</environment_context>"
                ),
                TextPart("Why does test_parse fail? Screenshot attached."),
                ImagePart(media_type="image/png", data="iVBORw0KGgo="),
            ],
        ),
        Message(
            "assistant",
            [
                ThinkingPart(
                    "**Inspecting the failing test**\n\nRunning it first.",
                    signature="rs_0a1b2c\ngAAAAABo7Rq1-native-state==",  # item id + state
                    origin="openai_responses",
                ),
                ToolCallPart(
                    "call_Qx1",
                    "shell_command",
                    '{"command":"pytest -x tests/test_parse.py","workdir":"/home/dev/proj"}',
                ),
                ToolCallPart("call_Qx2", "mcp__github__get_issue", '{"number":12}'),
            ],
        ),
        Message(
            "user",
            [
                ToolResultPart(
                    "call_Qx1",
                    [
                        TextPart(
                            "Exit code: 1\nWall time: 0.4 seconds\nOutput:\n"
                            "E   AssertionError: assert None == []"
                        )
                    ],
                ),
                ToolResultPart(
                    "call_Qx2", [TextPart("Issue 12: parse() returns None on empty input")]
                ),
            ],
        ),
        Message(
            "assistant",
            [
                ToolCallPart(
                    "call_Qx3",
                    "apply_patch",
                    json.dumps(
                        {
                            "input": "*** Begin Patch\n*** Update File: src/parse.py\n@@\n"
                            "-    return None\n+    return []\n*** End Patch\n"
                        },
                        separators=(",", ":"),
                    ),
                )
            ],
        ),
        Message(
            "user",
            [
                ToolResultPart(
                    "call_Qx3",
                    [TextPart("Success. Updated the following files:\nM src/parse.py\n")],
                )
            ],
        ),
        Message("assistant", [ToolCallPart("call_Qx4", "view_image", '{"path":"/tmp/after.png"}')]),
        Message(
            "user", [ToolResultPart("call_Qx4", [ImagePart(media_type="image/png", data="AAAA")])]
        ),
        Message("assistant", [TextPart("Fixed: parse() now returns [] for empty input.")]),
        Message("user", [TextPart("Thanks! Now commit it.")]),
    ]


def test_codex_turn_tools_and_settings_golden() -> None:
    request = decode_request(codex_body())
    shell, patch, view, issue = request.tools
    assert shell == Tool(
        "shell_command",
        "Runs a shell command and returns its output.",
        {
            "type": "object",
            "properties": {
                "command": {"type": "string", "description": "The shell script to execute"},
                "workdir": {"type": "string", "description": "The working directory"},
                "timeout_ms": {"type": "number"},
            },
            "required": ["command"],
            "additionalProperties": False,
        },
        strict=False,
    )
    # a free-text tool becomes a function with one string argument, its grammar in the text
    assert patch.name == "apply_patch"
    assert patch.input_schema == {
        "type": "object",
        "properties": {
            "input": {
                "type": "string",
                "description": "The raw input for this tool: free text, not JSON.",
            }
        },
        "required": ["input"],
    }
    assert patch.description == (
        "Use the `apply_patch` tool to edit files.\n\n"
        "The `input` argument must match this lark grammar:\n"
        'start: begin_patch hunk+ end_patch\nbegin_patch: "*** Begin Patch" LF\n'
        'end_patch: "*** End Patch" LF?'
    )
    assert view.name == "view_image"
    # namespace tools are flattened the way Codex itself used to spell MCP tools
    assert issue.name == "mcp__github__get_issue"
    assert issue.description == "Get an issue by number."
    # hosted tools are not canonical server tools: a Chat upstream would have to reject them
    assert request.server_tools == []
    assert request.tool_choice == ToolChoice("auto", parallel=True)
    assert request.thinking == ThinkingConfig("enabled", effort="medium", display="summarized")
    assert request.response_format is None
    assert {k: v for k, v in request.extra.items() if k != STATE_KEY} == {
        "store": False,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "019a3c2e-7c1d-7b40-9d55-2f0f3f6f8a11",
        "client_metadata": {
            "session_id": "019a3c2e-7c1d-7b40-9d55-2f0f3f6f8a11",
            "turn_id": "019a3c2e-91aa-7d20-8b3c-5e1f9a0c7d42",
        },
    }
    state = client_state(request)
    assert state.namespaces == {"mcp__github__get_issue": ("mcp__github", "get_issue")}
    assert list(state.custom_tools) == ["apply_patch"]
    assert state.hosted_tools == [{"type": "web_search", "external_web_access": False}]
    assert state.echo["tools"] == codex_body()["tools"]
    assert state.echo["text"] == {"verbosity": "low"}


def test_client_state_is_private_to_the_request() -> None:
    assert isinstance(decode_request(minimal()).extra[STATE_KEY], ClientState)
    assert client_state(decode_request(minimal())).namespaces == {}


# --------------------------------------------------------------------------- input shapes


def test_input_string_is_one_user_message() -> None:
    request = decode_request(minimal(input="hello"))
    assert request.messages == [Message("user", [TextPart("hello")])]
    assert request.system == []


def test_items_without_type_are_messages_and_string_content_works() -> None:
    body = minimal(
        input=[
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "q1"},
            {"role": "assistant", "content": "a1"},
            {"role": "developer", "content": [{"type": "input_text", "text": "late rule"}]},
            {"role": "user", "content": [{"type": "input_text", "text": "q2"}]},
        ]
    )
    request = decode_request(body)
    assert [p.text for p in request.system] == ["be brief", "late rule"]
    assert request.messages == [
        Message("user", [TextPart("q1")]),
        Message("assistant", [TextPart("a1")]),
        Message("user", [TextPart("q2")]),
    ]


def test_instructions_come_before_system_messages() -> None:
    body = minimal(instructions="base", input=[{"role": "system", "content": "extra"}])
    assert [p.text for p in decode_request(body).system] == ["base", "extra"]


def test_assistant_refusal_and_output_text_parts() -> None:
    body = minimal(
        input=[
            {
                "type": "message",
                "role": "assistant",
                "id": "msg_1",
                "status": "completed",
                "content": [
                    {"type": "output_text", "text": "Part one.", "annotations": []},
                    {"type": "refusal", "refusal": "I can't help with that."},
                ],
            }
        ]
    )
    assert decode_request(body).messages == [
        Message("assistant", [TextPart("Part one."), TextPart("I can't help with that.")])
    ]


def test_files_images_and_urls() -> None:
    text_b64 = "aGVsbG8gd29ybGQ="  # "hello world"
    body = minimal(
        input=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "input_image",
                        "image_url": "https://example.com/a.jpg",
                        "detail": "low",
                    },
                    {
                        "type": "input_file",
                        "filename": "spec.pdf",
                        "file_data": "data:application/pdf;base64,JVBERi0=",
                    },
                    {"type": "input_file", "file_url": "https://example.com/b.pdf"},
                    {
                        "type": "input_file",
                        "filename": "notes.txt",
                        "file_data": f"data:text/plain;base64,{text_b64}",
                    },
                ],
            }
        ]
    )
    assert decode_request(body).messages[0].parts == [
        ImagePart(url="https://example.com/a.jpg"),
        DocumentPart(media_type="application/pdf", data="JVBERi0=", title="spec.pdf"),
        DocumentPart(media_type="application/pdf", url="https://example.com/b.pdf"),
        DocumentPart(media_type="text/plain", text="hello world", title="notes.txt"),
    ]


def test_consecutive_outputs_merge_with_a_following_user_message() -> None:
    body = minimal(
        input=[
            {"type": "function_call", "call_id": "c1", "name": "a", "arguments": "{}"},
            {"type": "function_call", "call_id": "c2", "name": "b", "arguments": {"x": 1}},
            {"type": "function_call_output", "call_id": "c1", "output": "one"},
            {"type": "function_call_output", "call_id": "c2", "output": ""},
            {"role": "user", "content": "next"},
        ]
    )
    assert decode_request(body).messages == [
        Message("assistant", [ToolCallPart("c1", "a", "{}"), ToolCallPart("c2", "b", '{"x":1}')]),
        Message(
            "user",
            [ToolResultPart("c1", [TextPart("one")]), ToolResultPart("c2", []), TextPart("next")],
        ),
    ]


def test_unknown_items_are_kept_opaque_for_a_responses_upstream() -> None:
    search = {"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {}}
    shell_out = {"type": "local_shell_call_output", "call_id": "c", "output": "ok"}
    request = decode_request(minimal(input=[search, shell_out]))
    assert request.messages == [
        Message("assistant", [OpaquePart("openai_responses", search)]),
        Message("user", [OpaquePart("openai_responses", shell_out)]),
    ]


# --------------------------------------------------------------------------- reasoning state


def test_reasoning_with_item_id_keeps_both_halves() -> None:
    item = {
        "type": "reasoning",
        "id": "rs_abc",
        "summary": [
            {"type": "summary_text", "text": "first"},
            {"type": "summary_text", "text": "second"},
        ],
        "encrypted_content": "gAAAA-state",
    }
    (message,) = decode_request(minimal(input=[item])).messages
    assert message.parts == [
        ThinkingPart("first\n\nsecond", "rs_abc\ngAAAA-state", "openai_responses")
    ]


def test_raw_reasoning_text_when_there_is_no_summary() -> None:
    item = {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [],
        "content": [{"type": "reasoning_text", "text": "raw thoughts"}],
    }
    (message,) = decode_request(minimal(input=[item])).messages
    assert message.parts == [ThinkingPart("raw thoughts", None, "openai_responses")]


def test_sealed_foreign_thinking_is_unsealed_to_its_origin() -> None:
    original = ThinkingPart("Let me think.", "EqQBCkYIBxgCKkA-anthropic-sig", "anthropic")
    token = seal(original, native="openai_responses", include_text=False)
    assert token.startswith("cw1.")
    item = {
        "type": "reasoning",
        "id": "rs_minted_by_crosswire",
        "summary": [{"type": "summary_text", "text": "Let me think."}],
        "encrypted_content": token,
    }
    (message,) = decode_request(minimal(input=[item])).messages
    assert message.parts == [original]


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("choice", "parallel", "expected"),
    [
        ("auto", None, ToolChoice("auto")),
        ("none", False, ToolChoice("none", parallel=False)),
        ("required", None, ToolChoice("any")),
        ({"type": "function", "name": "Bash"}, None, ToolChoice("tool", "Bash")),
        ({"type": "custom", "name": "apply_patch"}, True, ToolChoice("tool", "apply_patch", True)),
        ({"type": "allowed_tools", "mode": "required", "tools": []}, None, ToolChoice("any")),
        ({"type": "web_search"}, None, ToolChoice("auto")),
        (None, False, ToolChoice("auto", parallel=False)),
        (None, None, None),
    ],
)
def test_tool_choice(choice: Any, parallel: Any, expected: ToolChoice | None) -> None:
    body = minimal()
    if choice is not None:
        body["tool_choice"] = choice
    if parallel is not None:
        body["parallel_tool_calls"] = parallel
    assert decode_request(body).tool_choice == expected


@pytest.mark.parametrize(
    ("reasoning", "expected"),
    [
        (None, ThinkingConfig()),
        ({"effort": "high"}, ThinkingConfig("enabled", effort="high")),
        ({"summary": "detailed"}, ThinkingConfig("enabled", display="summarized")),
        ({"effort": "none"}, ThinkingConfig("off", effort="none")),
        ({"effort": "minimal", "generate_summary": "concise"},
         ThinkingConfig("enabled", effort="minimal", display="summarized")),
    ],
)  # fmt: skip
def test_reasoning(reasoning: Any, expected: ThinkingConfig) -> None:
    body = minimal() if reasoning is None else minimal(reasoning=reasoning)
    assert decode_request(body).thinking == expected


def test_text_format_sampling_and_user() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    body = minimal(
        text={"format": {"type": "json_schema", "name": "out", "schema": schema, "strict": True}},
        max_output_tokens=2048,
        temperature=0.2,
        top_p=1,
        safety_identifier="user-123",
        metadata={"k": "v"},
    )
    request = decode_request(body)
    assert request.response_format == {"type": "json_schema", "schema": schema}
    assert (request.max_tokens, request.temperature, request.top_p) == (2048, 0.2, 1.0)
    assert request.user_id == "user-123"
    assert request.extra["metadata"] == {"k": "v"}
    assert decode_request(minimal(text={"format": {"type": "json_object"}})).response_format == {
        "type": "json_object"
    }
    assert decode_request(minimal(text={"format": {"type": "text"}})).response_format is None


def test_parameterless_function_gets_an_empty_object_schema() -> None:
    body = minimal(tools=[{"type": "function", "name": "now", "parameters": None, "strict": True}])
    (tool,) = decode_request(body).tools
    assert tool == Tool("now", None, {"type": "object", "properties": {}}, strict=True)


# --------------------------------------------------------------------------- errors


def test_previous_response_id_is_a_clear_400() -> None:
    with pytest.raises(InvalidRequestError) as info:
        decode_request(minimal(previous_response_id="resp_123"))
    assert info.value.status == 400
    assert info.value.message == (
        "previous_response_id: crosswire is stateless: send the full input with store=false"
    )
    with pytest.raises(InvalidRequestError, match="item_reference needs stored responses"):
        decode_request(minimal(input=[{"type": "item_reference", "id": "msg_1"}]))


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda b: b.update(model=""), "model"),
        (lambda b: b.update(input=7), "input"),
        (lambda b: b.update(instructions=["x"]), "instructions"),
        (lambda b: b["input"].append("str"), "input.15"),
        (lambda b: b["input"].append({"role": "tool", "content": "x"}), "input.15.role"),
        (lambda b: b["input"][5].pop("call_id"), "input.5.call_id"),
        (lambda b: b["input"][5].update(name=None), "input.5.name"),
        (lambda b: b["input"][8].update(output=3), "input.8.output"),
        (
            lambda b: b["input"][3]["content"].append({"type": "input_audio"}),
            "input.3.content.2.type",
        ),
        (
            lambda b: b["input"][3]["content"][1].update(image_url=None),
            "input.3.content.1.image_url",
        ),
        (lambda b: b["input"][0]["content"].append({"type": "input_image"}), "input.0.content.1"),
        (lambda b: b["input"][4].update(summary="x"), "input.4.summary"),
        (lambda b: b["tools"].append("x"), "tools.5"),
        (lambda b: b["tools"][3]["tools"].append({"type": "mcp"}), "tools.3.tools.1.name"),
        (lambda b: b["tools"][0].update(parameters=[]), "tools.0.parameters"),
        (lambda b: b.update(tool_choice="sometimes"), "tool_choice"),
        (lambda b: b.update(parallel_tool_calls="yes"), "parallel_tool_calls"),
        (lambda b: b.update(reasoning={"effort": 3}), "reasoning.effort"),
        (lambda b: b.update(text={"format": {"type": "xml"}}), "text.format.type"),
        (lambda b: b.update(max_output_tokens=-1), "max_output_tokens"),
        (lambda b: b.update(temperature="hot"), "temperature"),
    ],
)
def test_malformed_input_is_a_400_with_the_json_path(mutate: Any, path: str) -> None:
    body = copy.deepcopy(codex_body())
    mutate(body)
    with pytest.raises(InvalidRequestError) as info:
        decode_request(body)
    assert info.value.message.startswith(path + ":") or info.value.message.startswith(path + " ")


def test_file_ids_need_storage() -> None:
    body = minimal(input=[{"role": "user", "content": [{"type": "input_image", "file_id": "f"}]}])
    with pytest.raises(InvalidRequestError, match=r"input\.0\.content\.0\.file_id"):
        decode_request(body)


@pytest.mark.parametrize("body", [None, [], "x", 3])
def test_body_must_be_an_object(body: Any) -> None:
    with pytest.raises(InvalidRequestError):
        decode_request(body)
