"""Canonical answers → Chat Completions bodies and chunk streams
(crosswire.formats.openai_chat.client_encoder), judged by the official ``openai`` SDK."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from crosswire.canonical import (
    Event,
    MessageStart,
    MessageStop,
    OpaquePart,
    OverloadedError,
    PartStart,
    PartStop,
    RedactedThinkingPart,
    Request,
    Response,
    SignatureDelta,
    StopReason,
    StreamError,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    ToolArgsDelta,
    ToolCallPart,
    Usage,
)
from crosswire.canonical.synthesis import events_from_response
from crosswire.formats.openai_chat import CLIENT, StreamDecoder, StreamEncoder, encode_response
from crosswire.formats.openai_chat.request_decoder import INCLUDE_USAGE, decode_request
from crosswire.formats.sse import SSEParser
from crosswire.jsonutil import dumps

from ..helpers import assert_grammar, collect
from .sdk import replay_completion, replay_stream

USAGE = Usage(
    input_tokens=1200, cache_read_tokens=1000, cache_write_tokens=0, output_tokens=80,
    reasoning_tokens=30,
)  # fmt: skip
USAGE_BODY = {
    "prompt_tokens": 1200,
    "completion_tokens": 80,
    "total_tokens": 1280,
    "prompt_tokens_details": {"cached_tokens": 1000},
    "completion_tokens_details": {"reasoning_tokens": 30},
}
TOOL_RESPONSE = Response(
    id="msg_01abc",
    model="claude-opus-upstream",
    parts=[
        ThinkingPart("Need to look at the file.", origin="openai_chat"),
        TextPart("Let me read "),
        TextPart("both files."),
        ToolCallPart("toolu_01", "read", '{"filePath":"/a.py"}'),
        ToolCallPart("functions.read:1", "read", '{"filePath":"/b.py"}'),
        RedactedThinkingPart("opaque", origin="anthropic"),
        OpaquePart("anthropic", {"type": "server_tool_use"}),
    ],
    stop_reason=StopReason.TOOL_USE,
    usage=USAGE,
)

# --------------------------------------------------------------------------- non-streaming


def test_response_golden() -> None:
    out = encode_response(TOOL_RESPONSE, "gpt-client-name")
    assert out["id"].startswith("chatcmpl-") and len(out["id"]) > 20
    assert isinstance(out["created"], int) and out["created"] > 1_700_000_000
    assert {k: v for k, v in out.items() if k not in ("id", "created")} == {
        "object": "chat.completion",
        "model": "gpt-client-name",  # the client's name, never the upstream's
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Let me read both files.",
                    "refusal": None,
                    "reasoning_content": "Need to look at the file.",
                    "tool_calls": [
                        {
                            "id": "toolu_01",
                            "type": "function",
                            "function": {"name": "read", "arguments": '{"filePath":"/a.py"}'},
                        },
                        {
                            "id": "functions.read:1",
                            "type": "function",
                            "function": {"name": "read", "arguments": '{"filePath":"/b.py"}'},
                        },
                    ],
                },
                "logprobs": None,
                "finish_reason": "tool_calls",
            }
        ],
        "usage": USAGE_BODY,
    }
    ChatCompletion.model_validate(out)


def test_the_sdk_reads_the_response() -> None:
    completion = replay_completion(dumps(encode_response(TOOL_RESPONSE, "m")))
    message = completion.choices[0].message
    assert message.content == "Let me read both files."
    assert [c.function.name for c in message.tool_calls or []] == ["read", "read"]  # type: ignore[union-attr]
    assert completion.usage is not None and completion.usage.prompt_tokens_details is not None
    assert completion.usage.prompt_tokens_details.cached_tokens == 1000
    assert (message.model_extra or {})["reasoning_content"] == "Need to look at the file."


def test_content_is_null_when_only_tool_calls_and_empty_arguments_become_an_object() -> None:
    response = Response("r", "m", [ToolCallPart("c1", "list", "")], StopReason.TOOL_USE)
    message = encode_response(response, "m")["choices"][0]["message"]
    assert message["content"] is None
    assert message["tool_calls"][0]["function"]["arguments"] == "{}"
    assert "reasoning_content" not in message


def test_plain_answer_has_string_content_and_no_extras() -> None:
    response = Response("chatcmpl-up", "m", [], StopReason.END_TURN, usage=Usage())
    out = encode_response(response, "m")
    assert out["id"] == "chatcmpl-up"
    assert out["choices"][0]["message"] == {"role": "assistant", "content": "", "refusal": None}
    assert out["usage"]["completion_tokens_details"] == {"reasoning_tokens": 0}


@pytest.mark.parametrize(
    ("stop", "calls", "finish"),
    [
        (StopReason.END_TURN, False, "stop"),
        (StopReason.STOP_SEQUENCE, False, "stop"),
        (StopReason.PAUSE_TURN, False, "stop"),
        (StopReason.MAX_TOKENS, False, "length"),
        (StopReason.CONTEXT_WINDOW_EXCEEDED, False, "length"),
        (StopReason.REFUSAL, False, "content_filter"),
        (StopReason.TOOL_USE, True, "tool_calls"),
        (StopReason.TOOL_USE, False, "stop"),  # said tool_use, sent no call
        (StopReason.END_TURN, True, "tool_calls"),  # Gemini's STOP next to a functionCall
        (StopReason.MAX_TOKENS, True, "tool_calls"),
    ],
)
def test_finish_reason_table(stop: StopReason, calls: bool, finish: str) -> None:
    parts: list[Any] = [ToolCallPart("c", "f", "{}")] if calls else [TextPart("x")]
    response = Response("r", "m", parts, stop)
    assert encode_response(response, "m")["choices"][0]["finish_reason"] == finish
    stream = _encode(events_from_response(response), include_usage=False)
    assert _chunks(stream)[-1]["choices"][0]["finish_reason"] == finish


def test_cache_writes_are_reported_when_known() -> None:
    response = Response("r", "m", [TextPart("x")], usage=Usage(100, 20, 30, 5))
    details = encode_response(response, "m")["usage"]["prompt_tokens_details"]
    assert details == {"cached_tokens": 20, "cache_write_tokens": 30}


def test_foreign_signed_thinking_round_trips_through_the_client() -> None:
    thinking = ThinkingPart("deep", signature="EqQBCkYIBxgC", origin="anthropic")
    response = Response("r", "m", [thinking, ToolCallPart("toolu_1", "Bash", '{"c":1}')])
    message = encode_response(response, "m")["choices"][0]["message"]
    assert message["reasoning_content"] == "deep"
    (detail,) = message["reasoning_details"]
    assert detail["signature"].startswith("cw1.") and "EqQBCkYIBxgC" not in detail["signature"]
    # The client sends the assistant message back as history, as OpenRouter-aware clients do.
    echoed = decode_request({"model": "m", "messages": [{"role": "user", "content": "q"}, message]})
    assert echoed.messages[1].parts == [thinking, ToolCallPart("toolu_1", "Bash", '{"c":1}')]


# --------------------------------------------------------------------------- streaming


def _encode(events: list[Event], include_usage: bool = True, model: str = "client-model") -> bytes:
    encoder = StreamEncoder(model, include_usage=include_usage)
    return b"".join(encoder.encode(e) for e in events)


def _frames(data: bytes) -> list[bytes]:
    parser = SSEParser()
    return [f.data for f in parser.feed(data) + parser.flush()]


def _chunks(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(f) for f in _frames(data) if f != b"[DONE]"]


def test_stream_grammar_and_sdk_accumulation() -> None:
    events = events_from_response(TOOL_RESPONSE)
    assert_grammar(events)
    data = _encode(events)
    frames = _frames(data)
    assert frames[-1] == b"[DONE]" and frames.count(b"[DONE]") == 1
    chunks = _chunks(data)
    for chunk in chunks:
        ChatCompletionChunk.model_validate(chunk)
    assert len({(c["id"], c["created"], c["model"]) for c in chunks}) == 1
    assert chunks[0]["id"].startswith("chatcmpl-") and chunks[0]["model"] == "client-model"
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    finish, usage = chunks[-2], chunks[-1]
    assert (
        finish["choices"][0]["delta"] == {}
        and finish["choices"][0]["finish_reason"] == "tool_calls"
    )
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-2])
    assert usage["choices"] == [] and usage["usage"] == USAGE_BODY

    sdk_chunks, final = replay_stream(data)
    assert len(sdk_chunks) == len(chunks)
    assert final.usage is not None and final.usage.total_tokens == 1280
    choice = final.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "Let me read both files."
    calls = [(c.id, c.function.name, c.function.arguments) for c in choice.message.tool_calls or []]  # type: ignore[union-attr]
    assert calls == [
        ("toolu_01", "read", '{"filePath":"/a.py"}'),
        ("functions.read:1", "read", '{"filePath":"/b.py"}'),
    ]
    assert (choice.message.model_extra or {}).get("reasoning_content") == (
        "Need to look at the file."
    )


def test_tool_call_deltas_carry_index_k_and_fragments() -> None:
    events: list[Event] = [
        MessageStart("up-1", "upstream-model"),
        PartStart(0, TextPart("")),
        TextDelta(0, "On it."),
        PartStop(0),
        PartStart(1, ToolCallPart("call_a", "Bash", "")),
        ToolArgsDelta(1, '{"cmd":'),
        ToolArgsDelta(1, ""),
        ToolArgsDelta(1, ' "ls"}'),
        PartStop(1),
        PartStart(2, ToolCallPart("call_b", "Todo", "")),  # no arguments at all
        PartStop(2),
        MessageStop(StopReason.TOOL_USE, Usage(10, output_tokens=5)),
    ]
    deltas = [c["choices"][0]["delta"] for c in _chunks(_encode(events, include_usage=False))]
    assert deltas == [
        {"role": "assistant", "content": ""},
        {"content": "On it."},
        {"tool_calls": [{"index": 0, "id": "call_a", "type": "function",
                         "function": {"name": "Bash", "arguments": ""}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"cmd":'}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": ' "ls"}'}}]},
        {"tool_calls": [{"index": 1, "id": "call_b", "type": "function",
                         "function": {"name": "Todo", "arguments": ""}}]},
        {"tool_calls": [{"index": 1, "function": {"arguments": "{}"}}]},
        {},
    ]  # fmt: skip
    _, final = replay_stream(_encode(events, include_usage=False))
    assert final.usage is None  # not asked for: no usage chunk
    args = [c.function.arguments for c in final.choices[0].message.tool_calls or []]  # type: ignore[union-attr]
    assert args == ['{"cmd": "ls"}', "{}"]


def test_thinking_streams_as_reasoning_content_with_a_sealed_detail_for_foreign_state() -> None:
    events: list[Event] = [
        MessageStart("m1", "u"),
        PartStart(0, ThinkingPart("", origin="anthropic")),
        ThinkingDelta(0, "step one, "),
        ThinkingDelta(0, "step two"),
        SignatureDelta(0, "EqQBsig", "anthropic"),
        PartStop(0),
        PartStart(1, ThinkingPart("", origin="openai_chat")),  # our own format: no detail
        ThinkingDelta(1, "more"),
        PartStop(1),
        PartStart(2, TextPart("")),
        TextDelta(2, "Done."),
        PartStop(2),
        MessageStop(StopReason.END_TURN, Usage()),
    ]
    chunks = _chunks(_encode(events, include_usage=False))
    deltas = [c["choices"][0]["delta"] for c in chunks]
    assert [d.get("reasoning_content") for d in deltas[1:3]] == ["step one, ", "step two"]
    (detail,) = deltas[3]["reasoning_details"]
    assert detail["index"] == 0 and detail["text"] == ""
    assert deltas[4:] == [{"reasoning_content": "more"}, {"content": "Done."}, {}]
    # An OpenRouter-aware client echoes the accumulated message; the origin's state comes back.
    message = {
        "role": "assistant",
        "content": "Done.",
        "reasoning_content": "step one, step twomore",
        "reasoning_details": [detail],
    }
    request = decode_request(
        {"model": "m", "messages": [{"role": "user", "content": "q"}, message]}
    )
    assert request.messages[1].parts[0] == ThinkingPart(
        "step one, step two", signature="EqQBsig", origin="anthropic"
    )


def test_stream_error_frame_and_no_done() -> None:
    events: list[Event] = [
        MessageStart("m1", "u"),
        PartStart(0, TextPart("")),
        TextDelta(0, "partial"),
        StreamError(OverloadedError("upstream overloaded")),
    ]
    data = _encode(events)
    frames = _frames(data)
    assert b"[DONE]" not in frames
    assert json.loads(frames[-1]) == {
        "error": {
            "message": "upstream overloaded",
            "type": "server_error",
            "param": None,
            "code": "overloaded",
        }
    }
    import openai

    with pytest.raises(openai.APIError, match="upstream overloaded"):
        replay_stream(data)


def test_stream_error_before_any_answer_is_just_the_error_frame() -> None:
    data = _encode([StreamError(OverloadedError("no answer"))])
    assert data.startswith(b'data: {"error":') and data.count(b"data: ") == 1


def test_content_before_message_start_still_opens_with_the_role_chunk() -> None:
    data = _encode([PartStart(0, TextPart("")), TextDelta(0, "x"), PartStop(0),
                    MessageStop(StopReason.END_TURN, Usage())], include_usage=False)  # fmt: skip
    deltas = [c["choices"][0]["delta"] for c in _chunks(data)]
    assert deltas == [{"role": "assistant", "content": ""}, {"content": "x"}, {}]


def test_our_stream_read_back_by_our_upstream_decoder_gives_the_same_parts() -> None:
    """Hub-and-spoke check: the client encoder's stream is a stream the upstream decoder reads."""
    events = events_from_response(TOOL_RESPONSE)
    decoder = StreamDecoder()
    decoded: list[Event] = []
    for frame in _frames(_encode(events)):
        if frame != b"[DONE]":
            decoded += decoder.feed(json.loads(frame))
    decoded += decoder.finish()
    assert_grammar(decoded)
    assert collect(decoded) == [
        {"kind": "thinking", "text": "Need to look at the file.", "origin": "openai_chat"},
        {"kind": "TextPart", "text": "Let me read both files."},
        {"kind": "tool", "id": "toolu_01", "name": "read", "args": '{"filePath":"/a.py"}'},
        {"kind": "tool", "id": "functions.read:1", "name": "read", "args": '{"filePath":"/b.py"}'},
    ]
    stop = decoded[-1]
    assert isinstance(stop, MessageStop) and stop.stop_reason is StopReason.TOOL_USE
    assert stop.usage == Usage(1200, 1000, 0, 80, 30)


def test_codec_stream_encoder_honours_include_usage() -> None:
    asked = decode_request(
        {"model": "m", "messages": [{"role": "user", "content": "q"}], "stream": True,
         "stream_options": {"include_usage": True}}
    )  # fmt: skip
    assert asked.extra[INCLUDE_USAGE] is True
    events = events_from_response(Response("r", "u", [TextPart("hi")], usage=USAGE))
    with_usage = b"".join(CLIENT.stream_encoder(asked).encode(e) for e in events)
    not_asked = Request(model="m", stream=True)
    without = b"".join(CLIENT.stream_encoder(not_asked).encode(e) for e in events)
    assert _chunks(with_usage)[-1]["usage"] == USAGE_BODY
    assert all("usage" not in c for c in _chunks(without))
    assert CLIENT.encode_response(Response("r", "u", [TextPart("hi")]), asked)["model"] == "m"
