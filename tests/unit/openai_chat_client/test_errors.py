"""Gateway errors → OpenAI's error envelope and statuses (client_errors), as the SDK sees them."""

from __future__ import annotations

import json

import httpx2
import openai
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
from crosswire.formats.openai_chat import CLIENT, encode_error

from .sdk import sdk_client

# error -> (status, type, code, x-should-retry)
TABLE: list[tuple[GatewayError, int, str, str | None, str]] = [
    (InvalidRequestError("messages.0: bad"), 400, "invalid_request_error", None, "false"),
    (ContextLengthError("long"), 400, "invalid_request_error", "context_length_exceeded", "false"),
    (AuthenticationError("bad key"), 401, "invalid_request_error", "invalid_api_key", "false"),
    (PermissionDeniedError("region"), 403, "permission_error", None, "false"),
    (NotFoundError("no model x"), 404, "invalid_request_error", "model_not_found", "false"),
    (RequestTooLargeError("32 MB"), 413, "invalid_request_error", "request_too_large", "false"),
    (RateLimitError("slow down"), 429, "rate_limit_exceeded", "rate_limit_exceeded", "true"),
    (QuotaExceededError("no credit"), 429, "insufficient_quota", "insufficient_quota", "false"),
    (UpstreamServerError("boom"), 500, "server_error", None, "true"),
    (UpstreamError("garbage"), 502, "server_error", "bad_gateway", "true"),
    (OverloadedError("overloaded", status=529), 503, "server_error", "overloaded", "true"),
    (UpstreamTimeoutError("slow"), 504, "server_error", "timeout", "true"),
    (GatewayError("internal"), 500, "server_error", None, "false"),
]  # fmt: skip


@pytest.mark.parametrize(("error", "status", "etype", "code", "retry"), TABLE)
def test_error_envelope_table(
    error: GatewayError, status: int, etype: str, code: str | None, retry: str
) -> None:
    got_status, body, headers = encode_error(error, "req_1")
    assert got_status == status
    assert json.loads(body) == {
        "error": {"message": error.message, "type": etype, "param": None, "code": code}
    }
    assert headers["content-type"] == "application/json"
    assert headers["x-should-retry"] == retry
    assert headers["x-request-id"] == "req_1"
    assert "retry-after" not in headers


def test_retry_after_headers_and_upstream_codes() -> None:
    status, _, headers = encode_error(RateLimitError("wait", retry_after=2.5), "r")
    assert status == 429
    assert (headers["retry-after"], headers["retry-after-ms"]) == ("3", "2500")
    _, body, _ = encode_error(InvalidRequestError("bad", code="invalid_value"), "r")
    assert json.loads(body)["error"]["code"] == "invalid_value"

    class Novel(GatewayError):  # a kind this codec has no row for: its own status is used
        kind = "novel"

    assert CLIENT.encode_error(Novel("x", status=418), "r")[0] == 418
    assert CLIENT.encode_error(Novel("x", status=529), "r")[0] == 503  # never 529 to OpenAI


@pytest.mark.parametrize(
    ("error", "exception", "attempts"),
    [
        (RateLimitError("slow", retry_after=0.01), openai.RateLimitError, 3),
        (QuotaExceededError("no credit", retry_after=0.01), openai.RateLimitError, 1),
        (OverloadedError("busy", retry_after=0.01), openai.InternalServerError, 3),
        (ContextLengthError("too long"), openai.BadRequestError, 1),
        (AuthenticationError("bad key"), openai.AuthenticationError, 1),
        (NotFoundError("no such model"), openai.NotFoundError, 1),
    ],
)
def test_the_sdk_raises_the_right_exception_and_obeys_x_should_retry(
    error: GatewayError, exception: type[openai.APIStatusError], attempts: int
) -> None:
    calls = 0

    def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        status, body, headers = CLIENT.encode_error(error, "req_9")
        return httpx2.Response(status, content=body, headers=headers)

    client = sdk_client(handler, max_retries=2)
    with pytest.raises(exception) as info:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "q"}])
    assert calls == attempts
    assert info.value.message.endswith(error.message)
    expected_code = json.loads(encode_error(error)[1])["error"]["code"]
    assert info.value.code == expected_code
