"""Tool-call arguments: JSON text in the canonical model, objects where a format wants objects.

Upstreams send arguments that are cut short (``length``), double-encoded, not objects, or empty.
:func:`arguments_object` always returns a dict so no client ever gets a 500 for a model's
malformed call. Truncated JSON is deliberately *not* completed: a Write call cut inside its
``content`` would otherwise run and write half a file. What cannot be parsed is kept under
``_raw_arguments``, so the agent's tool validation rejects the call and tells the model why.
"""

from __future__ import annotations

from typing import Any

from crosswire.jsonutil import DecodeError, loads

RAW_ARGUMENTS_KEY = "_raw_arguments"


def arguments_object(raw: str) -> dict[str, Any]:
    """Parse tool-call arguments into an object, repairing what can be repaired."""
    text = raw.strip()
    if not text:
        return {}
    try:
        value = loads(text)
    except DecodeError:
        return {RAW_ARGUMENTS_KEY: raw}
    if isinstance(value, str):  # double-encoded: "{\"a\": 1}"
        try:
            value = loads(value)
        except DecodeError:
            return {RAW_ARGUMENTS_KEY: raw}
    if isinstance(value, dict):
        return value
    return {RAW_ARGUMENTS_KEY: raw}
