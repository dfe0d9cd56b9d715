"""Gateway errors in Gemini's envelope: ``{"error": {code, message, status, details}}``.

Statuses follow Google's ``google.rpc`` codes as Gemini uses them. A known retry delay goes in a
``RetryInfo`` detail (``"37s"``, what Gemini CLI and the SDKs read) and in ``retry-after``; a
quota that retrying will not fix gets a ``QuotaFailure`` whose quota id says ``PerDay``, which
is how Gemini CLI tells a terminal quota error from a passing rate limit.
"""

from __future__ import annotations

import math
from typing import Any

from crosswire.canonical import GatewayError
from crosswire.jsonutil import dumps

# canonical kind -> (HTTP status, google.rpc status)
_KIND_TO_GEMINI: dict[str, tuple[int, str]] = {
    "invalid_request": (400, "INVALID_ARGUMENT"),
    "context_length": (400, "INVALID_ARGUMENT"),
    "request_too_large": (400, "INVALID_ARGUMENT"),
    "authentication": (401, "UNAUTHENTICATED"),
    "permission": (403, "PERMISSION_DENIED"),
    "not_found": (404, "NOT_FOUND"),
    "rate_limit": (429, "RESOURCE_EXHAUSTED"),
    "quota_exceeded": (429, "RESOURCE_EXHAUSTED"),
    "api_error": (500, "INTERNAL"),
    "bad_gateway": (502, "UNAVAILABLE"),
    "overloaded": (503, "UNAVAILABLE"),
    "timeout": (504, "DEADLINE_EXCEEDED"),
}
_HTTP_TO_STATUS: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_RPC = "type.googleapis.com/google.rpc."
TERMINAL_QUOTA_ID = "UpstreamQuotaExceededPerDay"


def _status(error: GatewayError) -> tuple[int, str]:
    known = _KIND_TO_GEMINI.get(error.kind)
    if known is not None:
        return known
    return error.status, _HTTP_TO_STATUS.get(error.status, "INTERNAL")


def error_body(error: GatewayError, *, with_details: bool = True) -> dict[str, Any]:
    code, status = _status(error)
    body: dict[str, Any] = {"code": code, "message": error.message, "status": status}
    if with_details:
        details: list[dict[str, Any]] = []
        if error.kind == "quota_exceeded":
            violation = {"quotaId": TERMINAL_QUOTA_ID, "description": error.message}
            details.append({"@type": _RPC + "QuotaFailure", "violations": [violation]})
        if error.retry_after is not None:
            delay = f"{max(1, math.ceil(error.retry_after))}s"
            details.append({"@type": _RPC + "RetryInfo", "retryDelay": delay})
        body["details"] = details
    return {"error": body}


def encode_error(
    error: GatewayError, request_id: str | None = None
) -> tuple[int, bytes, dict[str, str]]:
    """(status, body, headers) for an error answered before the stream started."""
    code, _ = _status(error)
    headers = {"content-type": "application/json"}
    if error.retry_after is not None:
        headers["retry-after"] = str(max(1, math.ceil(error.retry_after)))
        headers["retry-after-ms"] = str(int(error.retry_after * 1000))
    headers["x-should-retry"] = "true" if error.retryable else "false"
    return code, dumps(error_body(error)), headers


def encode_stream_error(error: GatewayError) -> bytes:
    """A ``data: {"error": …}`` frame for a failure after the stream started."""
    return b"data: " + dumps(error_body(error, with_details=False)) + b"\r\n\r\n"
