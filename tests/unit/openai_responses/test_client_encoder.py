"""Canonical answers → Responses clients: encode_response, StreamEncoder, encode_error.

Everything written is checked against the ``openai`` SDK's own types, and streams are run
through the SDK's accumulator, which must rebuild the same Response the non-stream path writes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from crosswire.canonical import (
    AuthenticationError,
    ContextLengthError,
    Event,
    GatewayError,
    InvalidRequestError,
    MessageStart,
    MessageStop,
    NotFoundError,
    OpaquePart,
    OverloadedError,
    PartStart,
    PartStop,
    QuotaExceededError,
    RateLimitError,
    RedactedThinkingPart,
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
    UpstreamError,
    UpstreamServerError,
    UpstreamTimeoutError,
    Usage,
)
from crosswire.canonical.synthesis import events_from_response
from crosswire.formats.openai_responses import (
    CLIENT,
    StreamEncoder,
    decode_request,
    encode_error,
    encode_response,
)

from .sdk import accumulate, frames, validate_events, validate_response
from .test_request_decoder import codex_body, minimal

USAGE = Usage(input_tokens=1200, cache_read_tokens=1000, cache_write_tokens=0, output_tokens=80,
              reasoning_tokens=32)  # fmt: skip
NATIVE = ThinkingPart("**Planning**\n\nCheck the test.", "rs_up1\ngAAAA-native", "openai_responses")
FOREIGN = ThinkingPart("Let me look at the test.", "EqQBCkYIBxgC-anthropic", "anthropic")


def answer(*parts: Any, stop: StopReason = StopReason.TOOL_USE) -> Response:
    return Response(id="resp_test", model="kimi-k2.6", parts=list(parts), stop_reason=stop,
                    usage=USAGE)  # fmt: skip


CODEX_ANSWER = answer(
    NATIVE,
    TextPart("Running the test."),
    ToolCallPart("call_a", "shell_command", '{"command":"pytest -x"}'),
    ToolCallPart("call_b", "mcp__github__get_issue", '{"number":12}'),
    ToolCallPart("call_c", "apply_patch", '{"input":"*** Begin Patch\\n*** End Patch\\n"}'),
)


def stream(request: Any, events: list[Event]) -> list[dict[str, Any]]:
    encoder = StreamEncoder(request, created_at=1700000000)
    payloads = frames(b"".join(encoder.encode(e) for e in events))
    validate_events(payloads)
    return payloads


# --------------------------------------------------------------------------- non-streaming


def test_response_golden() -> None:
    request = decode_request(codex_body())
    body = encode_response(CODEX_ANSWER, request, created_at=1700000000)
    validate_response(body)
    assert body["output"] == [
        {
            "id": "rs_up1",  # the upstream's own reasoning item id, with its own state
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": "**Planning**\n\nCheck the test."}],
            "encrypted_content": "gAAAA-native",
        },
        {
            "id": "msg_test_1",
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Running the test.", "annotations": []}],
        },
        {
            "id": "fc_test_2",
            "type": "function_call",
            "status": "completed",
            "call_id": "call_a",
            "name": "shell_command",
            "arguments": '{"command":"pytest -x"}',
        },
        {
            "id": "fc_test_3",
            "type": "function_call",
            "status": "completed",
            "call_id": "call_b",
            "name": "get_issue",
            "arguments": '{"number":12}',
            "namespace": "mcp__github",
        },
        {
            "id": "ctc_test_4",
            "type": "custom_tool_call",
            "call_id": "call_c",
            "name": "apply_patch",
            "input": "*** Begin Patch\n*** End Patch\n",
        },
    ]
    envelope = {k: v for k, v in body.items() if k not in ("output", "instructions", "tools")}
    assert envelope == {
        "id": "resp_test",
        "object": "response",
        "created_at": 1700000000,
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "max_output_tokens": None,
        "model": "gpt-5-codex",  # the client's name, not the upstream's
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": "medium", "summary": "auto"},
        "store": False,
        "temperature": None,
        "text": {"verbosity": "low"},
        "tool_choice": "auto",
        "top_p": None,
        "truncation": "disabled",
        "usage": {
            "input_tokens": 1200,
            "input_tokens_details": {"cached_tokens": 1000, "cache_write_tokens": 0},
            "output_tokens": 80,
            "output_tokens_details": {"reasoning_tokens": 32},
            "total_tokens": 1280,
        },
        "metadata": {},
        "prompt_cache_key": "019a3c2e-7c1d-7b40-9d55-2f0f3f6f8a11",
    }
    assert body["tools"] == codex_body()["tools"]
    assert body["instructions"] == codex_body()["instructions"]


@pytest.mark.parametrize(
    ("stop", "status", "reason"),
    [
        (StopReason.END_TURN, "completed", None),
        (StopReason.STOP_SEQUENCE, "completed", None),
        (StopReason.PAUSE_TURN, "completed", None),
        (StopReason.MAX_TOKENS, "incomplete", "max_output_tokens"),
        (StopReason.CONTEXT_WINDOW_EXCEEDED, "incomplete", "max_output_tokens"),
        (StopReason.REFUSAL, "incomplete", "content_filter"),
    ],
)
def test_status_from_stop_reason(stop: StopReason, status: str, reason: str | None) -> None:
    body = encode_response(answer(TextPart("x"), stop=stop), decode_request(minimal()))
    validate_response(body)
    assert body["status"] == status
    assert body["incomplete_details"] == ({"reason": reason} if reason else None)


def test_response_id_kept_only_when_it_is_a_responses_id() -> None:
    request = decode_request(minimal())
    foreign = Response(id="chatcmpl-9", model="m", parts=[TextPart("x")])
    body = encode_response(foreign, request)
    assert body["id"].startswith("resp_") and body["id"] != "resp_chatcmpl-9"
    assert body["output"][0]["id"] == "msg_" + body["id"][5:] + "_1"


def test_foreign_thinking_is_sealed_and_comes_back_whole() -> None:
    request = decode_request(minimal())
    body = encode_response(answer(FOREIGN, TextPart("ok")), request)
    (reasoning, _) = body["output"]
    assert reasoning["encrypted_content"].startswith("cw1.")
    assert reasoning["id"] == "rs_test_1"
    echoed = decode_request(minimal(input=[reasoning, {"role": "user", "content": "go on"}]))
    assert echoed.messages[0].parts == [FOREIGN]


def test_native_thinking_round_trips_with_and_without_its_id() -> None:
    body = encode_response(answer(NATIVE), decode_request(minimal()))
    (item,) = body["output"]
    assert decode_request(minimal(input=[item])).messages[0].parts == [NATIVE]
    without_id = {k: v for k, v in item.items() if k != "id"}  # clients may drop item ids
    (part,) = decode_request(minimal(input=[without_id])).messages[0].parts
    assert part == ThinkingPart(NATIVE.text, "\ngAAAA-native", "openai_responses")


def test_parts_without_a_responses_item() -> None:
    search = {
        "type": "web_search_call",
        "id": "ws_1",
        "status": "completed",
        "action": {"type": "search", "query": "crosswire"},
    }
    body = encode_response(
        answer(
            RedactedThinkingPart("opaque", "anthropic"),
            ThinkingPart("plain reasoning", None, "openai_chat"),
            OpaquePart("anthropic", {"type": "server_tool_use"}),
            OpaquePart("openai_responses", search),
            TextPart(""),
            ToolCallPart("c", "noargs", ""),
        ),
        decode_request(minimal()),
    )
    validate_response(body)
    assert body["output"] == [
        {"id": "rs_test_1", "type": "reasoning",
         "summary": [{"type": "summary_text", "text": "plain reasoning"}]},
        search,
        {"id": "fc_test_2", "type": "function_call", "status": "completed", "call_id": "c",
         "name": "noargs", "arguments": "{}"},
    ]  # fmt: skip


# --------------------------------------------------------------------------- streaming


def test_stream_lifecycle_matches_the_sdk_and_the_non_stream_body() -> None:
    request = decode_request(codex_body())
    payloads = stream(request, events_from_response(CODEX_ANSWER))
    assert [p["type"] for p in payloads] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",  # reasoning (held: its id arrives with its state)
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
        "response.output_item.added",  # message
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",  # function call
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.output_item.added",  # namespaced function call
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.output_item.added",  # custom tool call
        "response.custom_tool_call_input.delta",
        "response.custom_tool_call_input.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [p["sequence_number"] for p in payloads] == list(range(len(payloads)))
    created = payloads[0]["response"]
    assert (created["status"], created["output"], created["usage"]) == ("in_progress", [], None)
    for payload in payloads:
        if "output_index" in payload and "item" not in payload:
            item = next(p["item"] for p in payloads if p["type"] == "response.output_item.added"
                        and p["output_index"] == payload["output_index"])  # fmt: skip
            assert payload["item_id"] == item["id"]
    final = accumulate(payloads)
    expected = encode_response(CODEX_ANSWER, request, created_at=1700000000)
    assert payloads[-1]["response"] == expected
    assert (
        final.model_dump(mode="json", exclude_none=True)["output"]
        == validate_response(expected).model_dump(mode="json", exclude_none=True)["output"]
    )


def test_native_reasoning_streams_live_when_its_id_is_known_up_front() -> None:
    events: list[Event] = [
        MessageStart("resp_up", "gpt-5"),
        PartStart(0, ThinkingPart("", "rs_up7\n", "openai_responses")),  # as our decoder does
        ThinkingDelta(0, "**Plan**"),
        ThinkingDelta(0, "\n\nstep"),
        SignatureDelta(0, "rs_up7\nENC", "openai_responses"),
        PartStop(0),
        MessageStop(StopReason.END_TURN, USAGE),
    ]
    payloads = stream(decode_request(minimal()), events)
    assert [p["type"] for p in payloads][2:5] == [
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
    ]
    assert payloads[2]["item"] == {"id": "rs_up7", "type": "reasoning", "summary": []}
    assert payloads[4]["delta"] == "**Plan**"
    done = next(p for p in payloads if p["type"] == "response.output_item.done")
    assert done["item"] == {
        "id": "rs_up7",
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": "**Plan**\n\nstep"}],
        "encrypted_content": "ENC",
    }
    assert accumulate(payloads).output[0].id == "rs_up7"


def test_foreign_reasoning_streams_live_and_is_sealed_at_the_end() -> None:
    events: list[Event] = [
        MessageStart("msg_01", "claude"),
        PartStart(0, ThinkingPart("", None, "anthropic")),
        ThinkingDelta(0, FOREIGN.text),
        SignatureDelta(0, FOREIGN.signature or "", "anthropic"),
        PartStop(0),
        PartStart(1, TextPart("")),
        TextDelta(1, "done"),
        PartStop(1),
        MessageStop(StopReason.END_TURN, USAGE),
    ]
    payloads = stream(decode_request(minimal()), events)
    assert payloads[4]["type"] == "response.reasoning_summary_text.delta"
    (reasoning, message) = accumulate(payloads).output
    assert message.type == "message"
    item = reasoning.model_dump(mode="json", exclude_none=True)
    assert decode_request(minimal(input=[item])).messages[0].parts == [FOREIGN]


def test_empty_parts_make_no_items_and_argumentless_calls_get_an_object() -> None:
    events: list[Event] = [
        MessageStart("x", "m"),
        PartStart(0, TextPart("")),
        TextDelta(0, ""),
        PartStop(0),
        PartStart(1, ThinkingPart("", None, "openai_chat")),
        PartStop(1),
        PartStart(2, RedactedThinkingPart("data", "anthropic")),
        PartStop(2),
        PartStart(3, ToolCallPart("call_1", "now", "")),
        PartStop(3),
        MessageStop(StopReason.TOOL_USE, Usage()),
    ]
    payloads = stream(decode_request(minimal()), events)
    assert [p["type"] for p in payloads] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert payloads[2]["output_index"] == 0
    assert payloads[3]["delta"] == payloads[4]["arguments"] == "{}"
    assert accumulate(payloads).output[0].arguments == "{}"  # type: ignore[union-attr]


def test_interleaved_calls_after_text_keep_indexes_in_step() -> None:
    events: list[Event] = [
        MessageStart("x", "m"),
        PartStart(0, ToolCallPart("c1", "a", "")),
        ToolArgsDelta(0, '{"x":'),
        ToolArgsDelta(0, "1}"),
        PartStop(0),
        PartStart(1, TextPart("")),
        TextDelta(1, "and"),
        PartStop(1),
        PartStart(2, ToolCallPart("c2", "b", "")),
        ToolArgsDelta(2, "{}"),
        PartStop(2),
        MessageStop(StopReason.TOOL_USE, USAGE),
    ]
    payloads = stream(decode_request(minimal()), events)
    added = [p for p in payloads if p["type"] == "response.output_item.added"]
    assert [(p["output_index"], p["item"]["type"]) for p in added] == [
        (0, "function_call"), (1, "message"), (2, "function_call"),
    ]  # fmt: skip
    deltas = [p["delta"] for p in payloads if p["type"].endswith("arguments.delta")]
    assert deltas == ['{"x":', "1}", "{}"]
    final = accumulate(payloads)
    assert [o.type for o in final.output] == ["function_call", "message", "function_call"]


def test_max_tokens_ends_with_response_incomplete() -> None:
    events = events_from_response(answer(TextPart("cut"), stop=StopReason.MAX_TOKENS))
    payloads = stream(decode_request(minimal()), events)
    last = payloads[-1]
    assert last["type"] == "response.incomplete"
    assert last["response"]["status"] == "incomplete"
    assert last["response"]["incomplete_details"] == {"reason": "max_output_tokens"}


def test_stream_error_is_an_error_event_both_shapes_then_response_failed() -> None:
    events: list[Event] = [
        MessageStart("x", "m"),
        PartStart(0, TextPart("")),
        TextDelta(0, "partial"),
        PartStop(0),
        StreamError(UpstreamServerError("upstream: boom")),
    ]
    payloads = stream(decode_request(minimal()), events)
    error, failed = payloads[-2:]
    assert error == {
        "type": "error",
        "sequence_number": error["sequence_number"],
        "code": "server_error",
        "message": "upstream: boom",
        "param": None,
        "error": {
            "message": "upstream: boom",
            "type": "server_error",
            "param": None,
            "code": "server_error",
        },
    }
    assert failed["type"] == "response.failed"
    assert failed["response"]["status"] == "failed"
    assert failed["response"]["error"] == {"code": "server_error", "message": "upstream: boom"}
    assert [o["type"] for o in failed["response"]["output"]] == ["message"]


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ContextLengthError("too long"), "context_length_exceeded"),
        (QuotaExceededError("no credit"), "insufficient_quota"),
        (RateLimitError("slow down", retry_after=2), "rate_limit_exceeded"),
        (OverloadedError("busy"), "server_is_overloaded"),
        (InvalidRequestError("bad"), "invalid_prompt"),
        (UpstreamTimeoutError("late"), "server_error"),
    ],
)
def test_stream_error_codes_are_the_ones_codex_acts_on(error: GatewayError, code: str) -> None:
    encoder = StreamEncoder(decode_request(minimal()))
    payloads = frames(encoder.encode(MessageStart("x", "m")) + encoder.encode(StreamError(error)))
    failure = payloads[-1]["response"]["error"]
    assert failure["code"] == code
    if isinstance(error, RateLimitError) and error.retry_after:
        assert failure["message"] == "slow down Please try again in 2s."


def test_ping_is_an_sse_comment() -> None:
    assert CLIENT.ping.startswith(b":") and CLIENT.ping.endswith(b"\n\n")
    assert CLIENT.name == "openai_responses"


# --------------------------------------------------------------------------- errors


class _Odd(GatewayError):
    kind = "something_new"


@pytest.mark.parametrize(
    ("error", "status", "etype", "code", "retry"),
    [
        (InvalidRequestError("bad"), 400, "invalid_request_error", None, "false"),
        (ContextLengthError("long"), 400, "invalid_request_error", "context_length_exceeded",
         "false"),
        (AuthenticationError("key"), 401, "invalid_request_error", "invalid_api_key", "false"),
        (NotFoundError("model"), 404, "invalid_request_error", "model_not_found", "false"),
        (RateLimitError("rl", retry_after=1.5), 429, "rate_limit_error", "rate_limit_exceeded",
         "true"),
        (QuotaExceededError("quota"), 429, "insufficient_quota", "insufficient_quota", "false"),
        (UpstreamServerError("5xx"), 500, "server_error", "server_error", "true"),
        (UpstreamError("garbage"), 502, "server_error", "server_error", "true"),
        (OverloadedError("busy"), 503, "server_error", "server_is_overloaded", "true"),
        (OverloadedError("busy", status=529), 503, "server_error", "server_is_overloaded", "true"),
        (_Odd("odd", status=529), 503, "server_error", None, "false"),
        (UpstreamTimeoutError("slow"), 504, "server_error", "timeout", "true"),
    ],
)  # fmt: skip
def test_encode_error(
    error: GatewayError, status: int, etype: str, code: str | None, retry: str
) -> None:
    got_status, body, headers = encode_error(error, "req_1")
    assert got_status == status
    assert json.loads(body) == {
        "error": {"message": error.message, "type": etype, "param": None, "code": code}
    }
    assert headers["x-should-retry"] == retry
    assert headers["content-type"] == "application/json"
    if error.retry_after:
        assert (headers["retry-after"], headers["retry-after-ms"]) == ("2", "1500")
    else:
        assert "retry-after" not in headers


def test_upstream_code_is_kept_when_the_kind_has_none() -> None:
    _, body, _ = encode_error(InvalidRequestError("bad tool", code="invalid_function_parameters"))
    assert json.loads(body)["error"]["code"] == "invalid_function_parameters"
