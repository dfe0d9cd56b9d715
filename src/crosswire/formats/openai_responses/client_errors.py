"""Gateway errors for Responses clients: OpenAI's HTTP envelope before a stream starts, and the
``error`` / ``response.failed`` pair inside one.

OpenAI clients never see Anthropic's 529 (overloaded is 503). ``x-should-retry`` tells the SDKs
whether to retry, so their retries do not multiply the gateway's. Inside a stream, the codes are
the ones Codex acts on: ``context_length_exceeded`` (stop, compact), ``insufficient_quota``
(stop), ``rate_limit_exceeded`` (retry after the "try again in Ns" the message carries).
"""

from __future__ import annotations

from typing import Any

from crosswire.canonical import GatewayError
from crosswire.formats.openai_chat import client_errors as chat_errors
from crosswire.formats.openai_chat.client_errors import KIND_TO_OPENAI, ErrorTable

# Chat Completions' table with the codes the Responses API (and Codex) use instead.
_KIND_TO_OPENAI: ErrorTable = {
    **KIND_TO_OPENAI,
    "rate_limit": (429, "rate_limit_error", "rate_limit_exceeded"),
    "api_error": (500, "server_error", "server_error"),
    "bad_gateway": (502, "server_error", "server_error"),
    "overloaded": (503, "server_error", "server_is_overloaded"),
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
    return chat_errors.error_fields(error, _KIND_TO_OPENAI)


def encode_error(
    error: GatewayError, request_id: str | None = None
) -> tuple[int, bytes, dict[str, str]]:
    """(status, body, headers) for an error answered before the stream started."""
    return chat_errors.encode_error(error, request_id, _KIND_TO_OPENAI)


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
