"""Pieces of an OpenAI-format reply shared by the response and stream decoders."""

from __future__ import annotations

from typing import Any

from crosswire.canonical import StopReason, Usage

FINISH_REASON_TO_CANONICAL: dict[str, StopReason] = {
    "stop": StopReason.END_TURN,
    "length": StopReason.MAX_TOKENS,
    "tool_calls": StopReason.TOOL_USE,
    "function_call": StopReason.TOOL_USE,
    "content_filter": StopReason.REFUSAL,
}

# Where third-party servers put reasoning text, in the order they are tried.
DEFAULT_REASONING_KEYS: tuple[str, ...] = ("reasoning_content", "reasoning")


def stop_reason(finish_reason: str | None, has_tool_calls: bool) -> StopReason:
    """Derived from content first (servers say ``stop`` next to tool calls), except that a
    cut-off answer stays cut off: its last tool call may be incomplete."""
    if has_tool_calls and finish_reason != "length":
        return StopReason.TOOL_USE
    return FINISH_REASON_TO_CANONICAL.get(finish_reason or "stop", StopReason.END_TURN)


def usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    prompt = raw.get("prompt_tokens") or 0
    details = raw.get("prompt_tokens_details") or {}
    completion_details = raw.get("completion_tokens_details") or {}
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    written = details.get("cache_write_tokens") if isinstance(details, dict) else None
    reasoning = (
        completion_details.get("reasoning_tokens") if isinstance(completion_details, dict) else None
    )
    # DeepSeek reports cache hits at the top level.
    cached = cached or raw.get("prompt_cache_hit_tokens") or raw.get("cached_tokens") or 0
    return Usage(
        input_tokens=int(prompt),
        cache_read_tokens=int(cached),
        cache_write_tokens=int(written or 0),
        output_tokens=int(raw.get("completion_tokens") or 0),
        reasoning_tokens=int(reasoning) if isinstance(reasoning, int) else None,
    )


def reasoning_text(obj: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = obj.get(key)
        if isinstance(value, str) and value:
            return value
    details = obj.get("reasoning_details")
    if isinstance(details, list):
        texts = [
            d.get("text") or d.get("summary") or ""
            for d in details
            if isinstance(d, dict) and d.get("type") in ("reasoning.text", "reasoning.summary")
        ]
        joined = "".join(t for t in texts if isinstance(t, str))
        return joined or None
    return None


def arguments_text(arguments: Any) -> str:
    """Arguments as JSON text: some servers send an object instead of a string."""
    if isinstance(arguments, str):
        return arguments
    if arguments is None:
        return ""
    from crosswire.jsonutil import dumps_str

    return dumps_str(arguments)
