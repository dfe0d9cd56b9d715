"""Anthropic-format upstream errors → the gateway's error tree (anthropic/upstream_errors.py)."""

from __future__ import annotations

import json

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
from crosswire.formats.anthropic import decode_error
from crosswire.formats.anthropic.upstream_errors import error_from_payload
from crosswire.upstream.anthropic import AnthropicAdapter


def body(kind: str, message: str, **extra: object) -> bytes:
    error = {"type": kind, "message": message, **extra}
    return json.dumps({"type": "error", "error": error, "request_id": "req_011CS"}).encode()


@pytest.mark.parametrize(
    ("status", "raw", "expected"),
    [
        (400, body("invalid_request_error", "messages.1.content.0: bad"), InvalidRequestError),
        (
            400,
            body("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"),
            ContextLengthError,
        ),
        (
            400,
            body("invalid_request_error", "Your request exceeded model token limit: 262144"),
            ContextLengthError,
        ),
        (
            400,
            body("invalid_request_error", "Your credit balance is too low to access the API"),
            QuotaExceededError,
        ),
        (401, body("authentication_error", "invalid x-api-key"), AuthenticationError),
        (402, body("billing_error", "payment required"), QuotaExceededError),
        (403, body("permission_error", "not allowed"), PermissionDeniedError),
        (404, body("not_found_error", "model: claude-x"), NotFoundError),
        (413, b"<html><body>413 Request Entity Too Large</body></html>", RequestTooLargeError),
        (
            429,
            body("rate_limit_error", "Number of request tokens has exceeded your rate limit"),
            RateLimitError,
        ),
        (
            429,
            body(
                "rate_limit_error",
                "You have reached your specified API usage limits",
                details={"error_code": "enforced_spend_limit_reached"},
            ),
            QuotaExceededError,
        ),
        (429, body("rate_limit_error", "Workspace spend limit reached"), QuotaExceededError),
        (429, body("billing_error", "out of credits"), QuotaExceededError),
        (
            429,
            json.dumps(
                {"error": {"type": "exceeded_current_quota_error", "message": "quota exceeded"}}
            ).encode(),
            QuotaExceededError,
        ),
        (500, body("api_error", "Internal server error"), UpstreamServerError),
        (502, b"Bad Gateway", UpstreamError),
        (503, b"", OverloadedError),
        (504, body("timeout_error", "Request timed out"), UpstreamTimeoutError),
        (529, body("overloaded_error", "Overloaded"), OverloadedError),
        (418, b"teapot", InvalidRequestError),
        (599, b"", UpstreamServerError),
    ],
)
def test_error_table(status: int, raw: bytes, expected: type[GatewayError]) -> None:
    error = decode_error(status, raw, retry_after=None)
    assert type(error) is expected


def test_message_code_and_retry_after() -> None:
    error = AnthropicAdapter().decode_error(429, body("rate_limit_error", "slow down"), 12.5)
    assert isinstance(error, RateLimitError) and error.retryable
    assert error.message == "upstream: slow down"
    assert error.code == "rate_limit_error"
    assert error.retry_after == 12.5
    quota = decode_error(
        429,
        body("rate_limit_error", "limit", details={"error_code": "enforced_spend_limit_reached"}),
    )
    assert not quota.retryable and quota.code == "enforced_spend_limit_reached"


def test_plain_text_body_is_quoted() -> None:
    error = decode_error(500, b"  upstream connect error  ")
    assert error.message == "upstream: upstream connect error"


def test_openai_shaped_error_from_a_compatible_server() -> None:
    raw = json.dumps({"error": {"message": "Invalid model", "type": "invalid_request_error"}})
    error = decode_error(400, raw.encode())
    assert isinstance(error, InvalidRequestError) and error.message == "upstream: Invalid model"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("overloaded_error", OverloadedError),
        ("rate_limit_error", RateLimitError),
        ("api_error", UpstreamServerError),
        ("invalid_request_error", InvalidRequestError),
        ("request_too_large", RequestTooLargeError),
        ("something_new", UpstreamError),
    ],
)
def test_stream_error_events_are_mapped_by_type(kind: str, expected: type[GatewayError]) -> None:
    assert type(error_from_payload({"type": kind, "message": "m"})) is expected


def test_malformed_error_objects() -> None:
    assert isinstance(error_from_payload(None), UpstreamError)
    assert error_from_payload("boom").message == "upstream: boom"
    assert isinstance(decode_error(500, b"[1, 2]"), UpstreamServerError)
