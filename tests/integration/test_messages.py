"""Plain text turns through the SDK: non-streamed, streamed, usage arithmetic, beta paths."""

from __future__ import annotations

import anthropic
import httpx2 as httpx

from tests.support.servers import Reply, ScriptedOpenAIUpstream, chat_completion, chunk

from ._helpers import (
    ANTHROPIC_HEADERS,
    MODEL,
    completion_with_cache,
    event_names,
    raw_stream,
    text_chunks,
)

_SIMPLE = {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}


def test_text_non_stream(client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream) -> None:
    upstream.reset(Reply(json_body=completion_with_cache("Hello there", 100, 7, cached=40)))

    message = client.messages.create(
        model=MODEL,
        max_tokens=256,
        system="Be brief.",
        extra_body={"temperature": 0.3},  # SDK 2.x dropped the keyword; servers still take it
        messages=[{"role": "user", "content": "Hi"}],
    )

    assert message.type == "message"
    assert message.role == "assistant"
    assert message.model == MODEL
    assert message.id.startswith("msg_")
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == "Hello there"
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == 60
    assert message.usage.cache_read_input_tokens == 40
    assert message.usage.output_tokens == 7

    [seen] = upstream.requests
    assert seen.path == "/v1/chat/completions"
    assert seen.body["model"] == "upstream-model"
    assert seen.body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]
    assert seen.body["max_tokens"] == 256
    assert seen.body["temperature"] == 0.3
    assert "stream" not in seen.body


def test_text_stream(client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream) -> None:
    upstream.reset(Reply(chunks=text_chunks("Hel", "lo ", "wor", "ld")))

    with client.messages.stream(
        model=MODEL, max_tokens=256, messages=[{"role": "user", "content": "Hi"}]
    ) as stream:
        pieces = list(stream.text_stream)
        message = stream.get_final_message()

    assert pieces == ["Hel", "lo ", "wor", "ld"]
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == "Hello world"
    assert message.stop_reason == "end_turn"
    # prompt_tokens 100 of which 40 cached; completion 12, all from the trailing usage chunk.
    assert message.usage.input_tokens == 60
    assert message.usage.cache_read_input_tokens == 40
    assert message.usage.output_tokens == 12

    [seen] = upstream.requests
    assert seen.body["stream"] is True
    assert seen.body["stream_options"] == {"include_usage": True}
    assert seen.body["messages"] == [{"role": "user", "content": "Hi"}]


def test_stream_event_grammar(raw: httpx.Client, upstream: ScriptedOpenAIUpstream) -> None:
    upstream.reset(Reply(chunks=text_chunks("a", "b")))

    response, frames = raw_stream(
        raw, {"model": MODEL, "max_tokens": 50, "messages": [{"role": "user", "content": "x"}]}
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["request-id"].startswith("req_")
    names = [n for n in event_names(frames) if n != "ping"]
    assert names == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    for name, data in frames:
        assert data["type"] == name  # the data's type always repeats the event name
    start = frames[0][1]["message"]
    assert start["role"] == "assistant" and start["content"] == [] and start["model"] == MODEL
    delta = dict(frames)["message_delta"]
    assert delta["delta"]["stop_reason"] == "end_turn"
    assert delta["usage"]["output_tokens"] == 12
    assert len(upstream.requests) == 1
    assert upstream.requests[0].body["stream"] is True


def test_length_finish_maps_to_max_tokens(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    upstream.reset(
        Reply(json_body=chat_completion("truncat", finish_reason="length")),
        Reply(chunks=text_chunks("truncat", finish="length")),
    )
    kwargs = {"model": MODEL, "max_tokens": 3, "messages": [{"role": "user", "content": "go"}]}

    message = client.messages.create(**kwargs)
    with client.messages.stream(**kwargs) as stream:
        streamed = stream.get_final_message()

    assert message.stop_reason == "max_tokens"
    assert streamed.stop_reason == "max_tokens"
    assert streamed.content[0].text == "truncat"
    assert [r.body["max_tokens"] for r in upstream.requests] == [3, 3]


def test_beta_query_and_header_accepted(
    client: anthropic.Anthropic, raw: httpx.Client, upstream: ScriptedOpenAIUpstream
) -> None:
    """Claude Code posts to ``/v1/messages?beta=true`` with an ``anthropic-beta`` header."""
    upstream.reset(Reply.text("beta ok"), Reply.text("raw beta ok"))

    message = client.beta.messages.create(
        model=MODEL,
        max_tokens=64,
        betas=["interleaved-thinking-2025-05-14", "context-management-2025-06-27"],
        messages=[{"role": "user", "content": "hello"}],
    )
    response = raw.post(
        "/v1/messages?beta=true",
        headers={**ANTHROPIC_HEADERS, "anthropic-beta": "fine-grained-tool-streaming-2025-05-14"},
        json={
            "model": MODEL,
            "max_tokens": 64,
            "messages": [{"role": "user", "content": "hello"}],
            "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]},
            "metadata": {"user_id": '{"device_id": "abc"}'},
        },
    )

    assert message.content[0].text == "beta ok"
    assert response.status_code == 200, response.text
    assert response.json()["content"] == [{"type": "text", "text": "raw beta ok"}]
    assert len(upstream.requests) == 2
    for seen in upstream.requests:
        assert seen.path == "/v1/chat/completions"
        assert seen.body["messages"] == [{"role": "user", "content": "hello"}]
        assert "anthropic-beta" not in {k.lower() for k in seen.headers}
        assert "context_management" not in seen.body


def test_utf8_split_across_upstream_chunks(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    """Multi-byte characters cut between two network writes arrive whole, not as U+FFFD."""
    upstream.reset(
        Reply(
            chunks=[
                chunk({"role": "assistant", "content": ""}),
                b'data: {"choices":[{"index":0,"delta":{"content":"caf\xc3',
                b"\xa9 \xe2\x82",
                b'\xac 5"}}]}\n\n',
                chunk({}, "stop"),
            ],
            delay=0.03,  # separate TCP reads
        )
    )

    with client.messages.stream(**_SIMPLE) as stream:
        message = stream.get_final_message()

    assert message.content[0].text == "café € 5"
    assert len(upstream.requests) == 1


def test_stream_request_answered_with_plain_json(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    """A server that ignores ``stream: true`` and answers one JSON body still streams out."""
    upstream.reset(Reply(json_body=completion_with_cache("whole answer", 100, 4, cached=40)))

    with client.messages.stream(**_SIMPLE) as stream:
        message = stream.get_final_message()

    assert message.content[0].text == "whole answer"
    assert message.usage.output_tokens == 4
    assert message.usage.cache_read_input_tokens == 40
    assert upstream.requests[0].body["stream"] is True


def test_claude_code_system_shapes(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    """System blocks with cache_control, the per-session billing line (dropped: it would bust
    the upstream's prefix cache) and a ``role: system`` message inside ``messages``."""
    upstream.reset(Reply.text("ok"))

    client.messages.create(
        model=MODEL,
        max_tokens=32,
        system=[
            {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1; cch=abc"},
            {
                "type": "text",
                "text": "You are Claude Code.",
                "cache_control": {"type": "ephemeral"},
            },
        ],
        messages=[
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello"},
            {"role": "system", "content": "Reminder: be terse."},
            {"role": "user", "content": [{"type": "text", "text": "go"}]},
        ],
    )

    messages = upstream.requests[0].body["messages"]
    assert messages[0]["role"] == "system"
    assert "You are Claude Code." in messages[0]["content"]
    assert "Reminder: be terse." in messages[0]["content"]
    assert "billing-header" not in messages[0]["content"]
    assert messages[1:] == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "go"},
    ]
