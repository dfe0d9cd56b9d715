"""Keeping credentials out of logs, reprs and error messages."""

from __future__ import annotations

from collections.abc import Mapping

REDACT_MIN_LENGTH = 12
"""Secrets shorter than this are hidden entirely; longer ones keep a recognisable head and tail."""
REDACT_HEAD = 3
REDACT_TAIL = 4
REDACTED = "***"
SENSITIVE_HEADER_WORDS = ("auth", "key", "token", "secret", "cookie", "password", "signature")
"""A header whose lower-cased name contains one of these carries a credential."""


def redact_secret(s: str) -> str:
    """``sk-…abcd`` (first 3 characters, ``…``, last 4), or ``***`` when shorter than 12."""
    if len(s) < REDACT_MIN_LENGTH:
        return REDACTED
    return f"{s[:REDACT_HEAD]}…{s[-REDACT_TAIL:]}"


def is_sensitive_header(name: str) -> bool:
    """Whether a header (``Authorization``, ``x-api-key``, ``X-Goog-Api-Key`` …) is a credential."""
    lowered = name.lower()
    return any(word in lowered for word in SENSITIVE_HEADER_WORDS)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` safe to log: credential headers' values are redacted."""
    return {k: redact_secret(v) if is_sensitive_header(k) else v for k, v in headers.items()}
