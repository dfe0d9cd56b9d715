"""Map an OpenAI-format upstream's error (HTTP status + body, or an error frame) to the
gateway's error tree."""

from __future__ import annotations

from typing import Any

from crosswire.canonical import (
    ERROR_FOR_STATUS,
    ContextLengthError,
    GatewayError,
    InvalidRequestError,
    OverloadedError,
    QuotaExceededError,
    RateLimitError,
    UpstreamError,
    UpstreamServerError,
    UpstreamTimeoutError,
)
from crosswire.jsonutil import DecodeError, loads

_STATUS_TO_ERROR = ERROR_FOR_STATUS
# Codes that change the class whatever the status says.
_CODE_TO_ERROR: dict[str, type[GatewayError]] = {
    "insufficient_quota": QuotaExceededError,
    "exceeded_current_quota_error": QuotaExceededError,
    "billing_hard_limit_reached": QuotaExceededError,
    "context_length_exceeded": ContextLengthError,
    "string_above_max_length": ContextLengthError,
}
# Codes that classify an error body that came with no error status (HTTP 200, stream frames).
_CODE_WITHOUT_STATUS: dict[str, type[GatewayError]] = {
    "rate_limit_exceeded": RateLimitError,
    "rate_limit_error": RateLimitError,
    "server_error": UpstreamServerError,
    "api_error": UpstreamServerError,
    "overloaded": OverloadedError,
    "overloaded_error": OverloadedError,
    "engine_overloaded_error": RateLimitError,  # Kimi sends it as a 429
    "timeout": UpstreamTimeoutError,
}
_CONTEXT_HINTS = (
    "context length",
    "context window",
    "maximum context",
    "too many tokens",
    "model token limit",  # Kimi: "Your request exceeded model token limit: 262144"
    "prompt is too long",
    "exceeds the available context size",  # llama.cpp
)


def decode_error(
    status: int, body: bytes | dict[str, Any], retry_after: float | None = None
) -> GatewayError:
    payload: Any = body
    if isinstance(body, bytes):
        try:
            payload = loads(body)
        except DecodeError:
            payload = {"error": {"message": body[:500].decode("utf-8", "replace")}}
    error = payload.get("error", payload) if isinstance(payload, dict) else {}
    if isinstance(error, str):
        error = {"message": error}
    if not isinstance(error, dict):
        error = {}
    message = str(error.get("message") or f"upstream returned HTTP {status}")
    raw_code = error.get("code")
    if status < 400 and isinstance(raw_code, int) and 400 <= raw_code <= 599:
        status = raw_code  # an error body sent with HTTP 200 (OpenRouter puts the status here)
    code_value = raw_code if isinstance(raw_code, str) and raw_code else error.get("type")
    code = str(code_value) if code_value is not None else None
    cls = _CODE_TO_ERROR.get(code or "") or _STATUS_TO_ERROR.get(status)
    if status < 400:
        cls = _CODE_TO_ERROR.get(code or "") or _CODE_WITHOUT_STATUS.get(code or "")
    if cls is None:
        cls = InvalidRequestError if 400 <= status < 500 else UpstreamError
        if status >= 500:
            cls = UpstreamServerError
    if cls is InvalidRequestError and any(h in message.lower() for h in _CONTEXT_HINTS):
        cls = ContextLengthError
    if cls is RateLimitError and "quota" in message.lower() and "exceeded" in message.lower():
        cls = QuotaExceededError
    return cls(f"upstream: {message}", retry_after=retry_after, code=code)
