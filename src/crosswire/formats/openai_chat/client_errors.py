"""Gateway errors in OpenAI's envelope, ``{"error": {message, type, param, code}}``, with the
statuses OpenAI clients expect (protocols §5.15).

Overloaded is 503, never Anthropic's 529; an exhausted quota is a 429 ``insufficient_quota``
that says ``x-should-retry: false`` so the ``openai`` SDK does not hammer it; every answer says
``x-should-retry`` explicitly, because crosswire has already done its own retrying.
"""

from __future__ import annotations

import math
from typing import Any

from crosswire.canonical import GatewayError
from crosswire.jsonutil import dumps

ErrorTable = dict[str, tuple[int, str, str | None]]
"""canonical kind -> (HTTP status, OpenAI error.type, OpenAI error.code)"""

KIND_TO_OPENAI: ErrorTable = {
    "invalid_request": (400, "invalid_request_error", None),
    "context_length": (400, "invalid_request_error", "context_length_exceeded"),
    "authentication": (401, "invalid_request_error", "invalid_api_key"),
    "permission": (403, "permission_error", None),
    "not_found": (404, "invalid_request_error", "model_not_found"),
    "request_too_large": (413, "invalid_request_error", "request_too_large"),
    "rate_limit": (429, "rate_limit_exceeded", "rate_limit_exceeded"),
    "quota_exceeded": (429, "insufficient_quota", "insufficient_quota"),
    "api_error": (500, "server_error", None),
    "bad_gateway": (502, "server_error", "bad_gateway"),
    "overloaded": (503, "server_error", "overloaded"),
    "timeout": (504, "server_error", "timeout"),
}


def _classify(
    error: GatewayError, table: ErrorTable = KIND_TO_OPENAI
) -> tuple[int, str, str | None]:
    known = table.get(error.kind)
    if known is not None:
        status, etype, code = known
        return status, etype, code or error.code
    status = 503 if error.status == 529 else error.status
    return status, "server_error" if status >= 500 else "invalid_request_error", error.code


def error_fields(error: GatewayError, table: ErrorTable = KIND_TO_OPENAI) -> dict[str, Any]:
    """``{message, type, param, code}`` as OpenAI writes them."""
    _, etype, code = _classify(error, table)
    return {"message": error.message, "type": etype, "param": None, "code": code}


def error_body(error: GatewayError) -> dict[str, Any]:
    return {"error": error_fields(error)}


def encode_error(
    error: GatewayError, request_id: str | None = None, table: ErrorTable = KIND_TO_OPENAI
) -> tuple[int, bytes, dict[str, str]]:
    """(status, body, headers) for an error answered before the stream started; the Responses
    codec passes its own ``table`` (same envelope, a few codes Codex acts on)."""
    status, _, _ = _classify(error, table)
    headers = {"content-type": "application/json"}
    if error.retry_after is not None:
        headers["retry-after"] = str(max(1, math.ceil(error.retry_after)))
        headers["retry-after-ms"] = str(max(0, int(error.retry_after * 1000)))
    headers["x-should-retry"] = "true" if error.retryable else "false"
    if request_id:
        headers["x-request-id"] = request_id
    return status, dumps({"error": error_fields(error, table)}), headers


def encode_stream_error(error: GatewayError) -> bytes:
    """The ``data: {"error": …}`` frame for a failure after the stream started (no ``[DONE]``)."""
    return b"data: " + dumps(error_body(error)) + b"\n\n"
