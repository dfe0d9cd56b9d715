"""Gemini client requests (Gemini CLI, google-genai) → canonical Request."""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any

import pytest

from crosswire.canonical import (
    DocumentPart,
    ImagePart,
    InvalidRequestError,
    Message,
    OpaquePart,
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
from crosswire.formats.base import ClientContext
from crosswire.formats.gemini import decode_count_tokens, decode_request
from crosswire.formats.gemini.signatures import client_signature
from crosswire.formats.opaque import seal
from crosswire.jsonutil import dumps_str

CTX = ClientContext(path_model="gemini-2.5-pro", stream=True)
SIG = "CiQBjz1rX4sHl0Y2nY5c1KvTq2xq0sdfQ8Jm3s9wPKvURIxJ"


def decode(body: dict[str, Any], context: ClientContext = CTX) -> Request:
    return decode_request(body, context)


def user(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "parts": list(parts)}


def model(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": "model", "parts": list(parts)}


# A Gemini CLI style request: system instruction, declarations with parametersJsonSchema,
# a tool loop where the model's calls have no ids and the CLI answers with its own ids.
CLI_BODY: dict[str, Any] = {
    "contents": [
        user({"text": "What is in this folder?"}),
        model(
            {"text": "Let me look.", "thoughtSignature": SIG},
            {"functionCall": {"name": "list_directory", "args": {"path": "/w"}}},
            {"functionCall": {"name": "read_file", "args": {"absolute_path": "/w/a.md"}}},
        ),
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"id": "list_directory-1731-abc", "name": "list_directory",
                                      "response": {"output": "a.md\nb.py"}}},
                {"functionResponse": {"id": "read_file-1731-def", "name": "read_file",
                                      "response": {"error": "permission denied"}}},
            ],
        },
    ],
    "systemInstruction": {"role": "user", "parts": [{"text": "You are Gemini CLI."}]},
    "tools": [
        {
            "functionDeclarations": [
                {
                    "name": "list_directory",
                    "description": "Lists a directory.",
                    "parametersJsonSchema": {
                        "type": "object",
                        "properties": {"path": {"type": "string"}},
                        "required": ["path"],
                    },
                },
                {"name": "read_file", "parameters": {"type": "OBJECT", "properties": {
                    "absolute_path": {"type": "STRING", "nullable": True}}}},
                {"name": "get_time"},
            ]
        },
        {"googleSearch": {}},
    ],
    "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
    "generationConfig": {
        "temperature": 0,
        "topP": 1,
        "maxOutputTokens": 8192,
        "thinkingConfig": {"includeThoughts": True, "thinkingBudget": 8192},
    },
    "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
}  # fmt: skip


def test_gemini_cli_request_golden() -> None:
    request = decode(CLI_BODY)
    assert request.model == "gemini-2.5-pro" and request.stream is True
    assert request.client_format == "gemini"
    assert request.system == [TextPart("You are Gemini CLI.")]
    first, second = (request.messages[1].parts[2], request.messages[1].parts[3])
    assert isinstance(first, ToolCallPart) and isinstance(second, ToolCallPart)
    assert request.messages == [
        Message("user", [TextPart("What is in this folder?")]),
        Message(
            "assistant",
            [
                ThinkingPart("", signature=SIG, origin="gemini"),
                TextPart("Let me look."),
                ToolCallPart(first.id, "list_directory", '{"path":"/w"}'),
                ToolCallPart(second.id, "read_file", '{"absolute_path":"/w/a.md"}'),
            ],
        ),
        Message(
            "user",
            [
                ToolResultPart(first.id, [TextPart("a.md\nb.py")], name="list_directory"),
                ToolResultPart(
                    second.id, [TextPart("permission denied")], is_error=True, name="read_file"
                ),
            ],
        ),
    ]
    assert first.id.startswith("cwg_") and first.id != second.id
    assert request.tools == [
        Tool("list_directory", "Lists a directory.", {
            "type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}),
        Tool("read_file", None, {"type": "object", "properties": {
            "absolute_path": {"type": ["string", "null"]}}}),
        Tool("get_time", None, {"type": "object", "properties": {}}),
    ]  # fmt: skip
    assert request.server_tools == [
        ServerTool("googleSearch", "googleSearch", "web_search", {}, origin="gemini")
    ]
    assert request.tool_choice == ToolChoice("auto")
    assert (request.temperature, request.top_p, request.max_tokens) == (0.0, 1.0, 8192)
    assert request.thinking == ThinkingConfig("enabled", 8192, display="summarized")
    assert request.extra == {"safetySettings": CLI_BODY["safetySettings"]}


def test_synthetic_ids_are_stable_across_turns() -> None:
    first = decode(CLI_BODY)
    longer = json.loads(json.dumps(CLI_BODY))
    longer["contents"] += [model({"text": "Done."}), user({"text": "thanks"})]
    second = decode(longer)
    ids = [p.id for p in first.messages[1].parts if isinstance(p, ToolCallPart)]
    assert ids == [p.id for p in second.messages[1].parts if isinstance(p, ToolCallPart)]


def test_responses_match_by_id_then_by_name_and_order() -> None:
    body = {
        "contents": [
            user({"text": "go"}),
            model(
                {"functionCall": {"id": "call_9", "name": "Bash", "args": {"c": 1}}},
                {"functionCall": {"name": "Bash", "args": {"c": 2}}},
                {"functionCall": {"name": "Bash", "args": {"c": 3}}},
            ),
            user(
                {"functionResponse": {"name": "Bash", "response": {"output": "second"}}},
                {"functionResponse": {"id": "call_9", "name": "Bash", "response": {"output": "1"}}},
                {"functionResponse": {"name": "Bash", "response": {"output": "third"}}},
                {"functionResponse": {"name": "Orphan", "response": {"result": "?"}}},
            ),
        ]
    }
    request = decode(body)
    calls = [p for p in request.messages[1].parts if isinstance(p, ToolCallPart)]
    results = [p for p in request.messages[2].parts if isinstance(p, ToolResultPart)]
    assert [r.tool_call_id for r in results[:3]] == [calls[1].id, "call_9", calls[2].id]
    assert results[3].tool_call_id.startswith("cwg_")
    assert results[3].tool_call_id not in {c.id for c in calls}


def test_response_payload_shapes() -> None:
    body = {
        "contents": [
            user({"text": "go"}),
            model(*({"functionCall": {"name": f"f{i}"}} for i in range(5))),
            user(
                {"functionResponse": {"name": "f0", "response": {"output": "plain"}}},
                {"functionResponse": {"name": "f1", "response": {"result": {"rows": 2}}}},
                {"functionResponse": {"name": "f2", "response": {"error": {"code": 3}}}},
                {"functionResponse": {"name": "f3", "response": {}}},
                {"functionResponse": {
                    "name": "f4", "response": {"output": "see image"},
                    "parts": [{"inlineData": {"mimeType": "image/png", "data": "AAAA"}}]}},
            ),
        ]
    }  # fmt: skip
    results = decode(body).messages[2].parts
    assert [(r.content, r.is_error) for r in results] == [  # type: ignore[union-attr]
        ([TextPart("plain")], False),
        ([TextPart('{"result":{"rows":2}}')], False),
        ([TextPart('{"code":3}')], True),
        ([], False),
        ([TextPart("see image"), ImagePart("image/png", "AAAA")], False),
    ]


def test_thought_parts_and_sealed_foreign_state() -> None:
    anthropic = ThinkingPart("Let me think.", signature="EqQBanthropic", origin="anthropic")
    token = client_signature(anthropic)
    base64.b64decode(token, validate=True)  # valid base64, as the SDKs require
    body = {
        "contents": [
            user({"text": "q"}),
            model(
                {"text": "Let me think.", "thought": True},
                {"functionCall": {"id": "toolu_1", "name": "Bash", "args": {}},
                 "thoughtSignature": token},
            ),
            user({"functionResponse": {"id": "toolu_1", "name": "Bash", "response": {}}}),
            model(
                {"functionCall": {"id": "toolu_2", "name": "Bash", "args": {}},
                 "thoughtSignature": token.rstrip("=").replace("+", "-").replace("/", "_")},
            ),
        ]
    }  # fmt: skip
    request = decode(body)
    assert request.messages[1].parts[0] == anthropic  # merged into the thought part
    assert len(request.messages[1].parts) == 2
    # Gemini CLI drops thought parts: the state alone brings the text back (URL-safe, unpadded)
    assert request.messages[3].parts[0] == anthropic


def test_thought_part_with_its_own_signature_and_signature_only_parts() -> None:
    body = {
        "contents": [
            user({"text": "q"}),
            model(
                {"text": "summary", "thought": True, "thoughtSignature": SIG},
                {"text": "", "thoughtSignature": "AAAA"},
                {"thoughtSignature": "BBBB"},
            ),
        ]
    }
    parts = decode(body).messages[1].parts
    assert parts == [
        ThinkingPart("summary", signature=SIG, origin="gemini"),
        ThinkingPart("", signature="AAAA", origin="gemini"),
        ThinkingPart("", signature="BBBB", origin="gemini"),
    ]


def test_media_parts() -> None:
    text_b64 = base64.b64encode("héllo".encode()).decode()
    body = {
        "contents": [
            {
                "parts": [  # no role: user
                    {"inlineData": {"mimeType": "image/jpeg", "data": "/9j/"}},
                    {"inlineData": {"mimeType": "application/pdf", "data": "JVBERi0="}},
                    {"inlineData": {"mimeType": "text/plain", "data": text_b64}},
                    {"inlineData": {"mimeType": "audio/wav", "data": "UklGRg=="}},
                    {"fileData": {"mimeType": "image/png", "fileUri": "https://x.test/a.png"}},
                    {"fileData": {"fileUri": "https://x.test/b"}},
                    {
                        "fileData": {
                            "mimeType": "application/pdf",
                            "fileUri": "https://x.test/c.pdf",
                        }
                    },
                    {"file_data": {"mime_type": "video/mp4", "file_uri": "https://youtu.be/x"}},
                ]
            }
        ]
    }
    parts = decode(body).messages[0].parts
    assert parts == [
        ImagePart("image/jpeg", data="/9j/"),
        DocumentPart("application/pdf", data="JVBERi0="),
        DocumentPart("text/plain", text="héllo"),
        OpaquePart("gemini", {"inlineData": {"mimeType": "audio/wav", "data": "UklGRg=="}}),
        ImagePart("image/png", url="https://x.test/a.png"),
        ImagePart(None, url="https://x.test/b"),
        DocumentPart("application/pdf", url="https://x.test/c.pdf"),
        OpaquePart(
            "gemini", {"file_data": {"mime_type": "video/mp4", "file_uri": "https://youtu.be/x"}}
        ),
    ]


def test_snake_case_and_roles_merge() -> None:
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "a"}]},
            {"role": "user", "parts": [{"text": "b"}]},
            {"role": "model", "parts": [{"function_call": {"name": "f", "args": {}}}]},
            {"role": "function", "parts": [{"function_response": {"name": "f", "response": {}}}]},
        ],
        "system_instruction": {"parts": [{"text": "sys"}]},
        "generation_config": {"max_output_tokens": 10, "stop_sequences": ["x"]},
    }
    request = decode(body)
    assert [m.role for m in request.messages] == ["user", "assistant", "user"]
    assert request.messages[0].parts == [TextPart("a"), TextPart("b")]
    assert request.system == [TextPart("sys")]
    assert (request.max_tokens, request.stop) == (10, ["x"])


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"thinkingBudget": 0}, ThinkingConfig("off", 0)),
        ({"thinkingBudget": -1}, ThinkingConfig("adaptive", display="omitted")),
        ({"thinkingBudget": 1024, "includeThoughts": True},
         ThinkingConfig("enabled", 1024, display="summarized")),
        ({"thinkingLevel": "LOW"}, ThinkingConfig("adaptive", effort="low", display="omitted")),
        ({"thinkingLevel": "high", "includeThoughts": True},
         ThinkingConfig("adaptive", effort="high", display="summarized")),
        ({"includeThoughts": True}, ThinkingConfig("adaptive", display="summarized")),
        ({}, ThinkingConfig()),
    ],
)  # fmt: skip
def test_thinking_config(config: dict[str, Any], expected: ThinkingConfig) -> None:
    body = {"contents": [user({"text": "q"})], "generationConfig": {"thinkingConfig": config}}
    assert decode(body).thinking == expected


@pytest.mark.parametrize(
    ("config", "choice", "kept"),
    [
        ({"mode": "ANY"}, ToolChoice("any"), False),
        ({"mode": "ANY", "allowedFunctionNames": ["Bash"]}, ToolChoice("tool", "Bash"), False),
        ({"mode": "ANY", "allowedFunctionNames": ["A", "B"]}, ToolChoice("any"), True),
        ({"mode": "NONE"}, ToolChoice("none"), False),
        ({"mode": "VALIDATED"}, ToolChoice("auto"), True),
        ({}, ToolChoice("auto"), False),
    ],
)
def test_function_calling_config(config: dict[str, Any], choice: ToolChoice, kept: bool) -> None:
    tool_config = {"functionCallingConfig": config}
    body = {"contents": [user({"text": "q"})], "toolConfig": tool_config}
    request = decode(body)
    assert request.tool_choice == choice
    assert ("toolConfig" in request.extra) is kept


def test_structured_output_and_extras() -> None:
    body = {
        "contents": [user({"text": "q"})],
        "generationConfig": {
            "responseMimeType": "application/json",
            "responseSchema": {"type": "OBJECT", "properties": {"n": {"type": "INTEGER"}}},
            "seed": 3,
            "candidateCount": 1,
        },
        "cachedContent": "cachedContents/x",
    }
    request = decode(body)
    assert request.response_format == {
        "type": "json_schema",
        "schema": {"type": "object", "properties": {"n": {"type": "integer"}}},
    }
    assert request.extra == {"generationConfig": {"seed": 3}, "cachedContent": "cachedContents/x"}
    body["generationConfig"] = {"responseMimeType": "application/json"}
    assert decode(body).response_format == {"type": "json_object"}
    body["generationConfig"] = {"responseMimeType": "application/json", "responseJsonSchema": {
        "type": "object", "additionalProperties": False}}  # fmt: skip
    assert decode(body).response_format == {
        "type": "json_schema", "schema": {"type": "object", "additionalProperties": False},
    }  # fmt: skip


def test_model_from_path_or_body_and_count_tokens() -> None:
    body = {"contents": [user({"text": "q"})]}
    assert decode(body, ClientContext(path_model="models/gemini-x")).model == "gemini-x"
    assert decode({**body, "model": "models/g"}, ClientContext()).stream is False
    assert decode({**body, "model": "models/g"}, ClientContext()).model == "g"
    inner = {
        "model": "models/gemini-y",
        **body,
        "tools": [{"functionDeclarations": [{"name": "f"}]}],
    }
    counted = decode_count_tokens({"generateContentRequest": inner}, ClientContext())
    assert counted.model == "gemini-y" and [t.name for t in counted.tools] == ["f"]
    assert decode_count_tokens(body, CTX).messages == [Message("user", [TextPart("q")])]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ([], "request body"),
        ({}, "contents"),
        ({"contents": [3]}, "contents.0"),
        ({"contents": [{"role": "system", "parts": []}]}, "contents.0.role"),
        ({"contents": [{"role": "user"}]}, "contents.0.parts"),
        ({"contents": [user("x")]}, "contents.0.parts.0"),  # type: ignore[arg-type]
        ({"contents": [user({"text": 5})]}, "contents.0.parts.0.text"),
        ({"contents": [user({"functionCall": {"name": "f"}})]}, "contents.0.parts.0.functionCall"),
        ({"contents": [model({"functionCall": {"name": ""}})]},
         "contents.0.parts.0.functionCall.name"),
        ({"contents": [model({"functionCall": {"name": "f", "args": []}})]},
         "contents.0.parts.0.functionCall.args"),
        ({"contents": [model({"functionResponse": {"name": "f"}})]},
         "contents.0.parts.0.functionResponse"),
        ({"contents": [user({"functionResponse": {"name": "f", "response": "ok"}})]},
         "contents.0.parts.0.functionResponse.response"),
        ({"contents": [user({"inlineData": {"mimeType": "image/png"}})]},
         "contents.0.parts.0.inlineData"),
        ({"contents": [user({"inlineData": {"mimeType": "text/plain", "data": "!!"}})]},
         "contents.0.parts.0.inlineData.data"),
        ({"contents": [user({"fileData": {"fileUri": "gs://bucket/a.png"}})]},
         "contents.0.parts.0.fileData.fileUri"),
        ({"contents": [user({"text": "x", "thoughtSignature": 5})]},
         "contents.0.parts.0.thoughtSignature"),
        ({"contents": [], "systemInstruction": {"parts": [{"inlineData": {}}]}},
         "systemInstruction.parts.0"),
        ({"contents": [], "tools": {}}, "tools"),
        ({"contents": [], "tools": [{"functionDeclarations": [{"description": "x"}]}]},
         "tools.0.functionDeclarations.0.name"),
        ({"contents": [], "tools": [{"functionDeclarations": [{"name": "f", "parameters": 1}]}]},
         "tools.0.functionDeclarations.0.parameters"),
        ({"contents": [], "toolConfig": {"functionCallingConfig": {"mode": "SOMETIMES"}}},
         "toolConfig.functionCallingConfig.mode"),
        ({"contents": [], "generationConfig": {"candidateCount": 2}},
         "generationConfig.candidateCount"),
        ({"contents": [], "generationConfig": {"temperature": "hot"}},
         "generationConfig.temperature"),
        ({"contents": [], "generationConfig": {"maxOutputTokens": -1}},
         "generationConfig.maxOutputTokens"),
        ({"contents": [], "generationConfig": {"stopSequences": "END"}},
         "generationConfig.stopSequences"),
        ({"contents": [], "generationConfig": {"thinkingConfig": {"thinkingBudget": "lots"}}},
         "generationConfig.thinkingConfig.thinkingBudget"),
        ({"contents": [], "generationConfig": {"thinkingConfig": {"thinkingLevel": "ULTRA"}}},
         "generationConfig.thinkingConfig.thinkingLevel"),
    ],
)  # fmt: skip
def test_malformed_requests_name_the_path(body: Any, path: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        decode(body)
    assert path in caught.value.message


def test_no_model_anywhere_is_a_400() -> None:
    with pytest.raises(InvalidRequestError, match="model"):
        decode_request({"contents": []}, ClientContext())


GARBAGE: list[Any] = [None, True, 0, 1.5, "s", [], {}, [1], {"a": 1}, [None], {"": None}]


@pytest.mark.parametrize("junk", GARBAGE)
@pytest.mark.parametrize(
    "where",
    [
        "contents", "contents.0", "contents.0.role", "contents.0.parts", "contents.0.parts.0",
        "contents.1.parts.1.functionCall", "contents.1.parts.1.functionCall.args",
        "contents.2.parts.0.functionResponse", "contents.2.parts.0.functionResponse.response",
        "contents.2.parts.0.functionResponse.parts", "contents.0.parts.0.inlineData",
        "systemInstruction", "tools", "tools.0", "tools.0.functionDeclarations",
        "toolConfig", "toolConfig.functionCallingConfig", "generationConfig",
        "generationConfig.thinkingConfig", "generationConfig.responseSchema",
    ],
)  # fmt: skip
def test_garbage_anywhere_is_only_ever_a_400(where: str, junk: Any) -> None:
    body: Any = json.loads(json.dumps(CLI_BODY))
    body["contents"][0]["parts"][0]["inlineData"] = {"mimeType": "image/png", "data": "AA"}
    body["generationConfig"]["responseSchema"] = {"type": "OBJECT"}
    node = body
    *parents, leaf = where.split(".")
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(leaf)] = junk
    else:
        node[leaf] = junk
    with contextlib.suppress(InvalidRequestError):
        decode(body)


def test_request_with_sealed_openai_reasoning_keeps_text() -> None:
    part = ThinkingPart("deepseek reasoning", origin="openai_chat")
    token = base64.b64encode(seal(part, native="gemini", include_text=True).encode()).decode()
    assert token == client_signature(part)
    body = {
        "contents": [
            user({"text": "q"}),
            model({"functionCall": {"name": "f", "args": {}}, "thoughtSignature": token}),
        ]
    }
    assert decode(body).messages[1].parts[0] == part
    assert dumps_str({}) == "{}"


def test_streamed_thought_pieces_are_absorbed_by_their_sealed_state() -> None:
    """The SDK keeps every streamed thought chunk as its own part; interleaved thinking blocks
    get one state each (the older one on an empty text part)."""
    one = ThinkingPart("First I check. Then I act.", signature="s1", origin="anthropic")
    two = ThinkingPart("Now the second step.", signature="s2", origin="anthropic")
    body = {
        "contents": [
            user({"text": "q"}),
            model(
                {"text": "First I check.", "thought": True},
                {"text": " Then I act.", "thought": True},
                {"text": "Now the second step.", "thought": True},
                {"text": "", "thoughtSignature": client_signature(one)},
                {"functionCall": {"id": "t1", "name": "f", "args": {}},
                 "thoughtSignature": client_signature(two)},
            ),
        ]
    }  # fmt: skip
    assert decode(body).messages[1].parts == [one, two, ToolCallPart("t1", "f", "{}")]


def test_unsigned_thoughts_merge_and_unrelated_state_stays_apart() -> None:
    other = ThinkingPart("something else", signature="s9", origin="anthropic")
    body = {
        "contents": [
            user({"text": "q"}),
            model(
                {"text": "a", "thought": True},
                {"text": "b", "thought": True},
                {"text": "answer", "thoughtSignature": client_signature(other)},
            ),
        ]
    }
    assert decode(body).messages[1].parts == [ThinkingPart("ab"), other, TextPart("answer")]
