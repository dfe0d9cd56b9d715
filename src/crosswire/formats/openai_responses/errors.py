"""Map a Responses upstream's errors to the gateway's error tree.

HTTP errors use OpenAI's envelope, so they are read exactly as Chat Completions errors are.
Inside a stream, a failure arrives as an ``error`` event — flat (``{type, code, message,
param}``, as the SDK types it) or nested (``{type, error: {type, code, message, param}}``, as
OpenAI has been captured sending it) — and/or as ``response.failed`` with ``response.error``.
Those carry a code but no status; the status each code implies is in :data:`_CODE_TO_STATUS`.
"""

from __future__ import annotations

import re
from typing import Any

from crosswire.canonical import GatewayError
from crosswire.formats.openai_chat.errors import decode_error as _decode_openai_error

_CODE_TO_STATUS: dict[str, int] = {
    "invalid_api_key": 401,
    "model_not_found": 404,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "context_length_exceeded": 400,
    "invalid_prompt": 400,
    "invalid_request_error": 400,
    "bio_policy": 400,
    "data_residency_mismatch": 400,
    "misalignment_policy_violation": 400,
    "server_error": 500,
    "server_is_overloaded": 503,
    "slow_down": 503,
    "vector_store_timeout": 504,
}
_RETRY_IN = re.compile(r"try again in (\d+(?:\.\d+)?)\s*(ms|s)\b", re.IGNORECASE)


def decode_error(
    status: int, body: bytes | dict[str, Any], retry_after: float | None = None
) -> GatewayError:
    """The error for a non-2xx HTTP answer (or an ``{"error": …}`` body)."""
    return _decode_openai_error(status, body, retry_after)


def stream_error(payload: dict[str, Any]) -> GatewayError:
    """The error in an ``error`` event (flat or nested), a ``response.failed`` event, or an
    ``{"error": …}`` body that came with a success status."""
    error: Any = payload
    if payload.get("type") == "response.failed":
        response = payload.get("response")
        error = response.get("error") if isinstance(response, dict) else None
    elif isinstance(payload.get("error"), dict):
        error = {**payload, **payload["error"]}
    if not isinstance(error, dict):
        error = {}
    code = error.get("code") or error.get("type")
    code = code if isinstance(code, str) and code != "error" else None
    message = error.get("message")
    if not isinstance(message, str) or not message:
        message = f"upstream stream failed ({code or 'no error code'})"
    if code and code.startswith(("invalid_image", "image_", "unsupported_image", "empty_image")):
        status = 400
    else:
        status = _CODE_TO_STATUS.get(code or "", 500)
    etype = error.get("type") if error.get("type") != "error" else None
    envelope = {"error": {"message": message, "code": code, "type": etype}}
    return _decode_openai_error(status, envelope, _retry_after(message))


def _retry_after(message: str) -> float | None:
    match = _RETRY_IN.search(message)
    if match is None:
        return None
    value = float(match.group(1))
    return value / 1000 if match.group(2).lower() == "ms" else value
