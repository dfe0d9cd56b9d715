"""Gateway errors in Anthropic's envelope, with the status codes Anthropic clients expect."""

from __future__ import annotations

import math

from crosswire.canonical import GatewayError
from crosswire.jsonutil import dumps

# canonical kind -> (HTTP status, Anthropic error.type)
_KIND_TO_ANTHROPIC: dict[str, tuple[int, str]] = {
    "invalid_request": (400, "invalid_request_error"),
    "context_length": (400, "invalid_request_error"),
    "authentication": (401, "authentication_error"),
    "permission": (403, "permission_error"),
    "not_found": (404, "not_found_error"),
    "request_too_large": (413, "request_too_large"),
    "rate_limit": (429, "rate_limit_error"),
    "quota_exceeded": (429, "rate_limit_error"),
    "api_error": (500, "api_error"),
    "bad_gateway": (502, "api_error"),
    "overloaded": (529, "overloaded_error"),
    "timeout": (504, "timeout_error"),
}


def error_body(error: GatewayError, request_id: str | None = None) -> dict[str, object]:
    _, etype = _KIND_TO_ANTHROPIC.get(error.kind, (500, "api_error"))
    body: dict[str, object] = {"type": "error", "error": {"type": etype, "message": error.message}}
    if request_id:
        body["request_id"] = request_id
    return body


def encode_error(
    error: GatewayError, request_id: str | None = None
) -> tuple[int, bytes, dict[str, str]]:
    """(status, body, headers) for an error answered before the stream started."""
    status, _ = _KIND_TO_ANTHROPIC.get(error.kind, (error.status, "api_error"))
    if error.kind not in _KIND_TO_ANTHROPIC:
        status = error.status
    headers = {"content-type": "application/json"}
    if error.retry_after is not None:
        headers["retry-after"] = str(max(1, math.ceil(error.retry_after)))
        headers["retry-after-ms"] = str(int(error.retry_after * 1000))
    headers["x-should-retry"] = "true" if error.retryable else "false"
    return status, dumps(error_body(error, request_id)), headers


def encode_stream_error(error: GatewayError) -> bytes:
    """An ``event: error`` frame for a failure after the stream started."""
    return b"event: error\ndata: " + dumps(error_body(error)) + b"\n\n"
