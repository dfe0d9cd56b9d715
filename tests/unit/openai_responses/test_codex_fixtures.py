"""Real Codex CLI 0.169 request bodies (tests/fixtures/codex, captured on the wire) through the
decoder and both kinds of upstream encoder: nothing Codex sends may fail a request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crosswire.canonical import (
    Message,
    Request,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolResultPart,
)
from crosswire.formats import openai_chat
from crosswire.formats.openai_responses import decode_request, encode_request, encode_response
from crosswire.formats.openai_responses.fields import client_state

from .sdk import validate_response
from .test_client_encoder import answer
from .test_request_decoder import minimal

CODEX_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "codex"
BODIES = sorted(p.name for p in CODEX_FIXTURES.glob("responses_*.json"))


def load(name: str) -> dict[str, Any]:
    with open(CODEX_FIXTURES / name, encoding="utf-8") as f:
        body: dict[str, Any] = json.load(f)
    return body


@pytest.mark.parametrize("name", BODIES)
def test_every_captured_codex_body_decodes_and_encodes(name: str) -> None:
    body = load(name)
    request = decode_request(body)
    assert request.stream is True
    assert request.system, "Codex's developer messages are the system prompt"
    assert request.messages[-1].role == "user"
    state = client_state(request)
    hosted = [t for t in body.get("tools", []) if t["type"] in ("web_search", "tool_search")]
    assert state.hosted_tools == hosted
    assert request.server_tools == []  # so a Chat upstream does not refuse the request
    chat = openai_chat.encode_request(request, "kimi-k2.6", openai_chat.EncodeOptions())
    assert chat["messages"][0]["role"] == "system"
    responses = encode_request(request, "gpt-5.1-codex")
    assert responses["store"] is False
    assert "client_metadata" in responses  # relayed to a Responses upstream as Codex sent it
    names = {t["name"] for t in responses.get("tools", []) if "name" in t}
    assert names == {t.name for t in request.tools}


def test_codex_namespace_tools_and_calls_round_trip() -> None:
    request = decode_request(load("responses_turn1.json"))
    state = client_state(request)
    assert state.namespaces["multi_agent_v1__spawn_agent"] == ("multi_agent_v1", "spawn_agent")
    body = encode_response(
        answer(ToolCallPart("call_1", "multi_agent_v1__close_agent", '{"id":"nope"}')), request
    )
    validate_response(body)
    (call,) = body["output"]
    # Codex runs a namespaced tool only when the call names its namespace
    assert (call["name"], call["namespace"]) == ("close_agent", "multi_agent_v1")


def test_codex_reasoning_replay_keeps_id_and_state() -> None:
    request = decode_request(load("responses_reasoning_turn2.json"))
    assert request.messages[-2:] == [
        Message(
            "assistant",
            [
                ThinkingPart(
                    "**Writing** the file",
                    "rs_cw_001\ngAAAAB-cw-test-encrypted-content",
                    "openai_responses",
                ),
                ToolCallPart(
                    "call_cw_0001",
                    "exec_command",
                    '{"cmd": "printf hi > hello.txt", "workdir": "/workspace"}',
                ),
            ],
        ),
        Message(
            "user",
            [
                ToolResultPart(
                    "call_cw_0001",
                    [
                        TextPart(
                            "Chunk ID: b5a54b\nWall time: 0.0000 seconds\nProcess exited with "
                            "code 0\nOriginal token count: 0\nOutput:\n"
                        )
                    ],
                )
            ],
        ),
    ]
    items = encode_request(request, "gpt-5.1-codex")["input"]
    assert items[-3:] == [
        {
            "type": "reasoning",
            "id": "rs_cw_001",
            "summary": [{"type": "summary_text", "text": "**Writing** the file"}],
            "encrypted_content": "gAAAAB-cw-test-encrypted-content",
        },
        {
            "type": "function_call",
            "call_id": "call_cw_0001",
            "name": "exec_command",
            "arguments": '{"cmd": "printf hi > hello.txt", "workdir": "/workspace"}',
        },
        {
            "type": "function_call_output",
            "call_id": "call_cw_0001",
            "output": "Chunk ID: b5a54b\nWall time: 0.0000 seconds\nProcess exited with code 0\n"
            "Original token count: 0\nOutput:\n",
        },
    ]


def test_codex_default_model_declares_tools_in_an_additional_tools_item() -> None:
    request = decode_request(load("responses_default_model_turn1.json"))
    names = [t.name for t in request.tools]
    assert "functions__exec" in names and "collaboration__spawn_agent" in names
    state = client_state(request)
    assert "functions__exec" in state.custom_tools  # a free-text tool inside a namespace
    assert state.namespaces["clock__sleep"] == ("clock", "sleep")
    assert not any(
        isinstance(p, ToolCallPart) for m in request.messages for p in m.parts
    )  # the item itself is not history
    body = encode_request(request, "gpt-5.1")
    assert body["reasoning"] == {"effort": "low", "context": "all_turns", "summary": "auto"}
    call = encode_response(
        answer(ToolCallPart("c", "functions__exec", '{"input":"text(1)"}')), request
    )["output"][0]
    assert call == {
        "id": "ctc_test_1",
        "type": "custom_tool_call",
        "call_id": "c",
        "name": "exec",
        "input": "text(1)",
        "namespace": "functions",
    }


def test_older_codex_namespaces_ending_in_the_separator() -> None:
    tool = {"type": "function", "name": "get_issue", "parameters": {"type": "object"}}
    body = minimal(
        tools=[{"type": "namespace", "name": "mcp__github__", "description": "", "tools": [tool]}],
        input=[
            {"type": "function_call", "call_id": "c", "name": "get_issue",
             "namespace": "mcp__github__", "arguments": "{}"},
        ],
    )  # fmt: skip
    request = decode_request(body)
    assert [t.name for t in request.tools] == ["mcp__github__get_issue"]
    assert request.messages[0].parts == [ToolCallPart("c", "mcp__github__get_issue", "{}")]
    out = encode_response(answer(ToolCallPart("d", "mcp__github__get_issue", "{}")), request)
    assert (out["output"][0]["name"], out["output"][0]["namespace"]) == (
        "get_issue",
        "mcp__github__",
    )


def test_empty_reasoning_items_carry_nothing() -> None:
    body = minimal(
        input=[
            {"role": "user", "content": "q"},
            {"type": "reasoning", "id": "rs_e", "summary": [], "content": None,
             "encrypted_content": None},
            {"role": "assistant", "content": "a"},
        ]
    )  # fmt: skip
    assert decode_request(body).messages[1] == Message("assistant", [TextPart("a")])
    assert isinstance(decode_request(body), Request)
