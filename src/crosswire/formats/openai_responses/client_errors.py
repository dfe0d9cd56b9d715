"""Gateway errors for Responses clients: OpenAI's HTTP envelope before a stream starts, and the
``error`` / ``response.failed`` pair inside one.

OpenAI clients never see Anthropic's 529 (overloaded is 503). ``x-should-retry`` tells the SDKs
whether to retry, so their retries do not multiply the gateway's. Inside a stream, the codes are
the ones Codex acts on: ``context_length_exceeded`` (stop, compact), ``insufficient_quota``
(stop), ``rate_limit_exceeded`` (retry after the "try again in Ns" the message carries).
"""

from __future__ import annotations

import math
from typing import Any

from crosswire.canonical import GatewayError
from crosswire.jsonutil import dumps

# canonical kind -> (HTTP status, OpenAI error.type, OpenAI error.code)
_KIND_TO_OPENAI: dict[str, tuple[int, str, str | None]] = {
    "invalid_request": (400, "invalid_request_error", None),
    "context_length": (400, "invalid_request_error", "context_length_exceeded"),
    "authentication": (401, "invalid_request_error", "invalid_api_key"),
    "permission": (403, "permission_error", None),
    "not_found": (404, "invalid_request_error", "model_not_found"),
    "request_too_large": (413, "invalid_request_error", "request_too_large"),
    "rate_limit": (429, "rate_limit_error", "rate_limit_exceeded"),
    "quota_exceeded": (429, "insufficient_quota", "insufficient_quota"),
    "api_error": (500, "server_error", "server_error"),
    "bad_gateway": (502, "server_error", "server_error"),
    "overloaded": (503, "server_error", "server_is_overloaded"),
    "timeout": (504, "server_error", "timeout"),
}
# canonical kind -> response.error.code inside a stream (Codex reads these)
_KIND_TO_STREAM_CODE: dict[str, str] = {
    "invalid_request": "invalid_prompt",
    "context_length": "context_length_exceeded",
    "rate_limit": "rate_limit_exceeded",
    "quota_exceeded": "insufficient_quota",
    "overloaded": "server_is_overloaded",
}


def error_fields(error: GatewayError) -> dict[str, Any]:
    """``{message, type, param, code}`` as OpenAI writes them."""
    _, etype, code = _KIND_TO_OPENAI.get(error.kind, (500, "server_error", None))
    return {"message": error.message, "type": etype, "param": None, "code": code or error.code}


def encode_error(
    error: GatewayError, request_id: str | None = None
) -> tuple[int, bytes, dict[str, str]]:
    """(status, body, headers) for an error answered before the stream started."""
    status = _KIND_TO_OPENAI[error.kind][0] if error.kind in _KIND_TO_OPENAI else error.status
    if status == 529:
        status = 503
    headers = {"content-type": "application/json"}
    if request_id:
        headers["x-request-id"] = request_id
    if error.retry_after is not None:
        headers["retry-after"] = str(max(1, math.ceil(error.retry_after)))
        headers["retry-after-ms"] = str(int(error.retry_after * 1000))
    headers["x-should-retry"] = "true" if error.retryable else "false"
    return status, dumps({"error": error_fields(error)}), headers


def stream_error(error: GatewayError) -> tuple[dict[str, Any], dict[str, Any]]:
    """(fields of the ``error`` event, ``response.error``) for a failure mid-stream.

    The event carries the fields flat, as the SDK types it, and nested under ``error``, as
    OpenAI has been seen to send it: both kinds of client find them.
    """
    fields = error_fields(error)
    code = _KIND_TO_STREAM_CODE.get(error.kind, "server_error")
    message = error.message
    if error.retry_after is not None and "try again in" not in message.lower():
        message = f"{message} Please try again in {error.retry_after:g}s."
    fields = {**fields, "message": message, "code": fields["code"] or code}
    event = {"code": fields["code"], "message": message, "param": None, "error": fields}
    return event, {"code": code, "message": message}
