"""Chat Completions request bodies from clients → canonical Request
(crosswire.formats.openai_chat.request_decoder)."""

from __future__ import annotations

import base64
import contextlib
import copy
from typing import Any

import pytest

from crosswire.canonical import (
    DocumentPart,
    ImagePart,
    InvalidRequestError,
    Message,
    TextPart,
    ThinkingConfig,
    ThinkingPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
)
from crosswire.formats.opaque import seal
from crosswire.formats.openai_chat import CLIENT, decode_request
from crosswire.formats.openai_chat.request_decoder import INCLUDE_USAGE

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw" + "A" * 12
READ_SCHEMA = {
    "type": "object",
    "properties": {"filePath": {"type": "string"}},
    "required": ["filePath"],
    "additionalProperties": False,
}


def body(**fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"model": "gpt-x", "messages": [{"role": "user", "content": "hi"}]}
    out.update(fields)
    return out


def user_parts(*parts: Any) -> list[Any]:
    request = decode_request(body(messages=[{"role": "user", "content": list(parts)}]))
    return request.messages[0].parts


# --------------------------------------------------------------------------- what clients send

# Shaped like OpenCode (Vercel AI SDK openai-compatible provider) mid tool loop: two system
# messages, an image, reasoning echoed back, parallel calls, two tool results then a user note.
OPENCODE_BODY: dict[str, Any] = {
    "model": "kimi-k2.6",
    "messages": [
        {"role": "system", "content": "You are opencode, an interactive CLI agent."},
        {"role": "system", "content": "<env>cwd: /repo</env>"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Why does this crash?"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
            ],
        },
        {
            "role": "assistant",
            "content": "",
            "reasoning_content": "Read both files first.",
            "tool_calls": [
                {
                    "id": "functions.read:0",
                    "type": "function",
                    "function": {"name": "read", "arguments": '{"filePath":"/repo/a.py"}'},
                },
                {
                    "id": "functions.read:1",
                    "type": "function",
                    "function": {"name": "read", "arguments": '{"filePath":"/repo/b.py"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "functions.read:0", "content": "print(1/0)"},
        {"role": "tool", "tool_call_id": "functions.read:1", "content": ""},
        {"role": "user", "content": "b.py is empty on purpose."},
    ],
    "tools": [
        {
            "type": "function",
            "function": {"name": "read", "description": "Read a file", "parameters": READ_SCHEMA},
        },
        {"type": "function", "function": {"name": "todoread", "description": "Read todos"}},
    ],
    "tool_choice": "auto",
    "max_tokens": 32000,
    "temperature": 0.6,
    "top_p": 0.95,
    "stream": True,
    "stream_options": {"include_usage": True},
    "prompt_cache_key": "ses_123",
}


def test_opencode_tool_loop_golden() -> None:
    request = decode_request(copy.deepcopy(OPENCODE_BODY))
    assert request.model == "kimi-k2.6"
    assert request.client_format == "openai_chat"
    assert request.system == [
        TextPart("You are opencode, an interactive CLI agent."),
        TextPart("<env>cwd: /repo</env>"),
    ]
    assert request.messages == [
        Message(
            "user",
            [TextPart("Why does this crash?"), ImagePart(media_type="image/png", data=PNG)],
        ),
        Message(
            "assistant",
            [
                ThinkingPart("Read both files first.", signature=None, origin=None),
                ToolCallPart("functions.read:0", "read", '{"filePath":"/repo/a.py"}'),
                ToolCallPart("functions.read:1", "read", '{"filePath":"/repo/b.py"}'),
            ],
        ),
        Message(
            "user",
            [
                ToolResultPart("functions.read:0", [TextPart("print(1/0)")], name="read"),
                ToolResultPart("functions.read:1", [], name="read"),
                TextPart("b.py is empty on purpose."),
            ],
        ),
    ]
    assert request.tools == [
        Tool("read", "Read a file", READ_SCHEMA),
        Tool("todoread", "Read todos"),  # no parameters: the canonical no-argument schema
    ]
    assert request.tool_choice == ToolChoice("auto")
    assert (request.max_tokens, request.temperature, request.top_p) == (32000, 0.6, 0.95)
    assert request.stream is True
    assert request.extra == {"prompt_cache_key": "ses_123", INCLUDE_USAGE: True}


def test_cline_like_body_with_developer_message_in_the_middle() -> None:
    request = decode_request(
        {
            "model": "claude-sonnet",
            "messages": [
                {"role": "system", "content": [{"type": "text", "text": "You are Cline."}]},
                {"role": "user", "content": [{"type": "text", "text": "<task>hi</task>"}]},
                {"role": "assistant", "content": "Hello!"},
                {"role": "developer", "content": "Mode: ACT"},
                {"role": "user", "content": "go"},
            ],
            "max_completion_tokens": 8192,
            "max_tokens": 100,  # max_completion_tokens wins
            "parallel_tool_calls": False,
            "user": "u-1",
        }
    )
    assert request.system == [TextPart("You are Cline."), TextPart("Mode: ACT")]
    assert [m.role for m in request.messages] == ["user", "assistant", "user"]
    assert request.messages[1] == Message("assistant", [TextPart("Hello!")])
    assert request.max_tokens == 8192
    assert request.tool_choice == ToolChoice("auto", parallel=False)
    assert request.user_id == "u-1"
    assert request.stream is False and INCLUDE_USAGE not in request.extra


def test_codec_decodes_through_the_client_protocol() -> None:
    from crosswire.formats.base import ClientContext

    request = CLIENT.decode_request(body(), ClientContext())
    assert request.messages == [Message("user", [TextPart("hi")])]
    assert CLIENT.name == "openai_chat" and CLIENT.ping == b": ping\n\n"


# --------------------------------------------------------------------------- messages


def test_tool_results_merge_only_with_the_user_message_right_after() -> None:
    messages = [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": None, "tool_calls": [_call("c1", "Bash")]},
        {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "ok"}]},
        {"role": "system", "content": "reminder"},  # hoisted; does not end the tool run
        {"role": "user", "content": "next"},
        {"role": "user", "content": "and more"},
    ]
    request = decode_request(body(messages=messages))
    assert request.system == [TextPart("reminder")]
    assert request.messages[2:] == [
        Message("user", [ToolResultPart("c1", [TextPart("ok")], name="Bash"), TextPart("next")]),
        Message("user", [TextPart("and more")]),
    ]


def test_tool_run_before_an_assistant_turn_stays_its_own_user_turn() -> None:
    messages = [
        {"role": "user", "content": "q"},
        {"role": "assistant", "tool_calls": [_call("c1", "Bash")]},
        {"role": "tool", "tool_call_id": "c1", "content": "done"},
        {"role": "assistant", "content": "All good."},
    ]
    request = decode_request(body(messages=messages))
    assert [m.role for m in request.messages] == ["user", "assistant", "user", "assistant"]
    assert request.messages[2].parts == [ToolResultPart("c1", [TextPart("done")], name="Bash")]


def test_assistant_content_shapes() -> None:
    messages = [
        {"role": "user", "content": "q"},
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "a"}, {"type": "refusal", "refusal": "no"}],
            "reasoning": "openrouter-style reasoning",
        },
        {"role": "user", "content": "q2"},
        {"role": "assistant", "content": None, "refusal": "I can't help with that."},
        {"role": "user", "content": "q3"},
        {"role": "assistant", "content": ""},
    ]
    request = decode_request(body(messages=messages))
    assert request.messages[1].parts == [
        ThinkingPart("openrouter-style reasoning"),
        TextPart("a"),
        TextPart("no"),
    ]
    assert request.messages[3].parts == [TextPart("I can't help with that.")]
    assert request.messages[5].parts == [TextPart("")]


def test_tool_call_arguments_kept_as_given_even_when_invalid() -> None:
    call = _call("c1", "Bash", '{"cmd": "ls"')  # truncated by a length stop
    object_call = {"id": "c2", "function": {"name": "Read", "arguments": {"path": "/a"}}}
    messages = [
        {"role": "user", "content": "q"},
        {"role": "assistant", "tool_calls": [call, object_call]},
    ]
    parts = decode_request(body(messages=messages)).messages[1].parts
    assert parts == [
        ToolCallPart("c1", "Bash", '{"cmd": "ls"'),
        ToolCallPart("c2", "Read", '{"path":"/a"}'),
    ]


def test_sealed_reasoning_details_restore_the_origin_state() -> None:
    original = ThinkingPart("deep thought", signature="EqQBCkYIBxgC", origin="anthropic")
    token = seal(original, native="openai_chat", include_text=True)
    assistant = {
        "role": "assistant",
        "content": "answer",
        "reasoning_content": "deep thought",
        "reasoning_details": [
            {"type": "reasoning.text", "text": "", "signature": token, "format": "crosswire-v1"}
        ],
    }
    messages = [{"role": "user", "content": "q"}, assistant]
    parts = decode_request(body(messages=messages)).messages[1].parts
    assert parts == [original, TextPart("answer")]


def test_hand_made_sealed_state_of_the_wrong_types_is_dropped() -> None:
    forged = "cw1." + base64.urlsafe_b64encode(b'{"o": 5, "s": ["x"]}').decode().rstrip("=")
    assistant = {
        "role": "assistant",
        "content": "answer",
        "reasoning_details": [{"type": "reasoning.text", "signature": forged}],
    }
    messages = [{"role": "user", "content": "q"}, assistant]
    assert decode_request(body(messages=messages)).messages[1].parts == [TextPart("answer")]


def test_foreign_reasoning_details_are_not_taken_for_sealed_state() -> None:
    assistant = {
        "role": "assistant",
        "content": "answer",
        "reasoning_content": "plain",
        "reasoning_details": [{"type": "reasoning.text", "text": "x", "signature": "abc"}],
    }
    messages = [{"role": "user", "content": "q"}, assistant]
    parts = decode_request(body(messages=messages)).messages[1].parts
    assert parts == [ThinkingPart("plain", signature=None, origin=None), TextPart("answer")]


# --------------------------------------------------------------------------- content parts


def test_image_urls() -> None:
    parts = user_parts(
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}},
        {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{PNG}"}},
        {"type": "image_url", "image_url": f"data:image/webp;name=x.webp;base64,{PNG}"},
    )
    assert parts == [
        ImagePart(url="https://example.com/a.png"),
        ImagePart(media_type="image/jpeg", data=PNG),
        ImagePart(media_type="image/webp", data=PNG),
    ]


def test_file_parts() -> None:
    text_b64 = base64.b64encode("héllo".encode()).decode()
    parts = user_parts(
        {
            "type": "file",
            "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"},
        },
        {"type": "file", "file": {"file_data": "JVBERi0="}},
        {"type": "file", "file": {"file_data": text_b64, "filename": "notes.md"}},
        {"type": "file", "file": {"file_data": f"data:image/png;base64,{PNG}"}},
    )
    assert parts == [
        DocumentPart(media_type="application/pdf", data="JVBERi0=", title="a.pdf"),
        DocumentPart(media_type="application/pdf", data="JVBERi0="),
        DocumentPart(media_type="text/plain", text="héllo", title="notes.md"),
        ImagePart(media_type="image/png", data=PNG),
    ]


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("none", ToolChoice("none")),
        ("auto", ToolChoice("auto")),
        ("required", ToolChoice("any")),
        ({"type": "function", "function": {"name": "read"}}, ToolChoice("tool", "read")),
    ],
)
def test_tool_choice(choice: Any, expected: ToolChoice) -> None:
    request = decode_request(body(tools=OPENCODE_BODY["tools"], tool_choice=choice))
    assert request.tool_choice == expected


def test_allowed_tools_filters_the_declarations() -> None:
    choice = {
        "type": "allowed_tools",
        "allowed_tools": {
            "mode": "required",
            "tools": [{"type": "function", "function": {"name": "todoread"}}],
        },
    }
    request = decode_request(
        body(tools=OPENCODE_BODY["tools"], tool_choice=choice, parallel_tool_calls=True)
    )
    assert [t.name for t in request.tools] == ["todoread"]
    assert request.tool_choice == ToolChoice("any", parallel=True)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, ThinkingConfig()),
        ({"reasoning_effort": "none"}, ThinkingConfig()),
        ({"reasoning_effort": "minimal"}, ThinkingConfig("enabled", effort="minimal")),
        ({"reasoning_effort": "high"}, ThinkingConfig("enabled", effort="high")),
        ({"thinking": {"type": "enabled"}}, ThinkingConfig("enabled")),
        ({"thinking": {"type": "disabled"}}, ThinkingConfig()),
        (
            {"thinking": {"type": "enabled", "budget_tokens": 4096}},
            ThinkingConfig("enabled", budget_tokens=4096),
        ),
    ],
)
def test_thinking(fields: dict[str, Any], expected: ThinkingConfig) -> None:
    assert decode_request(body(**fields)).thinking == expected


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ({"type": "text"}, None),
        ({"type": "json_object"}, {"type": "json_object"}),
        (
            {
                "type": "json_schema",
                "json_schema": {"name": "out", "strict": True, "schema": {"type": "object"}},
            },
            {"type": "json_schema", "schema": {"type": "object"}},
        ),
    ],
)
def test_response_format(fmt: dict[str, Any], expected: dict[str, Any] | None) -> None:
    assert decode_request(body(response_format=fmt)).response_format == expected


def test_stop_user_and_extra() -> None:
    request = decode_request(
        body(
            stop="END",
            n=1,
            safety_identifier="hash-1",
            user="ignored-when-safety-identifier-is-set",
            seed=7,
            metadata={"k": "v"},
            stream=False,
            stream_options={"include_usage": False},
        )
    )
    assert request.stop == ["END"]
    assert request.user_id == "hash-1"
    assert request.extra == {"seed": 7, "metadata": {"k": "v"}}
    assert decode_request(body(stop=["a", "b"])).stop == ["a", "b"]


# --------------------------------------------------------------------------- malformed bodies

MALFORMED: list[tuple[Any, str]] = [
    ([], "request body"),
    (body(model=None), "model"),
    (body(messages=[]), "messages"),
    (body(messages="hi"), "messages"),
    (body(messages=[None]), "messages.0"),
    (body(messages=[{"role": "robot", "content": "x"}]), "messages.0.role"),
    (body(messages=[{"role": "user", "content": 5}]), "messages.0.content"),
    (
        body(messages=[{"role": "user", "content": [{"type": "video"}]}]),
        "messages.0.content.0.type",
    ),
    (body(messages=[{"role": "user", "content": [{"type": "text"}]}]), "messages.0.content.0.text"),
    (body(messages=[{"role": "user", "content": [{"type": "image_url"}]}]), "image_url.url"),
    (
        body(
            messages=[
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "file:///a.png"}}],
                }
            ]
        ),
        "image_url.url",
    ),
    (
        body(
            messages=[
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "data:image/png,abc"}}],
                }
            ]
        ),
        "base64",
    ),
    (
        body(
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "input_audio", "input_audio": {"data": "x", "format": "wav"}}
                    ],
                }
            ]
        ),
        "audio",
    ),
    (
        body(
            messages=[
                {"role": "user", "content": [{"type": "file", "file": {"file_id": "file-1"}}]}
            ]
        ),
        "file_id",
    ),
    (
        body(
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "file", "file": {"file_data": "!!!", "filename": "a.txt"}}
                    ],
                }
            ]
        ),
        "file_data",
    ),
    (body(messages=[{"role": "tool", "content": "x"}]), "messages.0.tool_call_id"),
    (body(messages=[{"role": "assistant", "tool_calls": {}}]), "messages.0.tool_calls"),
    (
        body(messages=[{"role": "assistant", "tool_calls": [{"id": "c", "function": "f"}]}]),
        "function",
    ),
    (body(messages=[{"role": "assistant", "tool_calls": [{"function": {"name": "f"}}]}]), ".id"),
    (
        body(
            messages=[
                {"role": "assistant", "tool_calls": [{"id": "c", "type": "custom", "custom": {}}]}
            ]
        ),
        "tool_calls.0.type",
    ),
    (
        body(messages=[{"role": "assistant", "content": [{"type": "image_url"}]}]),
        "messages.0.content.0",
    ),
    (
        body(messages=[{"role": "assistant", "content": "x", "reasoning_content": 3}]),
        "reasoning_content",
    ),
    (
        body(messages=[{"role": "system", "content": [{"type": "image_url"}]}]),
        "messages.0.content.0",
    ),
    (body(messages=[{"role": "function", "name": "f", "content": "x"}]), "messages.0.role"),
    (body(functions=[{"name": "f"}]), "functions"),
    (body(function_call="auto"), "function_call"),
    (body(n=2), "n"),
    (body(n="1"), "n"),
    (body(max_tokens=-1), "max_tokens"),
    (body(max_completion_tokens=1.5), "max_completion_tokens"),
    (body(temperature="hot"), "temperature"),
    (body(stop=[1]), "stop"),
    (body(tools={}), "tools"),
    (body(tools=["x"]), "tools.0"),
    (body(tools=[{"type": "custom", "custom": {"name": "x"}}]), "custom"),
    (body(tools=[{"type": "web_search"}]), "tools.0.type"),
    (body(tools=[{"type": "function"}]), "tools.0.function"),
    (body(tools=[{"type": "function", "function": {"name": ""}}]), "name"),
    (body(tools=[{"type": "function", "function": {"name": "f", "parameters": []}}]), "parameters"),
    (body(tool_choice="any"), "tool_choice"),
    (body(tool_choice={"type": "function"}), "tool_choice.function"),
    (body(tool_choice={"type": "custom", "custom": {"name": "x"}}), "custom"),
    (body(tool_choice={"type": "allowed_tools", "allowed_tools": {"mode": "x"}}), "allowed_tools"),
    (
        body(
            tool_choice={
                "type": "allowed_tools",
                "allowed_tools": {
                    "mode": "auto",
                    "tools": [{"type": "function", "function": {"name": "nope"}}],
                },
            }
        ),
        "unknown tools",
    ),
    (body(parallel_tool_calls="yes"), "parallel_tool_calls"),
    (body(reasoning_effort="extreme"), "reasoning_effort"),
    (body(reasoning_effort=3), "reasoning_effort"),
    (body(thinking="on"), "thinking"),
    (body(response_format={"type": "yaml"}), "response_format"),
    (body(response_format="json"), "response_format"),
    (body(response_format={"type": "json_schema", "json_schema": "x"}), "json_schema.schema"),
    (body(stream="true"), "stream"),
    (body(stream_options=True), "stream_options"),
]


@pytest.mark.parametrize(("raw", "where"), MALFORMED)
def test_malformed_bodies_raise_invalid_request_naming_the_path(raw: Any, where: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        decode_request(raw)
    assert where in info.value.message
    assert info.value.status == 400


def _call(call_id: str, name: str, arguments: str = "{}") -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


def _replaced(root: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copied = copy.deepcopy(root)
    node = copied
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return copied


# Every other shape the decoder reads, for the junk test below.
RICH_BODY: dict[str, Any] = {
    "model": "m",
    "messages": [
        {"role": "developer", "content": [{"type": "text", "text": "dev"}]},
        {
            "role": "user",
            "content": [
                {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBE"}},
                {"type": "image_url", "image_url": "https://example.com/a.png"},
            ],
        },
        {
            "role": "assistant",
            "content": [{"type": "refusal", "refusal": "no"}],
            "reasoning_details": [{"type": "reasoning.text", "text": "", "signature": "cw1.e30"}],
            "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f"}}],
        },
        {"role": "tool", "tool_call_id": "c", "content": [{"type": "text", "text": "r"}]},
    ],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {}, "strict": True}}],
    "tool_choice": {
        "type": "allowed_tools",
        "allowed_tools": {
            "mode": "auto",
            "tools": [{"type": "function", "function": {"name": "f"}}],
        },
    },
    "response_format": {"type": "json_schema", "json_schema": {"name": "o", "schema": {}}},
    "thinking": {"type": "enabled", "budget_tokens": 1024},
    "stop": ["x"],
}


@pytest.mark.parametrize("junk", [None, 0, -1, 1.5, True, "", "x", [], {}, [None], {"type": 1}])
@pytest.mark.parametrize("real", [OPENCODE_BODY, RICH_BODY], ids=["opencode", "rich"])
def test_any_junk_anywhere_raises_only_invalid_request(real: dict[str, Any], junk: Any) -> None:
    """Every node of a real body replaced by junk: decoded, or a clean 400 — nothing else."""
    decode_request(copy.deepcopy(real))
    for path in _paths(real):
        with contextlib.suppress(InvalidRequestError):
            decode_request(_replaced(real, path, junk))
