"""Typed reads of client request fields, shared by the client-side decoders: a wrong type is
an :class:`InvalidRequestError` naming the field, never a ``TypeError`` (a 500)."""

from __future__ import annotations

from typing import Any

from crosswire.canonical import InvalidRequestError


def opt_int(body: dict[str, Any], key: str) -> int | None:
    """A non-negative integer field, or ``None`` when absent."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRequestError(f"{key}: must be a non-negative integer")
    return value


def opt_number(body: dict[str, Any], key: str) -> float | None:
    """A number field (integers accepted), or ``None`` when absent."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequestError(f"{key}: must be a number")
    return float(value)
