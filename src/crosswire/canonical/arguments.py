"""Tool-call arguments: JSON text in the canonical model, objects where a format wants objects.

Upstreams send arguments that are cut short (``length``), double-encoded, not objects, or empty.
:func:`arguments_object` always returns a dict so no client ever gets a 500 for a model's
malformed call; what could not be parsed is kept under ``_raw_arguments`` so the agent's tool
validation can tell the model what went wrong.
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
        value = _close_truncated(text)
        if value is None:
            return {RAW_ARGUMENTS_KEY: raw}
    if isinstance(value, str):  # double-encoded: "{\"a\": 1}"
        try:
            value = loads(value)
        except DecodeError:
            return {RAW_ARGUMENTS_KEY: raw}
    if isinstance(value, dict):
        return value
    return {RAW_ARGUMENTS_KEY: raw}


def _close_truncated(text: str) -> Any:
    """Close the strings, arrays and objects left open by a truncated JSON text."""
    stack: list[str] = []
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
    if not stack and not in_string:
        return None
    candidate = text + ('"' if in_string else "")
    candidate = candidate.rstrip().rstrip(",").rstrip(":")
    try:
        return loads(candidate + "".join(reversed(stack)))
    except DecodeError:
        return None
