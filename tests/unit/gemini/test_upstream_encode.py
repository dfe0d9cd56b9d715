"""Canonical Request → Gemini generateContent body (formats/gemini/request_encoder.py)."""

from __future__ import annotations

import itertools
import json
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
from crosswire.formats.anthropic import decode_request as decode_anthropic
from crosswire.formats.gemini import encode_request
from crosswire.formats.gemini.signatures import SKIP_VALIDATOR
from crosswire.formats.gemini.wire import synthetic_call_id

from ..helpers import MESSAGE_FIXTURES, load_fixture

SIG = "CiQBjz1rX4sHl0Y2nY5c1KvTq2xq0sdfQ8Jm3s9wPKvURIxJ"
BASH = Tool(
    "Bash",
    "Run a command",
    {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"command": {"type": "string"}},
        "required": ["command"],
        "additionalProperties": False,
    },
    defer_loading=True,
    cache_control={"type": "ephemeral"},
)
BASH_WIRE = {
    "name": "Bash",
    "description": "Run a command",
    "parameters": {
        "type": "object",
        "properties": {"command": {"type": "string"}},
        "required": ["command"],
    },
}


def user(*parts: Any) -> Message:
    return Message("user", list(parts))


def model(*parts: Any) -> Message:
    return Message("assistant", list(parts))


def test_minimal_body() -> None:
    request = Request(model="claude-x", messages=[user(TextPart("hi"))])
    assert encode_request(request, "gemini-2.5-flash") == {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}]
    }


def test_golden_tool_loop() -> None:
    request = Request(
        model="claude-x",
        system=[
            TextPart("You are terse.", {"type": "ephemeral"}),
            TextPart(""),
            TextPart("Be kind."),
        ],
        messages=[
            user(TextPart("list files")),
            model(
                TextPart("Sure."),
                ToolCallPart("toolu_01", "Bash", '{"command": "ls"}'),
                ToolCallPart("toolu_02", "Bash", '{"command": "pwd"}'),
            ),
            user(
                ToolResultPart("toolu_01", [TextPart("a.txt\nb.txt")]),
                ToolResultPart("toolu_02", [TextPart("no such dir")], is_error=True),
                TextPart("<system-reminder>keep going</system-reminder>"),
            ),
        ],
        max_tokens=4096,
        temperature=0.2,
        top_p=0.9,
        top_k=40,
        stop=["END"],
        tools=[BASH],
        tool_choice=ToolChoice("auto", parallel=False),
    )
    assert encode_request(request, "gemini-2.5-flash") == {
        "systemInstruction": {"parts": [{"text": "You are terse."}, {"text": "Be kind."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "list files"}]},
            {
                "role": "model",
                "parts": [
                    {"text": "Sure."},
                    {
                        "functionCall": {
                            "id": "toolu_01", "name": "Bash", "args": {"command": "ls"}
                        },
                        "thoughtSignature": SKIP_VALIDATOR,
                    },
                    {"functionCall": {
                        "id": "toolu_02", "name": "Bash", "args": {"command": "pwd"}}},
                ],
            },
            {
                "role": "user",
                "parts": [
                    {"functionResponse": {"id": "toolu_01", "name": "Bash",
                                          "response": {"output": "a.txt\nb.txt"}}},
                    {"functionResponse": {"id": "toolu_02", "name": "Bash",
                                          "response": {"error": "no such dir"}}},
                    {"text": "<system-reminder>keep going</system-reminder>"},
                ],
            },
        ],
        "tools": [{"functionDeclarations": [BASH_WIRE]}],
        "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
        "generationConfig": {
            "maxOutputTokens": 4096, "temperature": 0.2, "topP": 0.9, "topK": 40,
            "stopSequences": ["END"],
        },
    }  # fmt: skip


def test_synthetic_ids_are_not_sent_and_names_come_from_the_call() -> None:
    call_id = synthetic_call_id("resp", 0, "Read")
    request = Request(
        model="m",
        messages=[
            user(TextPart("read it")),
            model(ToolCallPart(call_id, "Read", '{"file_path": "/a"}')),
            user(ToolResultPart(call_id, [TextPart("contents")])),
        ],
    )
    contents = encode_request(request, "gemini-2.5-pro")["contents"]
    assert contents[1]["parts"][0]["functionCall"] == {"name": "Read", "args": {"file_path": "/a"}}
    assert contents[2]["parts"] == [
        {"functionResponse": {"name": "Read", "response": {"output": "contents"}}}
    ]


def test_result_for_an_unknown_call_uses_its_own_name() -> None:
    request = Request(
        model="m",
        messages=[user(ToolResultPart("gone", [TextPart("x")], name="Grep"), TextPart("go"))],
    )
    parts = encode_request(request, "gemini-2.5-pro")["contents"][0]["parts"]
    assert parts[0]["functionResponse"]["name"] == "Grep"
    request.messages[0].parts[0].name = None  # type: ignore[union-attr]
    parts = encode_request(request, "gemini-2.5-pro")["contents"][0]["parts"]
    assert parts[0]["functionResponse"]["name"] == "unknown_function"


def test_gemini_signature_replayed_on_the_part_that_carried_it() -> None:
    request = Request(
        model="m",
        messages=[
            user(TextPart("go")),
            model(
                ThinkingPart("summary of thoughts", origin="gemini"),
                TextPart("Checking."),
                ThinkingPart("", signature=SIG, origin="gemini"),
                ToolCallPart("cwg_1", "Bash", '{"command":"ls"}'),
                ToolCallPart("cwg_2", "Bash", '{"command":"pwd"}'),
            ),
            user(
                ToolResultPart("cwg_1", [TextPart("a")]), ToolResultPart("cwg_2", [TextPart("/")])
            ),
        ],
    )
    parts = encode_request(request, "gemini-3-pro-preview")["contents"][1]["parts"]
    assert parts == [
        {"text": "Checking."},
        {"functionCall": {"name": "Bash", "args": {"command": "ls"}}, "thoughtSignature": SIG},
        {"functionCall": {"name": "Bash", "args": {"command": "pwd"}}},
    ]


def test_signature_with_no_part_after_it_goes_on_the_last_part() -> None:
    request = Request(
        model="m",
        messages=[
            user(TextPart("hi")),
            model(TextPart("Hello."), ThinkingPart("", signature=SIG, origin="gemini")),
            user(TextPart("again")),
        ],
    )
    parts = encode_request(request, "gemini-2.5-pro")["contents"][1]["parts"]
    assert parts == [{"text": "Hello.", "thoughtSignature": SIG}]


def test_foreign_and_unsigned_thinking_dropped_and_placeholder_only_in_current_turn() -> None:
    request = Request(
        model="m",
        messages=[
            user(TextPart("first task")),
            model(
                ThinkingPart("anthropic thoughts", signature="EqQBsig", origin="anthropic"),
                RedactedThinkingPart("opaque", origin="anthropic"),
                ToolCallPart("toolu_a", "Bash", "{}"),
            ),
            user(ToolResultPart("toolu_a", [TextPart("ok")])),
            model(TextPart("Done.")),
            user(TextPart("second task")),
            model(ThinkingPart("plain reasoning"), ToolCallPart("call_b", "Read", "{}")),
            user(ToolResultPart("call_b", [TextPart("data")])),
            model(ThinkingPart("more", origin="openai_chat"), ToolCallPart("call_c", "Read", "{}")),
            user(ToolResultPart("call_c", [TextPart("more data")])),
        ],
    )
    contents = encode_request(request, "gemini-3-flash")["contents"]
    assert [c["role"] for c in contents] == ["user", "model"] * 4 + ["user"]
    (old_call,) = contents[1]["parts"]
    assert old_call == {"functionCall": {"id": "toolu_a", "name": "Bash", "args": {}}}
    for step in (contents[5], contents[7]):  # both steps of the current turn
        (call,) = step["parts"]
        assert call["thoughtSignature"] == SKIP_VALIDATOR
    text = json.dumps(contents)
    for dropped in ("anthropic thoughts", "EqQBsig", "opaque", "plain reasoning", '"more"'):
        assert dropped not in text


def test_history_starting_with_the_model_gets_a_user_turn_and_same_roles_merge() -> None:
    request = Request(
        model="m",
        messages=[
            model(TextPart("I am a prefilled greeting.")),
            user(TextPart("one")),
            user(TextPart("two")),
            model(ThinkingPart("only foreign thinking", signature="x", origin="anthropic")),
            user(TextPart("three")),
        ],
    )
    contents = encode_request(request, "gemini-2.5-pro")["contents"]
    assert contents == [
        {"role": "user", "parts": [{"text": "(The conversation continues.)"}]},
        {"role": "model", "parts": [{"text": "I am a prefilled greeting."}]},
        {"role": "user", "parts": [{"text": "one"}, {"text": "two"}, {"text": "three"}]},
    ]


def test_empty_conversation_is_a_400() -> None:
    with pytest.raises(InvalidRequestError):
        encode_request(Request(model="m", messages=[user(TextPart(""))]), "gemini-2.5-pro")


def test_images_and_documents() -> None:
    request = Request(
        model="m",
        messages=[
            user(
                ImagePart("image/png", data="iVBORw0KGgo="),
                ImagePart(url="https://example.com/cat.png"),
                ImagePart(
                    "image/jpeg", url="https://generativelanguage.googleapis.com/v1beta/files/abc"
                ),
                ImagePart(url="data:image/webp;base64,UklGRg=="),
                DocumentPart("application/pdf", data="JVBERi0="),
                DocumentPart("text/plain", text="notes", title="README"),
                DocumentPart("application/pdf", url="https://example.com/a.pdf"),
            )
        ],
    )
    parts = encode_request(request, "gemini-2.5-pro")["contents"][0]["parts"]
    assert parts == [
        {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
        {"text": "[image at https://example.com/cat.png — not attached: the gateway does not "
                 "fetch URLs]"},
        {"fileData": {"mimeType": "image/jpeg",
                      "fileUri": "https://generativelanguage.googleapis.com/v1beta/files/abc"}},
        {"inlineData": {"mimeType": "image/webp", "data": "UklGRg=="}},
        {"inlineData": {"mimeType": "application/pdf", "data": "JVBERi0="}},
        {"text": "README\nnotes"},
        {"text": "[document at https://example.com/a.pdf — not attached: the gateway does not "
                 "fetch URLs]"},
    ]  # fmt: skip


def test_images_in_tool_results() -> None:
    result = ToolResultPart(
        "toolu_s", [TextPart("screenshot taken"), ImagePart("image/png", data="AAAA")]
    )
    request = Request(
        model="m",
        messages=[
            user(TextPart("shoot")),
            model(ToolCallPart("toolu_s", "Screenshot", "{}")),
            user(result, TextPart("what do you see?")),
        ],
    )
    on_25 = encode_request(request, "gemini-2.5-pro")["contents"][2]["parts"]
    assert on_25 == [
        {"functionResponse": {"id": "toolu_s", "name": "Screenshot",
                              "response": {"output": "screenshot taken"}}},
        {"inlineData": {"mimeType": "image/png", "data": "AAAA"}},
        {"text": "what do you see?"},
    ]  # fmt: skip
    on_3 = encode_request(request, "gemini-3-pro-preview")["contents"][2]["parts"]
    assert on_3 == [
        {"functionResponse": {"id": "toolu_s", "name": "Screenshot",
                              "response": {"output": "screenshot taken"},
                              "parts": [
                                  {"inlineData": {"mimeType": "image/png", "data": "AAAA"}}]}},
        {"text": "what do you see?"},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (ToolChoice("auto"), {"mode": "AUTO"}),
        (ToolChoice("any"), {"mode": "ANY"}),
        (ToolChoice("tool", name="Bash"), {"mode": "ANY", "allowedFunctionNames": ["Bash"]}),
        (ToolChoice("none"), {"mode": "NONE"}),
    ],
)
def test_tool_choice(choice: ToolChoice, expected: dict[str, Any]) -> None:
    request = Request(model="m", messages=[user(TextPart("q"))], tools=[BASH], tool_choice=choice)
    body = encode_request(request, "gemini-2.5-pro")
    assert body["toolConfig"] == {"functionCallingConfig": expected}


def test_no_parameters_means_no_parameters_field() -> None:
    request = Request(
        model="m",
        messages=[user(TextPart("q"))],
        tools=[Tool("Now", None, {"type": "object", "properties": {}}), Tool("Ping")],
    )
    decls = encode_request(request, "gemini-2.5-pro")["tools"][0]["functionDeclarations"]
    assert decls == [{"name": "Now"}, {"name": "Ping"}]


def test_server_tools() -> None:
    request = Request(
        model="m",
        messages=[user(TextPart("q"))],
        server_tools=[
            ServerTool("googleSearch", "googleSearch", "web_search", {}, origin="gemini"),
            ServerTool(
                "web_fetch_20250910", "web_fetch", "web_fetch", {"max_uses": 3}, "anthropic"
            ),
            ServerTool("memory_20250818", "memory", "memory", {}, origin="anthropic"),
        ],
    )
    assert encode_request(request, "gemini-2.5-pro")["tools"] == [
        {"googleSearch": {}},
        {"urlContext": {}},
    ]


@pytest.mark.parametrize(
    ("thinking", "model_name", "expected"),
    [
        (ThinkingConfig(), "gemini-2.5-pro", None),
        (ThinkingConfig(budget_tokens=0), "gemini-2.5-flash", {"thinkingBudget": 0}),
        (ThinkingConfig("enabled", 10000), "gemini-2.5-pro",
         {"includeThoughts": True, "thinkingBudget": 10000}),
        (ThinkingConfig("enabled", 60000), "gemini-2.5-flash",
         {"includeThoughts": True, "thinkingBudget": 24576}),
        (ThinkingConfig("adaptive"), "gemini-2.5-pro",
         {"includeThoughts": True, "thinkingBudget": -1}),
        (ThinkingConfig("adaptive", effort="medium", display="omitted"), "gemini-2.5-pro",
         {"includeThoughts": False, "thinkingBudget": 8192}),
        (ThinkingConfig("adaptive", effort="high"), "gemini-3-pro-preview",
         {"includeThoughts": True, "thinkingLevel": "HIGH"}),
        (ThinkingConfig("enabled", 2048, effort="low"), "gemini-3-flash",
         {"includeThoughts": True, "thinkingLevel": "LOW"}),
        (ThinkingConfig("enabled", 2048), "gemini-3-flash",
         {"includeThoughts": True, "thinkingBudget": 2048}),
        (ThinkingConfig("adaptive"), "gemini-3-pro-preview", {"includeThoughts": True}),
    ],
)  # fmt: skip
def test_thinking_config(
    thinking: ThinkingConfig, model_name: str, expected: dict[str, Any] | None
) -> None:
    request = Request(model="m", messages=[user(TextPart("q"))], thinking=thinking)
    config = encode_request(request, model_name).get("generationConfig", {})
    assert config.get("thinkingConfig") == expected


def test_stop_sequences_capped_and_json_output() -> None:
    request = Request(
        model="m",
        messages=[user(TextPart("q"))],
        stop=["a", "b", "c", "d", "e", "f"],
        response_format={
            "type": "json_schema",
            "schema": {"$schema": "x", "type": "object", "properties": {"n": {"type": "integer"}}},
        },
    )
    config = encode_request(request, "gemini-2.5-pro")["generationConfig"]
    assert config == {
        "stopSequences": ["a", "b", "c", "d", "e"],
        "responseMimeType": "application/json",
        "responseJsonSchema": {"type": "object", "properties": {"n": {"type": "integer"}}},
    }
    request.response_format = {"type": "json_object"}
    config = encode_request(request, "gemini-2.5-pro")["generationConfig"]
    assert config["responseMimeType"] == "application/json" and "responseJsonSchema" not in config


def test_gemini_client_extras_relayed_only_from_gemini_clients() -> None:
    extra = {
        "safetySettings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"}],
        "cachedContent": "cachedContents/abc",
        "labels": {"team": "a"},
        "generationConfig": {"seed": 7, "presencePenalty": 0.5},
        "toolConfig": {"functionCallingConfig": {"mode": "ANY",
                                                 "allowedFunctionNames": ["Bash", "Read"]}},
        "context_management": {"edits": []},
    }  # fmt: skip
    request = Request(
        model="m", messages=[user(TextPart("q"))], tools=[BASH], tool_choice=ToolChoice("any"),
        extra=extra, client_format="gemini",
    )  # fmt: skip
    body = encode_request(request, "gemini-2.5-pro")
    assert body["safetySettings"] == extra["safetySettings"]
    assert body["cachedContent"] == "cachedContents/abc"
    assert "labels" not in body  # the Developer API rejects labels
    assert encode_request(request, "gemini-2.5-pro", vertex=True)["labels"] == {"team": "a"}
    assert body["generationConfig"] == {"seed": 7, "presencePenalty": 0.5}
    assert body["toolConfig"] == extra["toolConfig"]
    assert "context_management" not in body
    request.client_format = "anthropic"
    body = encode_request(request, "gemini-2.5-pro")
    assert set(body) == {"contents", "tools", "toolConfig"}
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}


def test_opaque_gemini_parts_relayed_others_dropped() -> None:
    code = {"executableCode": {"language": "PYTHON", "code": "1+1"}}
    request = Request(
        model="m",
        messages=[
            user(TextPart("q")),
            model(OpaquePart("gemini", code), OpaquePart("anthropic", {"type": "server_tool_use"})),
        ],
    )
    assert encode_request(request, "gemini-2.5-pro")["contents"][1]["parts"] == [code]


@pytest.mark.parametrize("name", MESSAGE_FIXTURES)
def test_claude_code_fixtures_encode_and_serialise(name: str) -> None:
    request = decode_anthropic(load_fixture(name))
    body = encode_request(request, "gemini-2.5-pro")
    text = json.dumps(body)
    for rejected in ('"$schema"', '"additionalProperties"', '"cache_control"', '"defer_loading"',
                     '"exclusiveMinimum"', '"const"', '"oneOf"', '"$ref"', "cw1."):  # fmt: skip
        assert rejected not in text, f"{rejected} in the body for {name}"
    roles = [c["role"] for c in body["contents"]]
    assert roles[0] == "user"
    assert all(a != b for a, b in itertools.pairwise(roles)), roles
