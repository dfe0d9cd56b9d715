"""OpenAI-format upstream errors → the gateway's error tree (formats/openai_chat/errors.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crosswire.canonical import (
    AuthenticationError,
    ContextLengthError,
    GatewayError,
    InvalidRequestError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    RequestTooLargeError,
    UpstreamError,
    UpstreamServerError,
    UpstreamTimeoutError,
)
from crosswire.formats.anthropic import encode_error
from crosswire.formats.openai_chat import decode_error


def err(message: str, type_: str | None = None, code: Any = None) -> bytes:
    error: dict[str, Any] = {"message": message, "type": type_, "param": None, "code": code}
    return json.dumps({"error": error}).encode()


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (400, err("bad param", "invalid_request_error"), InvalidRequestError),
        (
            400,
            err(
                "This model's maximum context length is 128000 tokens. However, your messages "
                "resulted in 130000 tokens.",
                "invalid_request_error",
                "context_length_exceeded",
            ),
            ContextLengthError,
        ),
        (400, err("maximum context length is 32768 tokens"), ContextLengthError),  # vLLM, no code
        (400, err("Input exceeds the context window"), ContextLengthError),
        (400, err("Too many tokens in the prompt"), ContextLengthError),
        (400, err("x", code="string_above_max_length"), ContextLengthError),
        (
            401,
            err("Incorrect API key provided", "invalid_request_error", "invalid_api_key"),
            AuthenticationError,
        ),
        (403, err("region not supported"), PermissionDeniedError),
        (404, err("The model `gpt-9` does not exist", code="model_not_found"), NotFoundError),
        (408, err("timeout"), UpstreamTimeoutError),
        (413, err("payload too large"), RequestTooLargeError),
        (422, err("unprocessable"), InvalidRequestError),
        (
            429,
            err("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
            RateLimitError,
        ),
        (
            429,
            err(
                "You exceeded your current quota, please check your plan",
                "insufficient_quota",
                "insufficient_quota",
            ),
            QuotaExceededError,
        ),
        (
            429,
            err(
                "Your account is suspended, please check your plan", "exceeded_current_quota_error"
            ),
            QuotaExceededError,
        ),
        (429, err("billing limit", code="billing_hard_limit_reached"), QuotaExceededError),
        (429, err("Monthly quota exceeded"), QuotaExceededError),  # no code, message says so
        (
            429,
            err(
                "The engine is currently overloaded, please try again later",
                "engine_overloaded_error",
            ),
            RateLimitError,
        ),
        (500, err("The server had an error", "server_error"), UpstreamServerError),
        (502, err("bad gateway"), UpstreamError),
        (503, err("Service overloaded"), OverloadedError),
        (504, err("gateway timeout"), UpstreamTimeoutError),
        (529, err("Overloaded"), OverloadedError),
        (418, err("teapot"), InvalidRequestError),  # unknown 4xx
        (599, err("weird"), UpstreamServerError),  # unknown 5xx
    ],
)
def test_status_and_code_table(status: int, body: bytes, cls: type[GatewayError]) -> None:
    error = decode_error(status, body)
    assert type(error) is cls
    assert error.message.startswith("upstream: ")
    assert json.loads(body)["error"]["message"] in error.message


def test_quota_is_not_retryable_but_rate_limit_is() -> None:
    assert decode_error(429, err("slow down", code="rate_limit_exceeded")).retryable is True
    quota = decode_error(429, err("no credit", code="insufficient_quota"))
    assert quota.retryable is False
    assert quota.status == 429
    # … and the Anthropic client is told not to retry
    assert encode_error(quota)[2]["x-should-retry"] == "false"


def test_code_wins_over_status() -> None:
    # a 400 whose code says context length, and a 400 whose code says quota
    assert type(decode_error(400, err("x", code="context_length_exceeded"))) is ContextLengthError
    assert type(decode_error(400, err("x", code="insufficient_quota"))) is QuotaExceededError


def test_code_preserved() -> None:
    assert (
        decode_error(429, err("x", "requests", "rate_limit_exceeded")).code == "rate_limit_exceeded"
    )
    assert decode_error(429, err("x", "tokens")).code == "tokens"  # type when no code
    assert decode_error(500, b"{}").code is None


@pytest.mark.parametrize("retry_after", [None, 0.5, 20.0])
def test_retry_after_preserved(retry_after: float | None) -> None:
    error = decode_error(429, err("slow"), retry_after)
    assert error.retry_after == retry_after


@pytest.mark.parametrize(
    ("status", "body", "cls", "fragment"),
    [
        (502, b"<html><body>Bad Gateway</body></html>", UpstreamError, "Bad Gateway"),
        (503, b"upstream connect error", OverloadedError, "upstream connect error"),
        (500, b"", UpstreamServerError, "upstream returned HTTP 500"),
        (429, b"Too Many Requests", RateLimitError, "Too Many Requests"),
        (400, b"\xff\xfe not utf-8", InvalidRequestError, "not utf-8"),
        (404, b"[1, 2]", NotFoundError, "upstream returned HTTP 404"),
        (401, b'"just a string"', AuthenticationError, "upstream returned HTTP 401"),
        (500, b'{"error": "plain string error"}', UpstreamServerError, "plain string error"),
        (500, b'{"error": 5}', UpstreamServerError, "upstream returned HTTP 500"),
        (400, b'{"message": "flat body, context length exceeded"}', ContextLengthError, "flat"),
    ],
)
def test_non_json_and_odd_bodies(
    status: int, body: bytes, cls: type[GatewayError], fragment: str
) -> None:
    error = decode_error(status, body)
    assert type(error) is cls
    assert fragment in error.message


def test_long_non_json_body_is_truncated() -> None:
    error = decode_error(502, b"x" * 5000)
    assert len(error.message) < 600


def test_dict_body_accepted() -> None:
    error = decode_error(429, {"error": {"message": "slow", "code": "rate_limit_exceeded"}})
    assert type(error) is RateLimitError


@pytest.mark.parametrize(
    "message",
    [
        "Invalid request: Your request exceeded model token limit: 262144 (requested: 269030)",
        "Your request exceeded model token limit: 131072",
    ],
)
def test_kimi_context_overflow_is_context_length(message: str) -> None:
    body = err(message, "invalid_request_error")
    assert type(decode_error(400, body)) is ContextLengthError
