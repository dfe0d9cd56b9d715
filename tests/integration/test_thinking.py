"""Reasoning from OpenAI-format upstreams as Anthropic thinking blocks, and back again."""

from __future__ import annotations

import re
from typing import Any

import anthropic
import pytest

from tests.support.servers import Reply, ScriptedOpenAIUpstream, chat_completion, chunk

from ._helpers import MODEL, TOOLS, text_chunks, usage_chunk

# Anthropic signatures are standard base64; crosswire's must never be mistaken for one.
ANTHROPIC_SIGNATURE = re.compile(r"^[A-Za-z0-9+/]+=*$")


def _reasoning_then_text() -> list[Any]:
    return [
        chunk({"role": "assistant", "content": ""}),
        chunk({"reasoning_content": "Let me "}),
        chunk({"reasoning_content": "think."}),
        chunk({"content": "The answer "}),
        chunk({"content": "is 4."}),
        chunk({}, "stop"),
        usage_chunk(completion=30),
    ]


def _assert_crosswire_signature(signature: str) -> None:
    assert signature.startswith("cw1.")
    assert not ANTHROPIC_SIGNATURE.match(signature)


def test_reasoning_stream_becomes_thinking_block_and_goes_back_upstream(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    upstream.reset(Reply(chunks=_reasoning_then_text()), Reply.text("Second answer."))
    history: list[Any] = [{"role": "user", "content": "2+2?"}]
    thinking = {"type": "enabled", "budget_tokens": 2048}

    with client.messages.stream(
        model=MODEL, max_tokens=4096, thinking=thinking, messages=history
    ) as stream:
        deltas = [e.delta.type for e in stream if e.type == "content_block_delta"]
        first = stream.get_final_message()

    assert [b.type for b in first.content] == ["thinking", "text"]
    assert first.content[0].thinking == "Let me think."
    _assert_crosswire_signature(first.content[0].signature)
    assert first.content[1].text == "The answer is 4."
    assert "thinking_delta" in deltas and "signature_delta" in deltas
    assert first.usage.output_tokens == 30

    history += [
        {"role": "assistant", "content": first.content},
        {"role": "user", "content": "and 3+3?"},
    ]
    second = client.messages.create(
        model=MODEL, max_tokens=4096, thinking=thinking, messages=history
    )

    assert second.content[0].text == "Second answer."
    assert upstream.requests[0].body["messages"] == [{"role": "user", "content": "2+2?"}]
    assert upstream.requests[1].body["messages"] == [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "The answer is 4.", "reasoning_content": "Let me think."},
        {"role": "user", "content": "and 3+3?"},
    ]


def test_reasoning_non_stream_thinking_block(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    upstream.reset(Reply(json_body=chat_completion("Four.", reasoning="Adding two and two.")))

    message = client.messages.create(
        model=MODEL,
        max_tokens=1024,
        thinking={"type": "enabled", "budget_tokens": 512},
        messages=[{"role": "user", "content": "2+2?"}],
    )

    assert [b.type for b in message.content] == ["thinking", "text"]
    assert message.content[0].thinking == "Adding two and two."
    _assert_crosswire_signature(message.content[0].signature)
    assert message.content[1].text == "Four."
    assert upstream.requests[0].body["messages"] == [{"role": "user", "content": "2+2?"}]


@pytest.mark.parametrize("streamed", [True, False], ids=["stream", "non-stream"])
def test_display_omitted_hides_text_but_next_turn_carries_reasoning(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream, streamed: bool
) -> None:
    """Claude Code sends ``thinking: {type: adaptive, display: omitted}``: it gets no thinking
    text, yet the upstream must get its reasoning back on the next turn."""
    first_reply = (
        Reply(chunks=_reasoning_then_text())
        if streamed
        else Reply(json_body=chat_completion("The answer is 4.", reasoning="Let me think."))
    )
    upstream.reset(first_reply, Reply.text("ok"))
    thinking = {"type": "adaptive", "display": "omitted"}
    history: list[Any] = [{"role": "user", "content": "2+2?"}]

    if streamed:
        with client.messages.stream(
            model=MODEL, max_tokens=4096, thinking=thinking, messages=history
        ) as stream:
            deltas = [e.delta.type for e in stream if e.type == "content_block_delta"]
            first = stream.get_final_message()
        assert "thinking_delta" not in deltas
    else:
        first = client.messages.create(
            model=MODEL, max_tokens=4096, thinking=thinking, messages=history
        )

    assert [b.type for b in first.content] == ["thinking", "text"]
    assert first.content[0].thinking == ""
    _assert_crosswire_signature(first.content[0].signature)
    assert "Let me think." not in first.content[1].text

    history += [
        {"role": "assistant", "content": first.content},
        {"role": "user", "content": "thanks"},
    ]
    client.messages.create(model=MODEL, max_tokens=4096, thinking=thinking, messages=history)

    assistant = upstream.requests[1].body["messages"][1]
    assert assistant == {
        "role": "assistant",
        "content": "The answer is 4.",
        "reasoning_content": "Let me think.",
    }


def test_kimi_profile_shapes_the_body(
    kimi_client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    upstream.reset(
        Reply(
            chunks=[
                chunk({"role": "assistant", "content": ""}),
                chunk({"reasoning_content": "Need to read."}),
                chunk({"content": "Reading now."}),
                chunk({}, "stop"),
                usage_chunk(),
            ]
        )
    )

    with kimi_client.messages.stream(
        model=MODEL,
        max_tokens=1024,
        thinking={"type": "enabled", "budget_tokens": 512},
        tools=[{**TOOLS[1], "input_schema": {"type": "object", "properties": {"path": {}}}}],
        tool_choice={"type": "any"},
        extra_body={"temperature": 0.2, "top_p": 0.9},
        messages=[
            {"role": "user", "content": "read x"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "call_0", "name": "Read", "input": {}}],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "call_0", "content": "?"}],
            },
        ],
    ) as stream:
        message = stream.get_final_message()

    assert [b.type for b in message.content] == ["thinking", "text"]
    assert message.content[0].thinking == "Need to read."
    body = upstream.requests[0].body
    assert body["thinking"] == {"type": "enabled"}
    assert "temperature" not in body and "top_p" not in body
    assert body["tool_choice"] == "auto"  # "required" is rejected by Kimi while thinking
    # Kimi 400s on a property without a type, and on a tool-call turn without reasoning.
    assert body["tools"][0]["function"]["parameters"]["properties"]["path"] == {"type": "string"}
    assert body["messages"][1] == {
        "role": "assistant",
        "reasoning_content": "",
        "tool_calls": [
            {"id": "call_0", "type": "function", "function": {"name": "Read", "arguments": "{}"}}
        ],
    }


def test_kimi_profile_without_thinking(
    kimi_client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    upstream.reset(Reply.text("plain"))

    message = kimi_client.messages.create(
        model=MODEL,
        max_tokens=100,
        tools=TOOLS,
        tool_choice={"type": "any"},
        messages=[{"role": "user", "content": "hi"}],
    )

    assert message.content[0].text == "plain"
    body = upstream.requests[0].body
    assert body["thinking"] == {"type": "disabled"}
    assert body["tool_choice"] == "required"  # no downgrade when not thinking


def test_nim_profile_thinking_switch(
    nim_client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    upstream.reset(Reply(json_body=chat_completion("hi", reasoning="hmm")))

    message = nim_client.messages.create(
        model=MODEL,
        max_tokens=100_000,
        thinking={"type": "enabled", "budget_tokens": 4096},
        messages=[{"role": "user", "content": "hi"}],
    )

    assert [b.type for b in message.content] == ["thinking", "text"]
    assert message.content[0].thinking == "hmm"
    body = upstream.requests[0].body
    assert body["chat_template_kwargs"] == {"thinking": True}
    assert body["max_tokens"] == 65536  # NIM's ceiling
    assert "thinking" not in body


@pytest.mark.parametrize("streamed", [True, False], ids=["stream", "non-stream"])
def test_think_tags_in_content_become_thinking(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream, streamed: bool
) -> None:
    if streamed:
        # Tags cut across chunk boundaries.
        upstream.reset(
            Reply(chunks=text_chunks("<thi", "nk>weighing opt", "ions</th", "ink>Pick B."))
        )
    else:
        upstream.reset(Reply.text("<think>weighing options</think>Pick B."))
    request: dict[str, Any] = {
        "model": MODEL,
        "max_tokens": 512,
        "messages": [{"role": "user", "content": "A or B?"}],
    }

    if streamed:
        with client.messages.stream(**request) as stream:
            message = stream.get_final_message()
    else:
        message = client.messages.create(**request)

    assert [b.type for b in message.content] == ["thinking", "text"]
    assert message.content[0].thinking == "weighing options"
    _assert_crosswire_signature(message.content[0].signature)
    assert message.content[1].text.strip() == "Pick B."
    assert "<think>" not in message.content[1].text
    assert upstream.requests[0].body["messages"] == [{"role": "user", "content": "A or B?"}]


def test_anthropic_signed_thinking_is_not_sent_to_openai_upstream(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    """Thinking signed by Anthropic (history from a real Claude session) is Claude's own: it is
    not replayed to another model as its reasoning."""
    upstream.reset(Reply.text("fine"))

    message = client.messages.create(
        model=MODEL,
        max_tokens=1024,
        thinking={"type": "enabled", "budget_tokens": 512},
        messages=[
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "thinking",
                        "thinking": "Claude's private thought",
                        "signature": "EqQBCkYIBxgCKkB0aGlzIGlzIGEgZmFrZSBzaWduYXR1cmU=",
                    },
                    {"type": "text", "text": "hello"},
                ],
            },
            {"role": "user", "content": "go on"},
        ],
    )

    assert message.content[-1].text == "fine"
    assert upstream.requests[0].body["messages"] == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "go on"},
    ]


def test_kimi_tool_limit_is_a_clear_400(
    kimi_client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    tools = [
        {"name": f"tool_{i:03d}", "input_schema": {"type": "object", "properties": {}}}
        for i in range(130)
    ]

    with pytest.raises(anthropic.BadRequestError) as caught:
        kimi_client.messages.create(
            model=MODEL, max_tokens=64, tools=tools, messages=[{"role": "user", "content": "x"}]
        )

    assert caught.value.body["error"]["type"] == "invalid_request_error"
    assert "128" in caught.value.body["error"]["message"]
    assert upstream.requests == []


def test_kimi_claude_code_tool_loop_with_omitted_thinking(
    kimi_client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    """Claude Code's real shape against Kimi: adaptive thinking with display omitted, a tool
    call with a ``functions.X:N`` id; the next turn must carry the reasoning on the tool-call
    message (Kimi 400s otherwise), omit empty content, and keep the id byte for byte."""
    upstream.reset(
        Reply(
            chunks=[
                chunk({"role": "assistant", "content": ""}),
                chunk({"reasoning_content": "I should "}),
                chunk({"reasoning_content": "read the file."}),
                chunk(
                    {
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "functions.Read:0",
                                "type": "function",
                                "function": {"name": "Read", "arguments": '{"path": "main.py"}'},
                            }
                        ]
                    }
                ),
                chunk({}, "tool_calls"),
                usage_chunk(),
            ]
        ),
        Reply.text("It prints hello."),
    )
    thinking = {"type": "adaptive", "display": "omitted"}
    history: list[Any] = [{"role": "user", "content": "what does main.py do?"}]

    with kimi_client.messages.stream(
        model=MODEL, max_tokens=32000, thinking=thinking, tools=TOOLS, messages=history
    ) as stream:
        first = stream.get_final_message()

    assert [b.type for b in first.content] == ["thinking", "tool_use"]
    assert first.content[0].thinking == ""
    _assert_crosswire_signature(first.content[0].signature)
    call = first.content[1]
    assert call.input == {"path": "main.py"}
    assert re.fullmatch(r"[A-Za-z0-9_-]+", call.id)

    history += [
        {"role": "assistant", "content": first.content},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": call.id, "content": "print('hello')"}
            ],
        },
    ]
    second = kimi_client.messages.create(
        model=MODEL, max_tokens=32000, thinking=thinking, tools=TOOLS, messages=history
    )

    assert second.content[-1].text == "It prints hello."
    first_body, second_body = (r.body for r in upstream.requests)
    assert first_body["thinking"] == second_body["thinking"] == {"type": "enabled"}
    assert second_body["messages"][1:] == [
        {
            "role": "assistant",
            "reasoning_content": "I should read the file.",
            "tool_calls": [
                {
                    "id": "functions.Read:0",
                    "type": "function",
                    # The client sent ``input`` as an object: re-encoded as compact JSON.
                    "function": {"name": "Read", "arguments": '{"path":"main.py"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "functions.Read:0", "content": "print('hello')"},
    ]
