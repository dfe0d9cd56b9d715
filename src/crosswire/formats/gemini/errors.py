"""Map a Gemini upstream's error (HTTP status + ``{"error": {code, message, status, details}}``,
or an error chunk mid-stream) to the gateway's error tree.

- the ``google.rpc`` status decides the class, the HTTP status is the fallback;
- a bad key is a 400 ``INVALID_ARGUMENT`` with ``ErrorInfo.reason: API_KEY_INVALID`` →
  :class:`AuthenticationError`;
- ``RetryInfo.retryDelay`` (``"37s"``) → ``retry_after``;
- a ``QuotaFailure`` on a per-day quota (``quotaId`` containing ``PerDay``) →
  :class:`QuotaExceededError`: retrying before the reset cannot help;
- the body may be wrapped in a one-element array (``streamGenerateContent`` without ``alt=sse``).
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

_RPC_STATUS_TO_ERROR: dict[str, type[GatewayError]] = {
    "INVALID_ARGUMENT": InvalidRequestError,
    "OUT_OF_RANGE": InvalidRequestError,
    "FAILED_PRECONDITION": PermissionDeniedError,  # region not served, billing needed
    "UNAUTHENTICATED": AuthenticationError,
    "PERMISSION_DENIED": PermissionDeniedError,
    "NOT_FOUND": NotFoundError,
    "RESOURCE_EXHAUSTED": RateLimitError,
    "INTERNAL": UpstreamServerError,
    "UNKNOWN": UpstreamServerError,
    "DATA_LOSS": UpstreamServerError,
    "UNAVAILABLE": OverloadedError,
    "DEADLINE_EXCEEDED": UpstreamTimeoutError,
    "CANCELLED": UpstreamError,
    "ABORTED": UpstreamServerError,
    "UNIMPLEMENTED": InvalidRequestError,
}
_HTTP_TO_ERROR = ERROR_FOR_STATUS
_AUTH_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED", "ACCESS_TOKEN_EXPIRED"})
_CONTEXT_HINTS = ("exceeds the maximum number of tokens", "input token count", "context window")
_TOO_LARGE_HINTS = ("payload size exceeds", "request payload size")


def decode_error(
    status: int, body: bytes | dict[str, Any] | list[Any], retry_after: float | None = None
) -> GatewayError:
    error = _error_object(body, status)
    message = str(error.get("message") or f"upstream returned HTTP {status}")
    rpc_status = str(error.get("status") or "")
    code = error.get("code")
    if status < 400:  # an error chunk after HTTP 200 carries its own code
        status = code if isinstance(code, int) and not isinstance(code, bool) else 502
        status = status if status >= 400 else 502
    details = [d for d in error.get("details") or [] if isinstance(d, dict)]
    cls = _RPC_STATUS_TO_ERROR.get(rpc_status) or _HTTP_TO_ERROR.get(status)
    if cls is None:
        cls = UpstreamServerError if status >= 500 else InvalidRequestError
    if any(d.get("reason") in _AUTH_REASONS for d in details) or "API key not valid" in message:
        cls = AuthenticationError
    lowered = message.lower()
    if cls is InvalidRequestError and any(h in lowered for h in _CONTEXT_HINTS):
        cls = ContextLengthError
    if cls is InvalidRequestError and any(h in lowered for h in _TOO_LARGE_HINTS):
        cls = RequestTooLargeError
    if cls is RateLimitError and _per_day_quota(details):
        cls = QuotaExceededError
    delay = _retry_delay(details)
    return cls(
        f"upstream: {message}",
        retry_after=delay if delay is not None else retry_after,
        code=rpc_status or None,
    )


def _error_object(body: bytes | dict[str, Any] | list[Any], status: int) -> dict[str, Any]:
    payload: Any = body
    if isinstance(body, bytes):
        try:
            payload = loads(body)
        except DecodeError:
            text = body[:500].decode("utf-8", "replace").strip()
            return {"message": text or f"upstream returned HTTP {status}"}
    if isinstance(payload, list) and payload:
        payload = payload[0]
    error = payload.get("error", payload) if isinstance(payload, dict) else {}
    if isinstance(error, str):
        return {"message": error}
    return error if isinstance(error, dict) else {}


def _per_day_quota(details: list[dict[str, Any]]) -> bool:
    for detail in details:
        for violation in detail.get("violations") or []:
            if isinstance(violation, dict) and "PerDay" in str(violation.get("quotaId", "")):
                return True
    return False


def _retry_delay(details: list[dict[str, Any]]) -> float | None:
    """``RetryInfo.retryDelay`` in seconds (``"37s"``, ``"1.5s"``, or ``{seconds, nanos}``)."""
    for detail in details:
        delay = detail.get("retryDelay")
        if isinstance(delay, str) and delay.endswith("s"):
            try:
                return max(0.0, float(delay[:-1]))
            except ValueError:
                continue
        if isinstance(delay, dict):
            try:
                return max(0.0, float(delay.get("seconds", 0)) + float(delay.get("nanos", 0)) / 1e9)
            except (TypeError, ValueError):
                continue
    return None
