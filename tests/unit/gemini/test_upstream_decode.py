"""Gemini upstream replies → canonical: decode_response, StreamDecoder, decode_error."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crosswire.canonical import (
    AuthenticationError,
    ContextLengthError,
    Event,
    InvalidRequestError,
    MessageStart,
    MessageStop,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    RequestTooLargeError,
    StopReason,
    StreamError,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    UpstreamError,
    UpstreamServerError,
    UpstreamTimeoutError,
    Usage,
)
from crosswire.formats.gemini import StreamDecoder, decode_error, decode_response
from crosswire.formats.gemini.fields import usage
from crosswire.formats.sse import SSEParser

from ..helpers import assert_grammar, collect

SIG_A = "CiQBjz1rX4sHl0Y2nY5c1KvTq2xq0sdfQ8Jm3s9wPKvURIxJ"
SIG_B = "EpgBAY89a1+mwLrZr3kT0tQK9Vv0xWcHnqk2hX0="

# A realistic gemini-2.5-pro stream with includeThoughts: thought summaries, a text preamble,
# two parallel calls (the signature on the first only, ids absent), usage growing, finish last.
GEMINI_SSE = (
    b'data: {"candidates": [{"content": {"parts": [{"text": "**Planning the listing**\\n\\nI '
    b'should look", "thought": true}],"role": "model"},"index": 0}],"usageMetadata": '
    b'{"promptTokenCount": 1200,"totalTokenCount": 1200,"promptTokensDetails": [{"modality": '
    b'"TEXT","tokenCount": 1200}],"thoughtsTokenCount": 40},"modelVersion": "gemini-2.5-pro",'
    b'"responseId": "k3xJaO_fGoS4nvgPn8Dz6Aw"}\r\n\r\n'
    b'data: {"candidates": [{"content": {"parts": [{"text": " at the files first.", '
    b'"thought": true}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": '
    b'1200,"totalTokenCount": 1260,"thoughtsTokenCount": 60},"modelVersion": '
    b'"gemini-2.5-pro","responseId": "k3xJaO_fGoS4nvgPn8Dz6Aw"}\r\n\r\n'
    b'data: {"candidates": [{"content": {"parts": [{"text": "Let me check."}],"role": "model"},'
    b'"index": 0}],"modelVersion": "gemini-2.5-pro","responseId": "k3xJaO_fGoS4nvgPn8Dz6Aw"}'
    b"\r\n\r\n"
    b'data: {"candidates": [{"content": {"parts": [{"functionCall": {"name": "Bash","args": '
    b'{"command": "ls -la"}},"thoughtSignature": "' + SIG_A.encode() + b'"},{"functionCall": '
    b'{"name": "Read","args": {"file_path": "/w/README.md"}}}],"role": "model"},"finishReason": '
    b'"STOP","index": 0}],"usageMetadata": {"promptTokenCount": 1200,"candidatesTokenCount": 45,'
    b'"totalTokenCount": 1305,"cachedContentTokenCount": 800,"thoughtsTokenCount": 60},'
    b'"modelVersion": "gemini-2.5-pro","responseId": "k3xJaO_fGoS4nvgPn8Dz6Aw"}\r\n\r\n'
)


def run_stream(data: bytes, split: int | None = None) -> list[Event]:
    parser = SSEParser()
    decoder = StreamDecoder()
    events: list[Event] = []
    pieces = [data] if split is None else [data[i : i + split] for i in range(0, len(data), split)]
    for piece in pieces:
        for sse in parser.feed(piece):
            events += decoder.feed(json.loads(sse.data))
    for sse in parser.flush():
        events += decoder.feed(json.loads(sse.data))
    return events + decoder.finish()


# --------------------------------------------------------------------------- streams


@pytest.mark.parametrize("split", [None, 7, 64])
def test_realistic_stream(split: int | None) -> None:
    events = run_stream(GEMINI_SSE, split)
    assert_grammar(events)
    start = events[0]
    assert isinstance(start, MessageStart)
    assert start.id == "k3xJaO_fGoS4nvgPn8Dz6Aw" and start.model == "gemini-2.5-pro"
    parts = collect(events)
    assert [p["kind"] for p in parts] == ["thinking", "TextPart", "thinking", "tool", "tool"]
    assert parts[0]["text"] == "**Planning the listing**\n\nI should look at the files first."
    assert parts[0]["origin"] == "gemini" and "signature" not in parts[0]
    assert parts[1]["text"] == "Let me check."
    # the signature sits on an empty thinking part right before the call that carried it
    assert parts[2] == {"kind": "thinking", "text": "", "origin": "gemini", "signature": SIG_A}
    bash, read = parts[3], parts[4]
    assert (bash["name"], json.loads(bash["args"])) == ("Bash", {"command": "ls -la"})
    assert (read["name"], json.loads(read["args"])) == ("Read", {"file_path": "/w/README.md"})
    assert bash["id"].startswith("cwg_") and read["id"].startswith("cwg_")
    assert bash["id"] != read["id"]
    stop = events[-1]
    assert isinstance(stop, MessageStop)
    assert stop.stop_reason is StopReason.TOOL_USE  # STOP + function calls
    assert stop.usage == Usage(
        input_tokens=1200, cache_read_tokens=800, output_tokens=105, reasoning_tokens=60
    )


def test_synthetic_ids_are_stable_per_response() -> None:
    first = collect(run_stream(GEMINI_SSE))
    again = collect(run_stream(GEMINI_SSE, 5))
    assert [p.get("id") for p in first] == [p.get("id") for p in again]
    other = GEMINI_SSE.replace(b"k3xJaO_fGoS4nvgPn8Dz6Aw", b"another-response")
    assert collect(run_stream(other))[3]["id"] != first[3]["id"]


def test_signature_merges_into_open_thought_part() -> None:
    decoder = StreamDecoder()
    events = decoder.feed(
        {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [
                            {"text": "thinking hard", "thought": True},
                            {"functionCall": {"id": "fc_1", "name": "Bash", "args": {}},
                             "thoughtSignature": SIG_A},
                        ],
                    },
                    "finishReason": "STOP",
                }
            ],
            "responseId": "r1",
        }
    )  # fmt: skip
    events += decoder.finish()
    assert_grammar(events)
    parts = collect(events)
    assert parts[0] == {
        "kind": "thinking", "text": "thinking hard", "origin": "gemini", "signature": SIG_A,
    }  # fmt: skip
    assert parts[1] == {"kind": "tool", "id": "fc_1", "name": "Bash", "args": "{}"}


def test_signature_on_empty_text_part_at_the_end_of_a_text_answer() -> None:
    chunks: list[dict[str, Any]] = [
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "Hello"}]}}]},
        {"candidates": [{"content": {"role": "model", "parts": [{"text": " there."}]}}]},
        {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [{"text": "", "thoughtSignature": SIG_B}],
                    },
                    "finishReason": "STOP",
                }
            ],
            "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 3,
                              "totalTokenCount": 13},
        },
    ]  # fmt: skip
    decoder = StreamDecoder()
    events = [e for c in chunks for e in decoder.feed(c)] + decoder.finish()
    assert_grammar(events)
    assert collect(events) == [
        {"kind": "TextPart", "text": "Hello there."},
        {"kind": "thinking", "text": "", "origin": "gemini", "signature": SIG_B},
    ]
    stop = events[-1]
    assert isinstance(stop, MessageStop) and stop.stop_reason is StopReason.END_TURN
    assert stop.usage.output_tokens == 3 and stop.usage.reasoning_tokens is None


def test_last_usage_with_counts_wins() -> None:
    decoder = StreamDecoder()
    decoder.feed(
        {
            "candidates": [{"content": {"parts": [{"text": "a"}]}}],
            "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 1},
        }
    )
    decoder.feed(
        {
            "candidates": [{"content": {"parts": [{"text": "b"}]}, "finishReason": "STOP"}],
            "usageMetadata": {"trafficType": "ON_DEMAND"},
        }
    )
    stop = decoder.finish()[-1]
    assert isinstance(stop, MessageStop)
    assert stop.usage == Usage(input_tokens=5, output_tokens=1)


def test_error_chunk_mid_stream() -> None:
    decoder = StreamDecoder()
    events = decoder.feed({"candidates": [{"content": {"parts": [{"text": "partial"}]}}]})
    events += decoder.feed(
        {"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}
    )
    events += decoder.feed({"candidates": [{"content": {"parts": [{"text": "late"}]}}]})
    events += decoder.finish()
    assert_grammar(events)
    last = events[-1]
    assert isinstance(last, StreamError) and isinstance(last.error, OverloadedError)
    assert "overloaded" in last.error.message


def test_error_chunk_without_code_or_status_is_a_bad_gateway() -> None:
    decoder = StreamDecoder()
    events = decoder.feed({"error": {"message": "something broke"}})
    assert isinstance(events[-1], StreamError) and type(events[-1].error) is UpstreamError
    assert "something broke" in events[-1].error.message


def test_stream_cut_before_finish_is_an_error() -> None:
    decoder = StreamDecoder()
    events = decoder.feed({"candidates": [{"content": {"parts": [{"text": "half"}]}}]})
    events += decoder.finish()
    assert_grammar(events)
    assert isinstance(events[-1], StreamError) and isinstance(events[-1].error, UpstreamError)


def test_empty_stream_is_an_error_and_feed_of_nothing_starts_the_message() -> None:
    events = StreamDecoder().finish()
    assert len(events) == 1 and isinstance(events[0], StreamError)
    decoder = StreamDecoder()
    assert [type(e) for e in decoder.feed({})] == [MessageStart]  # what http_backend relies on


def test_code_execution_parts_become_text() -> None:
    decoder = StreamDecoder()
    events = decoder.feed(
        {
            "candidates": [
                {
                    "content": {
                        "parts": [
                            {"executableCode": {"language": "PYTHON", "code": "print(2+2)"}},
                            {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "4\n"}},
                            {"text": "The answer is 4."},
                        ]
                    },
                    "finishReason": "STOP",
                }
            ]
        }
    )
    events += decoder.finish()
    assert_grammar(events)
    (text,) = collect(events)
    assert text["text"] == "\n```python\nprint(2+2)\n```\n\n```\n4\n\n```\nThe answer is 4."


# --------------------------------------------------------------------------- whole replies


def test_decode_response_golden() -> None:
    body = {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": "I will list the files.", "thought": True},
                        {"text": "Listing."},
                        {"functionCall": {"name": "Bash", "args": {"command": "ls"}},
                         "thoughtSignature": SIG_A},
                    ],
                },
                "finishReason": "STOP",
                "index": 0,
                "safetyRatings": [],
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 100, "candidatesTokenCount": 20, "totalTokenCount": 150,
            "thoughtsTokenCount": 25, "toolUsePromptTokenCount": 5,
            "cachedContentTokenCount": 64,
        },
        "modelVersion": "gemini-2.5-flash",
        "responseId": "resp-1",
    }  # fmt: skip
    response = decode_response(body)
    assert response.id == "resp-1" and response.model == "gemini-2.5-flash"
    call_id = response.parts[3].id  # type: ignore[union-attr]
    assert response.parts == [
        ThinkingPart("I will list the files.", origin="gemini"),
        TextPart("Listing."),
        ThinkingPart("", signature=SIG_A, origin="gemini"),
        ToolCallPart(call_id, "Bash", '{"command":"ls"}'),
    ]
    assert response.stop_reason is StopReason.TOOL_USE
    # thoughts are output; tool-use prompt tokens are input
    assert response.usage == Usage(
        input_tokens=105, cache_read_tokens=64, output_tokens=45, reasoning_tokens=25
    )


def test_usage_arithmetic() -> None:
    raw = {
        "promptTokenCount": 1000,
        "candidatesTokenCount": 200,
        "thoughtsTokenCount": 300,
        "totalTokenCount": 1500,
    }
    assert usage(raw) == Usage(input_tokens=1000, output_tokens=500, reasoning_tokens=300)
    # MAX_TOKENS spent on thinking: no candidatesTokenCount at all
    assert usage({"promptTokenCount": 9, "thoughtsTokenCount": 8192}) == Usage(
        input_tokens=9, output_tokens=8192, reasoning_tokens=8192
    )
    assert usage({"trafficType": "ON_DEMAND"}) is None


def test_prompt_feedback_block_is_a_refusal() -> None:
    body = {
        "promptFeedback": {
            "blockReason": "PROHIBITED_CONTENT",
            "blockReasonMessage": "The prompt was flagged.",
        },
        "usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 12},
        "modelVersion": "gemini-2.5-flash",
        "responseId": "blocked-1",
    }
    response = decode_response(body)
    assert response.stop_reason is StopReason.REFUSAL
    assert len(response.parts) == 1 and isinstance(response.parts[0], TextPart)
    assert "PROHIBITED_CONTENT: The prompt was flagged." in response.parts[0].text
    assert response.usage.input_tokens == 12


@pytest.mark.parametrize("reason", ["SAFETY", "RECITATION", "BLOCKLIST", "SPII", "IMAGE_SAFETY"])
def test_safety_finish_is_a_refusal(reason: str) -> None:
    body = {"candidates": [{"finishReason": reason, "index": 0}], "responseId": "x"}
    response = decode_response(body)
    assert response.stop_reason is StopReason.REFUSAL
    assert reason in response.parts[0].text  # type: ignore[union-attr]


def test_max_tokens_and_other() -> None:
    body = {"candidates": [{"content": {"parts": [{"text": "cut"}]}, "finishReason": "MAX_TOKENS"}]}
    assert decode_response(body).stop_reason is StopReason.MAX_TOKENS
    body["candidates"][0]["finishReason"] = "OTHER"
    assert decode_response(body).stop_reason is StopReason.END_TURN


def test_malformed_function_call_ends_the_turn_with_the_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = {
        "candidates": [
            {
                "finishReason": "MALFORMED_FUNCTION_CALL",
                "finishMessage": "Malformed function call: print(default_api.Bash(",
            }
        ]
    }
    with caplog.at_level("WARNING"):
        response = decode_response(body)
    assert response.stop_reason is StopReason.END_TURN
    assert response.parts == [TextPart("Malformed function call: print(default_api.Bash(")]
    assert "MALFORMED_FUNCTION_CALL" in caplog.text


def test_array_of_chunks_and_wrapped_error() -> None:
    chunks = [
        {"candidates": [{"content": {"parts": [{"text": "a"}]}}], "responseId": "r"},
        {"candidates": [{"content": {"parts": [{"text": "b"}]}, "finishReason": "STOP"}]},
    ]
    assert decode_response(chunks).parts == [TextPart("ab")]
    with pytest.raises(RateLimitError):
        decode_response(
            [{"error": {"code": 429, "message": "slow", "status": "RESOURCE_EXHAUSTED"}}]
        )


@pytest.mark.parametrize("body", ["text", 3, [], [1], {}, {"candidates": []}])
def test_garbage_is_an_upstream_error(body: Any) -> None:
    with pytest.raises(UpstreamError):
        decode_response(body)


# --------------------------------------------------------------------------- errors

RATE_LIMIT_BODY = {
    "error": {
        "code": 429,
        "message": "You exceeded your current quota, please check your plan.",
        "status": "RESOURCE_EXHAUSTED",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [
                    {
                        "quotaMetric": "generativelanguage.googleapis.com/"
                        "generate_content_free_tier_requests",
                        "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                    }
                ],
            },
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"},
        ],
    }
}


def test_rate_limit_with_retry_delay() -> None:
    error = decode_error(429, json.dumps(RATE_LIMIT_BODY).encode())
    assert type(error) is RateLimitError
    assert error.retry_after == 37.0 and error.code == "RESOURCE_EXHAUSTED"
    assert error.message.startswith("upstream: You exceeded")


def test_per_day_quota_is_not_retryable() -> None:
    body = json.loads(json.dumps(RATE_LIMIT_BODY))
    body["error"]["details"][0]["violations"][0]["quotaId"] = "GenerateRequestsPerDayPerProject"
    error = decode_error(429, json.dumps(body).encode())
    assert isinstance(error, QuotaExceededError) and not error.retryable


def test_bad_key_is_authentication_even_as_400() -> None:
    body = {
        "error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                }
            ],
        }
    }
    error = decode_error(400, json.dumps(body).encode())
    assert isinstance(error, AuthenticationError) and error.status == 401


@pytest.mark.parametrize(
    ("status", "rpc", "message", "expected"),
    [
        (400, "INVALID_ARGUMENT", "Function call is missing a thought_signature",
         InvalidRequestError),
        (400, "INVALID_ARGUMENT", "The input token count (2845475) exceeds the maximum number of "
         "tokens allowed (1048576).", ContextLengthError),
        (400, "INVALID_ARGUMENT", "Request payload size exceeds the limit: 20971520 bytes.",
         RequestTooLargeError),
        (400, "FAILED_PRECONDITION", "User location is not supported for the API use.",
         PermissionDeniedError),
        (401, "UNAUTHENTICATED", "Request had invalid authentication credentials.",
         AuthenticationError),
        (403, "PERMISSION_DENIED", "denied", PermissionDeniedError),
        (404, "NOT_FOUND", "models/gemini-9 is not found", NotFoundError),
        (500, "INTERNAL", "An internal error has occurred.", UpstreamServerError),
        (503, "UNAVAILABLE", "The model is overloaded.", OverloadedError),
        (504, "DEADLINE_EXCEEDED", "Deadline expired.", UpstreamTimeoutError),
    ],
)  # fmt: skip
def test_status_mapping(status: int, rpc: str, message: str, expected: type) -> None:
    body = {"error": {"code": status, "message": message, "status": rpc}}
    error = decode_error(status, json.dumps(body).encode())
    assert type(error) is expected
    assert message in error.message


def test_non_json_error_body_and_header_retry_after() -> None:
    error = decode_error(502, b"<html>Bad Gateway</html>", retry_after=4.0)
    assert isinstance(error, UpstreamError) and "Bad Gateway" in error.message
    assert error.retry_after == 4.0
    wrapped = decode_error(429, json.dumps([RATE_LIMIT_BODY]).encode())
    assert isinstance(wrapped, RateLimitError) and wrapped.retry_after == 37.0
