"""Map an Anthropic-format upstream's error to the gateway's error tree.

Errors come as an HTTP status plus ``{"type": "error", "error": {"type", "message"}}``, or as
an ``event: error`` frame after the stream started (no status then: ``error.type`` decides).
Anthropic-compatible servers sometimes answer with OpenAI's ``{"error": {"message", "type",
"code"}}`` or with plain text; both are read too.
"""

from __future__ import annotations

from typing import Any

from crosswire.canonical import (
    ERROR_FOR_STATUS,
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
from crosswire.jsonutil import DecodeError, loads

_STATUS_TO_ERROR = ERROR_FOR_STATUS
# Anthropic's error.type, for stream errors (no status) and statuses not listed above.
_TYPE_TO_ERROR: dict[str, type[GatewayError]] = {
    "invalid_request_error": InvalidRequestError,
    "authentication_error": AuthenticationError,
    "billing_error": QuotaExceededError,
    "permission_error": PermissionDeniedError,
    "not_found_error": NotFoundError,
    "request_too_large": RequestTooLargeError,
    "rate_limit_error": RateLimitError,
    "api_error": UpstreamServerError,
    "overloaded_error": OverloadedError,
    "timeout_error": UpstreamTimeoutError,
}
# Types (or detail codes) that decide the class whatever the status says.
_OVERRIDING_TYPES: dict[str, type[GatewayError]] = {
    "overloaded_error": OverloadedError,
    "billing_error": QuotaExceededError,
    "enforced_spend_limit_reached": QuotaExceededError,
    "exceeded_current_quota_error": QuotaExceededError,  # Moonshot / Kimi
    "insufficient_quota": QuotaExceededError,
}
_QUOTA_HINTS = ("spend limit", "credit balance", "billing", "quota")
"""In a 429: a spend limit or plan quota, which retrying will not fix."""
_BALANCE_HINTS = ("credit balance", "spend limit")
"""In a 400: Anthropic's "Your credit balance is too low…"."""
_CONTEXT_HINTS = (
    "prompt is too long",
    "context length",
    "context window",
    "maximum context",
    "too many tokens",
    "token limit",
)


def decode_error(
    status: int, body: bytes | dict[str, Any], retry_after: float | None = None
) -> GatewayError:
    """The gateway error for an upstream's HTTP error response."""
    payload: Any = body
    if isinstance(body, bytes):
        try:
            payload = loads(body)
        except DecodeError:
            payload = {"error": {"message": body[:500].decode("utf-8", "replace").strip()}}
    error = payload.get("error", payload) if isinstance(payload, dict) else None
    return error_from_payload(error, status=status, retry_after=retry_after)


def error_from_payload(
    error: Any, *, status: int | None = None, retry_after: float | None = None
) -> GatewayError:
    """The gateway error for an ``error`` object (``{"type", "message"}``); ``status`` is
    ``None`` for an error event inside a stream that already answered 200."""
    if isinstance(error, str):
        error = {"message": error}
    if not isinstance(error, dict):
        error = {}
    message = str(error.get("message") or f"upstream returned HTTP {status or 'error'}")
    kind = _str(error.get("type")) or _str(error.get("code"))
    details = error.get("details")
    detail_code = _str(details.get("error_code")) if isinstance(details, dict) else None
    cls = (
        _OVERRIDING_TYPES.get(detail_code or "")
        or _OVERRIDING_TYPES.get(kind or "")
        or (_STATUS_TO_ERROR.get(status) if status is not None else None)
        or _TYPE_TO_ERROR.get(kind or "")
    )
    if cls is None:
        if status is None or status < 400:
            cls = UpstreamError
        else:
            cls = UpstreamServerError if status >= 500 else InvalidRequestError
    lowered = message.lower()
    hints = _QUOTA_HINTS if cls is RateLimitError else _BALANCE_HINTS
    if cls in (RateLimitError, InvalidRequestError) and any(h in lowered for h in hints):
        cls = QuotaExceededError
    elif cls is InvalidRequestError and any(h in lowered for h in _CONTEXT_HINTS):
        cls = ContextLengthError
    return cls(f"upstream: {message}", retry_after=retry_after, code=detail_code or kind)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
