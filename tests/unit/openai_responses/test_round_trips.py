"""Whole trips through the hub: reasoning state must come back to the format that made it.

Responses upstream → Responses client → next request → Responses upstream (native
``encrypted_content`` and item id); Responses upstream → Anthropic client (sealed token) →
Responses upstream; Anthropic upstream → Responses client (sealed token) → Anthropic. Plus the
upstream adapter's URL, headers and body.
"""

from __future__ import annotations

from typing import Any

from crosswire import jsonutil
from crosswire.canonical import (
    Event,
    Message,
    MessageStart,
    MessageStop,
    PartStart,
    PartStop,
    Request,
    SignatureDelta,
    StopReason,
    TextDelta,
    TextPart,
    ThinkingConfig,
    ThinkingDelta,
    ThinkingPart,
    Usage,
)
from crosswire.config import ModelConfig, ProviderConfig
from crosswire.formats import anthropic
from crosswire.formats.openai_responses import (
    StreamDecoder,
    StreamEncoder,
    decode_request,
    encode_request,
)
from crosswire.routing import Target
from crosswire.upstream.openai_responses import OpenAIResponsesAdapter

from ..helpers import assert_grammar, parse_sse
from .sdk import accumulate, frames, validate_events
from .test_request_decoder import minimal
from .test_upstream_decoders import openai_stream


def upstream_events() -> list[Event]:
    decoder = StreamDecoder()
    events = [e for p in openai_stream() for e in decoder.feed(p)] + decoder.finish()
    assert_grammar(events)
    return events


def test_native_reasoning_survives_a_responses_client_turn() -> None:
    request = decode_request(minimal(input="fix it", reasoning={"effort": "high"}, stream=True))
    encoder = StreamEncoder(request)
    payloads = frames(b"".join(encoder.encode(e) for e in upstream_events()))
    validate_events(payloads)
    final = accumulate(payloads)
    reasoning = final.output[0]
    assert reasoning.type == "reasoning"
    assert (reasoning.id, reasoning.encrypted_content) == ("rs_1", "gAAAAABo-upstream-state")
    added = next(p for p in payloads if p["type"] == "response.output_item.added")
    assert added["item"]["id"] == "rs_1"  # live, and the id never changes

    # the client (an SDK user replaying output items by value) sends everything back
    history = [item.model_dump(mode="json", exclude_none=True) for item in final.output]
    outputs = [
        {"type": "function_call_output", "call_id": "call_A", "output": "a.py"},
        {"type": "function_call_output", "call_id": "call_B", "output": "issue 12"},
    ]
    next_turn = decode_request(
        minimal(input=[{"role": "user", "content": "fix it"}, *history, *outputs],
                reasoning={"effort": "high"})
    )  # fmt: skip
    body = encode_request(next_turn, "gpt-5.1-codex")
    assert body["input"][1] == {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [{"type": "summary_text", "text": "**Plan**\n\nRun tests.\n\n**Check issue**"}],
        "encrypted_content": "gAAAAABo-upstream-state",
    }
    assert [i["type"] for i in body["input"]] == [
        "message", "reasoning", "message", "function_call", "function_call",
        "function_call_output", "function_call_output",
    ]  # fmt: skip
    # the calls go back by value: no fc_ ids that would need server-side storage
    assert all("id" not in i for i in body["input"] if i["type"] == "function_call")


def test_responses_reasoning_through_an_anthropic_client_and_back() -> None:
    encoder = anthropic.StreamEncoder("claude-sonnet-4-5")
    sse = parse_sse(b"".join(encoder.encode(e) for e in upstream_events()))
    blocks: dict[int, dict[str, Any]] = {}
    for _, data in sse:
        if data["type"] == "content_block_start":
            blocks[data["index"]] = dict(data["content_block"])
        elif data["type"] == "content_block_delta":
            delta = data["delta"]
            block = blocks[data["index"]]
            if delta["type"] == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "signature_delta":
                block["signature"] = delta["signature"]
    thinking = blocks[0]
    assert thinking["signature"].startswith("cw1.")  # sealed: never taken for Anthropic's
    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 1000,
        "thinking": {"type": "enabled", "budget_tokens": 4000},
        "messages": [
            {"role": "user", "content": "fix it"},
            {"role": "assistant", "content": [thinking]},
            {"role": "user", "content": "go on"},
        ],
    }
    request = anthropic.decode_request(body)
    assert request.messages[1].parts == [
        ThinkingPart(
            "**Plan**\n\nRun tests.\n\n**Check issue**",
            "rs_1\ngAAAAABo-upstream-state",
            "openai_responses",
        )
    ]
    wire = encode_request(request, "gpt-5.1")
    assert wire["input"][1]["encrypted_content"] == "gAAAAABo-upstream-state"
    assert wire["input"][1]["id"] == "rs_1"


def test_anthropic_thinking_through_a_responses_client_and_back() -> None:
    signed = ThinkingPart("Think.", "EqQBCkYIBxgC-real-anthropic", "anthropic")
    events: list[Event] = [
        MessageStart("msg_01", "claude-opus"),
        PartStart(0, ThinkingPart("", None, "anthropic")),
        ThinkingDelta(0, "Think."),
        SignatureDelta(0, signed.signature or "", "anthropic"),
        PartStop(0),
        PartStart(1, TextPart("")),
        TextDelta(1, "Done."),
        PartStop(1),
        MessageStop(StopReason.END_TURN, Usage(10, 0, 0, 5)),
    ]
    request = decode_request(minimal(stream=True))
    encoder = StreamEncoder(request)
    payloads = frames(b"".join(encoder.encode(e) for e in events))
    final = accumulate(payloads)
    history = [item.model_dump(mode="json", exclude_none=True) for item in final.output]
    next_turn = decode_request(minimal(input=[*history, {"role": "user", "content": "more"}]))
    assert next_turn.messages[0].parts == [signed, TextPart("Done.")]
    # and a Responses upstream never receives the Anthropic state
    assert [i["type"] for i in encode_request(next_turn, "gpt-5.1")["input"]] == [
        "message", "message",
    ]  # fmt: skip


# --------------------------------------------------------------------------- the adapter


def target(capabilities: frozenset[str] = frozenset()) -> Target:
    provider = ProviderConfig(
        name="oai", type="openai_responses", base_url="https://api.openai.com/v1/",
        api_key="sk-test", custom_headers={"OpenAI-Project": "proj_1"},
    )  # fmt: skip
    model = ModelConfig(alias="g", provider="oai", model="gpt-5.1-codex",
                        max_context_size=400000, max_output_size=128000,
                        capabilities=capabilities)  # fmt: skip
    return Target("g", model, provider, "alias")


def test_adapter_call() -> None:
    adapter = OpenAIResponsesAdapter()
    assert adapter.format == "openai_responses"
    request = Request(
        model="claude-sonnet-4-5",
        client_format="anthropic",
        messages=[Message("user", [TextPart("hi")])],
        max_tokens=200000,
        stream=True,
        thinking=ThinkingConfig("adaptive", effort="high"),
    )
    url, body, headers = adapter.call(request, target(frozenset({"thinking"})))
    assert url == "https://api.openai.com/v1/responses"
    assert headers == {
        "content-type": "application/json",
        "user-agent": "crosswire/0.1",
        "accept": "text/event-stream",
        "authorization": "Bearer sk-test",
        "OpenAI-Project": "proj_1",
    }
    wire = jsonutil.loads(body)
    assert wire["model"] == "gpt-5.1-codex"
    assert wire["max_output_tokens"] == 128000
    assert wire["reasoning"] == {"effort": "high", "summary": "auto"}
    assert wire["store"] is False and wire["stream"] is True
    # a model not marked as thinking gets no reasoning from a foreign client
    _, plain, _ = adapter.call(request, target())
    assert "reasoning" not in jsonutil.loads(plain)
    assert isinstance(adapter.stream_decoder(target()), StreamDecoder)
    error = adapter.decode_error(
        429, b'{"error":{"code":"insufficient_quota","message":"q"}}', None
    )
    assert error.kind == "quota_exceeded"
