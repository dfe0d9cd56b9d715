"""Pieces of a Gemini reply shared by the response and stream decoders: finish reasons and
usage."""

from __future__ import annotations

from typing import Any

from crosswire.canonical import StopReason, Usage
from crosswire.formats.gemini.wire import field

FINISH_REASON_TO_CANONICAL: dict[str, StopReason] = {
    "STOP": StopReason.END_TURN,
    "MAX_TOKENS": StopReason.MAX_TOKENS,
    "SAFETY": StopReason.REFUSAL,
    "RECITATION": StopReason.REFUSAL,
    "BLOCKLIST": StopReason.REFUSAL,
    "PROHIBITED_CONTENT": StopReason.REFUSAL,
    "SPII": StopReason.REFUSAL,
    "IMAGE_SAFETY": StopReason.REFUSAL,
    "IMAGE_PROHIBITED_CONTENT": StopReason.REFUSAL,
    "IMAGE_RECITATION": StopReason.REFUSAL,
    "MODEL_ARMOR": StopReason.REFUSAL,
    "LANGUAGE": StopReason.END_TURN,
    "OTHER": StopReason.END_TURN,
    "NO_IMAGE": StopReason.END_TURN,
    "IMAGE_OTHER": StopReason.END_TURN,
    "FINISH_REASON_UNSPECIFIED": StopReason.END_TURN,
}
MALFORMED_CALL_REASONS = frozenset(
    {
        "MALFORMED_FUNCTION_CALL",
        "UNEXPECTED_TOOL_CALL",
        "TOO_MANY_TOOL_CALLS",
        "MISSING_THOUGHT_SIGNATURE",
        "MALFORMED_RESPONSE",
    }
)
"""The model failed to make a usable call: no standard stop reason; the turn ends with the
upstream's ``finishMessage`` as text (and a log line)."""

_COUNT_FIELDS = ("promptTokenCount", "candidatesTokenCount", "totalTokenCount")


def stop_reason(finish_reason: str | None, has_tool_calls: bool) -> StopReason:
    """Derived from content first: Gemini says ``STOP`` next to function calls, and its calls
    arrive whole, so even a ``MAX_TOKENS`` turn's calls are complete."""
    if has_tool_calls:
        return StopReason.TOOL_USE
    return FINISH_REASON_TO_CANONICAL.get(finish_reason or "STOP", StopReason.END_TURN)


def usage(raw: Any) -> Usage | None:
    """Canonical usage from ``usageMetadata``; ``None`` when it holds no counts (stream chunks
    sometimes carry only ``trafficType``).

    Gemini's ``candidatesTokenCount`` excludes thoughts: output is candidates + thoughts.
    """
    if not isinstance(raw, dict) or not any(field(raw, k) is not None for k in _COUNT_FIELDS):
        return None
    prompt = _count(raw, "promptTokenCount") + _count(raw, "toolUsePromptTokenCount")
    thoughts = field(raw, "thoughtsTokenCount")
    return Usage(
        input_tokens=prompt,
        cache_read_tokens=_count(raw, "cachedContentTokenCount"),
        output_tokens=_count(raw, "candidatesTokenCount") + _count(raw, "thoughtsTokenCount"),
        reasoning_tokens=int(thoughts) if isinstance(thoughts, int) else None,
    )


def _count(raw: dict[str, Any], key: str) -> int:
    value = field(raw, key)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0
