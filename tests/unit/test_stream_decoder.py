"""Chat Completions stream chunks → canonical events (StreamDecoder); grammar checked always."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crosswire.canonical import (
    ContextLengthError,
    Event,
    GatewayError,
    MessageStart,
    MessageStop,
    OverloadedError,
    PartStart,
    PartStop,
    QuotaExceededError,
    RateLimitError,
    StopReason,
    StreamError,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    UpstreamError,
    Usage,
)
from crosswire.formats.openai_chat import StreamDecoder

from .helpers import assert_grammar, collect

ID, MODEL = "chatcmpl-7", "kimi-k2.6"


def chunk(
    delta: dict[str, Any] | None = None,
    finish: str | None = None,
    *,
    usage: dict[str, Any] | None = None,
    choices: list[Any] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"id": ID, "object": "chat.completion.chunk", "model": MODEL}
    if choices is None:
        choices = [{"index": 0, "delta": delta or {}, "finish_reason": finish}]
    out["choices"] = choices
    out["usage"] = usage
    return out


def call(
    index: int | None = None, id: str | None = None, name: str | None = None, args: Any = None
):
    fragment: dict[str, Any] = {}
    if index is not None:
        fragment["index"] = index
    if id is not None:
        fragment["id"] = id
        fragment["type"] = "function"
    function: dict[str, Any] = {}
    if name is not None:
        function["name"] = name
    if args is not None:
        function["arguments"] = args
    fragment["function"] = function
    return fragment


def tools(*fragments: dict[str, Any]) -> dict[str, Any]:
    return chunk({"tool_calls": list(fragments)})


def run(chunks: list[Any], decoder: StreamDecoder | None = None) -> list[Event]:
    decoder = decoder or StreamDecoder()
    events: list[Event] = []
    for c in chunks:
        events += decoder.feed(c)
    events += decoder.finish()
    assert_grammar(events)
    return events


def tool_parts(events: list[Event]) -> list[dict[str, Any]]:
    return [p for p in collect(events) if p["kind"] == "tool"]


USAGE = {
    "prompt_tokens": 120,
    "completion_tokens": 30,
    "prompt_tokens_details": {"cached_tokens": 100},
}


# --------------------------------------------------------------------------- text and reasoning


def test_plain_text_stream() -> None:
    events = run(
        [
            chunk({"role": "assistant", "content": ""}),
            chunk({"content": "Hel"}),
            chunk({"content": "lo"}),
            chunk({}, "stop"),
            chunk(choices=[], usage=USAGE),
        ]
    )
    assert events == [
        MessageStart(ID, MODEL),
        PartStart(0, TextPart("")),
        TextDelta(0, "Hel"),
        TextDelta(0, "lo"),
        PartStop(0),
        MessageStop(
            StopReason.END_TURN,
            Usage(input_tokens=120, cache_read_tokens=100, output_tokens=30),
        ),
    ]


def test_no_empty_text_part_is_opened() -> None:
    events = run([chunk({"role": "assistant", "content": ""}), chunk({}, "stop")])
    assert [type(e) for e in events] == [MessageStart, MessageStop]


def test_text_streams_through_as_it_arrives() -> None:
    decoder = StreamDecoder()
    first = decoder.feed(chunk({"content": "now"}))
    assert first[-1] == TextDelta(0, "now")  # not held back until the end


@pytest.mark.parametrize("key", ["reasoning_content", "reasoning"])
def test_reasoning_then_text_then_tools(key: str) -> None:
    events = run(
        [
            chunk({"role": "assistant", key: "I "}),
            chunk({key: "think"}),
            chunk({"content": "Let me "}),
            chunk({"content": "check."}),
            tools(call(0, "call_a", "Read", "")),
            tools(call(0, args='{"path": "/a"}')),
            tools(call(1, "call_b", "Bash", '{"cmd": "ls"}')),
            chunk({}, "tool_calls"),
        ]
    )
    assert collect(events) == [
        {"kind": "thinking", "text": "I think", "origin": "openai_chat"},
        {"kind": "TextPart", "text": "Let me check."},
        {"kind": "tool", "id": "call_a", "name": "Read", "args": '{"path": "/a"}'},
        {"kind": "tool", "id": "call_b", "name": "Bash", "args": '{"cmd": "ls"}'},
    ]
    assert events[-1].stop_reason is StopReason.TOOL_USE


def test_reasoning_details_in_deltas() -> None:
    events = run(
        [
            chunk({"reasoning_details": [{"type": "reasoning.text", "text": "a"}]}),
            chunk({"reasoning_details": [{"type": "reasoning.encrypted", "data": "zz"}]}),
            chunk({"reasoning_details": [{"type": "reasoning.summary", "summary": "b"}]}),
            chunk({"content": "x"}, "stop"),
        ]
    )
    assert collect(events)[0] == {"kind": "thinking", "text": "ab", "origin": "openai_chat"}


def test_configured_reasoning_key() -> None:
    events = run(
        [chunk({"thought": "deep"}), chunk({"content": "x"}, "stop")],
        StreamDecoder(("thought",)),
    )
    assert isinstance(events[1], PartStart) and isinstance(events[1].part, ThinkingPart)
    assert events[2] == ThinkingDelta(0, "deep")


def test_reasoning_after_text_opens_a_new_part() -> None:
    events = run(
        [
            chunk({"reasoning_content": "a"}),
            chunk({"content": "b"}),
            chunk({"reasoning": "c"}),
            chunk({}, "stop"),
        ]
    )
    assert [p["kind"] for p in collect(events)] == ["thinking", "TextPart", "thinking"]


def test_refusal_delta_is_text() -> None:
    events = run([chunk({"refusal": "No."}), chunk({}, "content_filter")])
    assert collect(events) == [{"kind": "TextPart", "text": "No."}]
    assert events[-1].stop_reason is StopReason.REFUSAL


SPLIT_SOURCE = "<think>abc</think>hello"


@pytest.mark.parametrize("cut", range(len(SPLIT_SOURCE) + 1))
def test_think_tags_split_at_every_position(cut: int) -> None:
    pieces = [SPLIT_SOURCE[:cut], SPLIT_SOURCE[cut:]]
    events = run([chunk({"content": p}) for p in pieces] + [chunk({}, "stop")])
    parts = collect(events)
    assert [p["kind"] for p in parts] == ["thinking", "TextPart"]
    assert parts[0]["text"] == "abc"
    assert parts[1]["text"] == "hello"


def test_think_tags_split_at_every_pair_of_positions() -> None:
    n = len(SPLIT_SOURCE)
    for i in range(n + 1):
        for j in range(i, n + 1):
            pieces = [SPLIT_SOURCE[:i], SPLIT_SOURCE[i:j], SPLIT_SOURCE[j:]]
            parts = collect(run([chunk({"content": p}) for p in pieces] + [chunk({}, "stop")]))
            texts = {p["kind"]: p["text"] for p in parts}
            assert texts == {"thinking": "abc", "TextPart": "hello"}, (i, j, parts)


def test_think_tags_one_character_per_chunk_with_leading_whitespace() -> None:
    source = "\n<think>\nplan\n</think>\n\nanswer"
    parts = collect(run([chunk({"content": c}) for c in source] + [chunk({}, "stop")]))
    assert parts[0]["kind"] == "thinking" and parts[0]["text"] == "\nplan\n"
    assert parts[1] == {"kind": "TextPart", "text": "answer"}


def test_text_that_only_starts_like_a_tag_is_text() -> None:
    parts = collect(run([chunk({"content": "<thi"}), chunk({"content": "s>"}), chunk({}, "stop")]))
    assert parts == [{"kind": "TextPart", "text": "<this>"}]


def test_partial_tag_at_end_of_stream_is_flushed() -> None:
    parts = collect(run([chunk({"content": "<thi"}), chunk({}, "stop")]))
    assert parts == [{"kind": "TextPart", "text": "<thi"}]
    parts = collect(run([chunk({"content": "<think>abc</thi"}), chunk({}, "stop")]))
    assert parts == [{"kind": "thinking", "text": "abc</thi", "origin": "openai_chat"}]


def test_later_think_tags_are_plain_text() -> None:
    parts = collect(run([chunk({"content": "a <think>b</think>"}), chunk({}, "stop")]))
    assert parts == [{"kind": "TextPart", "text": "a <think>b</think>"}]


# --------------------------------------------------------------------------- tool calls


def test_interleaved_parallel_tool_calls_become_contiguous_parts() -> None:
    events = run(
        [
            tools(call(0, "call_0", "Read", "")),
            tools(call(1, "call_1", "Bash", "")),
            tools(call(0, args='{"pa')),
            tools(call(1, args='{"cm')),
            tools(call(0, args='th": "/a"}')),
            tools(call(1, args='d": "ls"}')),
            tools(call(2, "call_2", "Glob", '{"p": "*"}')),
            chunk({}, "tool_calls"),
        ]
    )
    assert tool_parts(events) == [
        {"kind": "tool", "id": "call_0", "name": "Read", "args": '{"path": "/a"}'},
        {"kind": "tool", "id": "call_1", "name": "Bash", "args": '{"cmd": "ls"}'},
        {"kind": "tool", "id": "call_2", "name": "Glob", "args": '{"p": "*"}'},
    ]


def test_several_calls_in_one_chunk() -> None:
    events = run(
        [
            tools(call(0, "a", "A", '{"x": 1}'), call(1, "b", "B", '{"y": 2}')),
            chunk({}, "tool_calls"),
        ]
    )
    assert [(p["id"], p["args"]) for p in tool_parts(events)] == [
        ("a", '{"x": 1}'),
        ("b", '{"y": 2}'),
    ]


def test_cumulative_argument_snapshots() -> None:
    events = run(
        [
            tools(call(0, "c", "Write", '{"pa')),
            tools(call(0, args='{"path": "/a", ')),
            tools(call(0, args='{"path": "/a", "content": "hi"}')),
            tools(call(0, args='{"path": "/a", "content": "hi"}')),  # repeated whole
            chunk({}, "tool_calls"),
        ]
    )
    assert json.loads(tool_parts(events)[0]["args"]) == {"path": "/a", "content": "hi"}


def test_whole_arguments_in_one_chunk() -> None:
    events = run([tools(call(0, "c", "Bash", '{"cmd": "ls -la"}')), chunk({}, "tool_calls")])
    assert tool_parts(events) == [
        {"kind": "tool", "id": "c", "name": "Bash", "args": '{"cmd": "ls -la"}'}
    ]


def test_arguments_as_object() -> None:
    events = run([tools(call(0, "c", "Bash", {"cmd": "ls", "n": [1]})), chunk({}, "tool_calls")])
    assert json.loads(tool_parts(events)[0]["args"]) == {"cmd": "ls", "n": [1]}


def test_missing_index_keyed_by_id() -> None:
    events = run(
        [
            tools(call(id="call_a", name="Read", args='{"p"')),
            tools(call(id="call_b", name="Bash", args='{"c"')),
            tools(call(id="call_a", args=": 1}")),
            tools(call(id="call_b", args=": 2}")),
            chunk({}, "stop"),
        ]
    )
    assert [(p["id"], p["name"], p["args"]) for p in tool_parts(events)] == [
        ("call_a", "Read", '{"p": 1}'),
        ("call_b", "Bash", '{"c": 2}'),
    ]
    assert events[-1].stop_reason is StopReason.TOOL_USE  # "stop" next to tool calls


def test_missing_id_and_index() -> None:
    events = run(
        [
            tools(call(name="Read", args='{"p": ')),
            tools(call(args='"/a"}')),
            tools(call(name="Bash", args="")),
            tools(call(args='{"c": "ls"}')),
            chunk({}, "tool_calls"),
        ]
    )
    read, bash = tool_parts(events)
    assert (read["name"], read["args"]) == ("Read", '{"p": "/a"}')
    assert (bash["name"], bash["args"]) == ("Bash", '{"c": "ls"}')
    assert read["id"].startswith("call_") and bash["id"].startswith("call_")
    assert read["id"] != bash["id"]


def test_id_repeated_on_every_fragment() -> None:
    events = run(
        [
            tools(call(0, "c", "Read", '{"a"')),
            tools(call(0, "c", None, ": 1}")),
            chunk({}, "tool_calls"),
        ]
    )
    assert tool_parts(events) == [{"kind": "tool", "id": "c", "name": "Read", "args": '{"a": 1}'}]


def test_index_reused_for_a_new_call() -> None:
    events = run(
        [
            tools(call(0, "c1", "Read", '{"a": 1}')),
            tools(call(0, "c2", "Bash", '{"b": 2}')),
            chunk({}, "tool_calls"),
        ]
    )
    assert [(p["id"], p["name"]) for p in tool_parts(events)] == [("c1", "Read"), ("c2", "Bash")]


def test_text_before_and_after_tool_fragments_keeps_text_contiguous() -> None:
    events = run(
        [
            chunk({"content": "a"}),
            tools(call(0, "c", "T", "{}")),
            chunk({"content": "b"}),
            chunk({}, "tool_calls"),
        ]
    )
    assert [p["kind"] for p in collect(events)] == ["TextPart", "tool"]
    assert collect(events)[0]["text"] == "ab"


@pytest.mark.parametrize(
    ("finish", "reason"),
    [
        ("tool_calls", StopReason.TOOL_USE),
        ("stop", StopReason.TOOL_USE),
        ("length", StopReason.MAX_TOKENS),  # the last call may be cut: not a finished turn
    ],
)
def test_stop_reason_with_tool_calls(finish: str, reason: StopReason) -> None:
    events = run([tools(call(0, "c", "T", '{"a": 1}')), chunk({}, finish)])
    assert events[-1].stop_reason is reason


# --------------------------------------------------------------------------- usage


def test_usage_in_trailing_chunk_after_finish_reason() -> None:
    events = run([chunk({"content": "x"}), chunk({}, "stop"), chunk(choices=[], usage=USAGE)])
    assert events[-1].usage == Usage(input_tokens=120, cache_read_tokens=100, output_tokens=30)


def test_usage_in_choices_zero() -> None:
    final = chunk({}, "stop")
    final["choices"][0]["usage"] = {"prompt_tokens": 9, "completion_tokens": 4, "cached_tokens": 5}
    events = run([chunk({"content": "x"}), final])
    assert events[-1].usage == Usage(input_tokens=9, cache_read_tokens=5, output_tokens=4)


def test_usage_null_on_every_chunk_but_last() -> None:
    events = run([chunk({"content": "x"}, usage=None), chunk({}, "stop", usage=USAGE)])
    assert events[-1].usage.output_tokens == 30


def test_no_usage_reported_is_zero() -> None:
    assert run([chunk({"content": "x"}, "stop")])[-1].usage == Usage()


# --------------------------------------------------------------------------- failures


def test_stream_ending_without_finish_reason_is_an_error() -> None:
    events = run([chunk({"content": "partial"}), tools(call(0, "c", "Write", '{"content": "ha'))])
    assert isinstance(events[-1], StreamError)
    assert isinstance(events[-1].error, UpstreamError)
    # the text seen so far was delivered; the unfinished tool call is never emitted
    assert collect(events) == [{"kind": "TextPart", "text": "partial"}]


def test_stream_with_nothing_at_all() -> None:
    decoder = StreamDecoder()
    events = decoder.finish()
    assert [type(e) for e in events] == [MessageStart, StreamError]  # the grammar holds
    assert isinstance(events[1].error, UpstreamError)
    assert decoder.finish() == []  # idempotent


def test_finish_twice_adds_nothing() -> None:
    decoder = StreamDecoder()
    decoder.feed(chunk({"content": "x"}, "stop"))
    assert isinstance(decoder.finish()[-1], MessageStop)
    assert decoder.finish() == []


def test_non_dict_chunks_are_ignored() -> None:
    events = run(["junk", None, [1], chunk({"content": "x"}, "stop")])
    assert collect(events) == [{"kind": "TextPart", "text": "x"}]


def test_finished_flag() -> None:
    decoder = StreamDecoder()
    decoder.feed(chunk({"content": "x"}))
    assert not decoder.finished
    decoder.feed(chunk({}, "stop"))
    assert decoder.finished


def _error_frame(error: dict[str, Any]) -> list[Event]:
    return run([chunk({"content": "so far"}), {"error": error}])


@pytest.mark.parametrize(
    ("error", "cls"),
    [
        (
            {"message": "You exceeded your current quota", "code": "insufficient_quota"},
            QuotaExceededError,
        ),
        ({"message": "suspended", "type": "exceeded_current_quota_error"}, QuotaExceededError),
        ({"message": "too long", "code": "context_length_exceeded"}, ContextLengthError),
        ({"message": "something broke"}, UpstreamError),
    ],
)
def test_error_frame_becomes_stream_error(error: dict[str, Any], cls: type[GatewayError]) -> None:
    events = _error_frame(error)
    assert isinstance(events[-1], StreamError)
    assert type(events[-1].error) is cls
    assert error["message"] in events[-1].error.message


def test_error_frame_as_first_chunk_still_starts_the_message() -> None:
    events = run([{"error": {"message": "nope"}}])
    assert [type(e) for e in events] == [MessageStart, StreamError]


@pytest.mark.parametrize(
    "error",
    [
        {
            "message": "Rate limit reached for requests",
            "type": "requests",
            "code": "rate_limit_exceeded",
        },
        {"code": 429, "message": "Rate limit exceeded"},  # OpenRouter: code is the HTTP status
    ],
)
def test_rate_limit_error_frame_maps_to_rate_limit_error(error: dict[str, Any]) -> None:
    events = _error_frame(error)
    assert isinstance(events[-1], StreamError)
    assert isinstance(events[-1].error, RateLimitError)


def test_overloaded_error_frame_maps_to_overloaded_error() -> None:
    events = _error_frame({"code": 503, "message": "No available provider"})
    assert isinstance(events[-1].error, OverloadedError)


def test_error_chunk_with_choices_and_finish_reason_error_is_a_stream_error() -> None:
    frame = chunk({"content": ""}, "error")
    frame["error"] = {"code": "server_error", "message": "Provider disconnected unexpectedly"}
    events = run([chunk({"content": "partial"}), frame])
    assert isinstance(events[-1], StreamError)
