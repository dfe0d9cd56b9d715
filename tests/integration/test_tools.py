"""Tool use through the SDK: calls in and out, parallel calls, results, tool_choice, ids."""

from __future__ import annotations

import json
import re
from typing import Any

import anthropic
import httpx2 as httpx
import pytest

from tests.support.servers import Reply, ScriptedOpenAIUpstream, chat_completion, chunk

from ._helpers import MODEL, TOOLS, raw_stream, usage_chunk

ANTHROPIC_ID = re.compile(r"^[A-Za-z0-9_-]+$")


def _call(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


def _sent(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    """A tool call as the gateway sends it upstream (arguments as compact JSON text)."""
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _interleaved_parallel_calls() -> list[Any]:
    """Two calls whose argument fragments arrive interleaved, as real servers send them."""
    return [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Doing both."}),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_w",
                        "type": "function",
                        "function": {"name": "Write", "arguments": ""},
                    }
                ]
            }
        ),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 1,
                        "id": "call_r",
                        "type": "function",
                        "function": {"name": "Read", "arguments": '{"pa'},
                    }
                ]
            }
        ),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"file": "a.py", '}}]}),
        chunk({"tool_calls": [{"index": 1, "function": {"arguments": 'th": "b.py"}'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"content": "x = 1"}'}}]}),
        chunk({}, "tool_calls"),
        usage_chunk(),
    ]


def test_single_tool_call_non_stream(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    upstream.reset(
        Reply(
            json_body=chat_completion(
                "Let me read it.", tool_calls=[_call("call_abc", "Read", {"path": "a.txt"})]
            )
        )
    )

    message = client.messages.create(
        model=MODEL,
        max_tokens=512,
        tools=TOOLS,
        messages=[{"role": "user", "content": "read a.txt"}],
    )

    assert [b.type for b in message.content] == ["text", "tool_use"]
    assert message.content[0].text == "Let me read it."
    call = message.content[1]
    assert (call.id, call.name, call.input) == ("call_abc", "Read", {"path": "a.txt"})
    assert message.stop_reason == "tool_use"

    body = upstream.requests[0].body
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": t["name"],
                "description": t["description"],
                "parameters": t["input_schema"],
            },
        }
        for t in TOOLS
    ]
    assert "tool_choice" not in body
    assert "parallel_tool_calls" not in body


def test_single_tool_call_stream(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    first = {
        "index": 0,
        "id": "call_s1",
        "type": "function",
        "function": {"name": "Read", "arguments": '{"pa'},
    }
    upstream.reset(
        Reply(
            chunks=[
                chunk({"role": "assistant", "content": None}),
                chunk({"tool_calls": [first]}),
                chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'th": "dir/'}}]}),
                chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ü.txt"}'}}]}),
                chunk({}, "tool_calls"),
                usage_chunk(completion=9),
            ]
        )
    )

    with client.messages.stream(
        model=MODEL, max_tokens=512, tools=TOOLS, messages=[{"role": "user", "content": "go"}]
    ) as stream:
        events = [e.type for e in stream]
        message = stream.get_final_message()

    assert [b.type for b in message.content] == ["tool_use"]  # no empty text block opened
    call = message.content[0]
    assert (call.id, call.name, call.input) == ("call_s1", "Read", {"path": "dir/ü.txt"})
    assert message.stop_reason == "tool_use"
    assert message.usage.output_tokens == 9
    assert "content_block_start" in events and events[-1] == "message_stop"
    [seen] = upstream.requests
    assert seen.body["stream"] is True
    assert [t["function"]["name"] for t in seen.body["tools"]] == ["Write", "Read"]


def test_parallel_interleaved_calls_become_contiguous_blocks(
    client: anthropic.Anthropic, raw: httpx.Client, upstream: ScriptedOpenAIUpstream
) -> None:
    upstream.reset(
        Reply(chunks=_interleaved_parallel_calls()), Reply(chunks=_interleaved_parallel_calls())
    )
    request = {
        "model": MODEL,
        "max_tokens": 512,
        "tools": TOOLS,
        "messages": [{"role": "user", "content": "write a.py and read b.py"}],
    }

    with client.messages.stream(**request) as stream:
        message = stream.get_final_message()
    response, frames = raw_stream(raw, request)

    assert [b.type for b in message.content] == ["text", "tool_use", "tool_use"]
    assert message.content[0].text == "Doing both."
    write, read = message.content[1], message.content[2]
    assert (write.id, write.name, write.input) == (
        "call_w",
        "Write",
        {"file": "a.py", "content": "x = 1"},
    )
    assert (read.id, read.name, read.input) == ("call_r", "Read", {"path": "b.py"})
    assert message.stop_reason == "tool_use"

    # On the wire: each block's frames sit between its start and stop, blocks never overlap.
    assert response.status_code == 200
    open_index = None
    seen_indexes = []
    for event, data in frames:
        if event == "content_block_start":
            assert open_index is None
            open_index = data["index"]
            seen_indexes.append(open_index)
        elif event == "content_block_delta":
            assert data["index"] == open_index
        elif event == "content_block_stop":
            assert data["index"] == open_index
            open_index = None
    assert seen_indexes == [0, 1, 2]
    assert len(upstream.requests) == 2


def test_tool_result_round_trip(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    upstream.reset(Reply.text("All done."))

    message = client.messages.create(
        model=MODEL,
        max_tokens=512,
        tools=TOOLS,
        messages=[
            {"role": "user", "content": "write a.py, read b.py and c.py"},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "On it."},
                    {"type": "tool_use", "id": "call_1", "name": "Write", "input": {"file": "a"}},
                    {"type": "tool_use", "id": "call_2", "name": "Read", "input": {"path": "b"}},
                    {"type": "tool_use", "id": "call_3", "name": "Read", "input": {"path": "c"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "call_1", "content": "written"},
                    {
                        "type": "tool_result",
                        "tool_use_id": "call_2",
                        "content": [
                            {"type": "text", "text": "line 1"},
                            {"type": "text", "text": "line 2"},
                        ],
                    },
                    {
                        "type": "tool_result",
                        "tool_use_id": "call_3",
                        "content": "no such file",
                        "is_error": True,
                    },
                    {"type": "text", "text": "continue please"},
                ],
            },
        ],
    )

    assert message.content[0].text == "All done."
    assert upstream.requests[0].body["messages"] == [
        {"role": "user", "content": "write a.py, read b.py and c.py"},
        {
            "role": "assistant",
            "content": "On it.",
            "tool_calls": [
                _sent("call_1", "Write", '{"file":"a"}'),
                _sent("call_2", "Read", '{"path":"b"}'),
                _sent("call_3", "Read", '{"path":"c"}'),
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "written"},
        {"role": "tool", "tool_call_id": "call_2", "content": "line 1\nline 2"},
        {"role": "tool", "tool_call_id": "call_3", "content": "Error: no such file"},
        {"role": "user", "content": "continue please"},
    ]


@pytest.mark.parametrize(
    ("tool_choice", "expected"),
    [
        ({"type": "any"}, {"tool_choice": "required"}),
        ({"type": "auto"}, {"tool_choice": "auto"}),
        ({"type": "none"}, {"tool_choice": "none"}),
        (
            {"type": "tool", "name": "Read"},
            {"tool_choice": {"type": "function", "function": {"name": "Read"}}},
        ),
        (
            {"type": "auto", "disable_parallel_tool_use": True},
            {"tool_choice": "auto", "parallel_tool_calls": False},
        ),
        (
            {"type": "any", "disable_parallel_tool_use": False},
            {"tool_choice": "required", "parallel_tool_calls": True},
        ),
    ],
)
def test_tool_choice_mapping(
    client: anthropic.Anthropic,
    upstream: ScriptedOpenAIUpstream,
    tool_choice: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    upstream.reset(
        Reply(json_body=chat_completion(None, tool_calls=[_call("call_c", "Read", {"path": "p"})]))
    )

    message = client.messages.create(
        model=MODEL,
        max_tokens=128,
        tools=TOOLS,
        tool_choice=tool_choice,
        messages=[{"role": "user", "content": "read p"}],
    )

    assert message.content[0].type == "tool_use"
    assert message.content[0].input == {"path": "p"}
    body = upstream.requests[0].body
    assert {k: body.get(k) for k in expected} == expected
    if "parallel_tool_calls" not in expected:
        assert "parallel_tool_calls" not in body


def test_kimi_style_ids_survive_the_sdk_round_trip(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    """``functions.Write:0`` is not a valid Anthropic id: the client sees a valid one, and the
    upstream gets its own id back, byte for byte, on the next turn."""
    upstream.reset(
        Reply(
            chunks=[
                chunk({"role": "assistant", "content": ""}),
                chunk(
                    {
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "functions.Write:0",
                                "type": "function",
                                "function": {"name": "Write", "arguments": '{"file": "k.txt"}'},
                            },
                            {
                                "index": 1,
                                "id": "functions.Read:1",
                                "type": "function",
                                "function": {"name": "Read", "arguments": '{"path": "k.txt"}'},
                            },
                        ]
                    }
                ),
                chunk({}, "tool_calls"),
                usage_chunk(),
            ]
        ),
        Reply.text("Both done."),
    )
    history: list[Any] = [{"role": "user", "content": "write then read k.txt"}]

    with client.messages.stream(
        model=MODEL, max_tokens=256, tools=TOOLS, messages=history
    ) as stream:
        first = stream.get_final_message()
    ids = [b.id for b in first.content if b.type == "tool_use"]
    assert len(ids) == 2
    assert all(ANTHROPIC_ID.match(i) for i in ids)
    assert len(set(ids)) == 2
    assert [b.input for b in first.content] == [{"file": "k.txt"}, {"path": "k.txt"}]

    history += [
        {"role": "assistant", "content": first.content},  # SDK objects, as apps pass them back
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": ids[0], "content": "wrote"},
                {"type": "tool_result", "tool_use_id": ids[1], "content": "hello"},
            ],
        },
    ]
    second = client.messages.create(model=MODEL, max_tokens=256, tools=TOOLS, messages=history)

    assert second.content[0].text == "Both done."
    messages = upstream.requests[1].body["messages"]
    assert [c["id"] for c in messages[1]["tool_calls"]] == ["functions.Write:0", "functions.Read:1"]
    assert messages[2:] == [
        {"role": "tool", "tool_call_id": "functions.Write:0", "content": "wrote"},
        {"role": "tool", "tool_call_id": "functions.Read:1", "content": "hello"},
    ]
