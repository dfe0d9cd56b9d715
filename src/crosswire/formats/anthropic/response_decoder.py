"""Decode an Anthropic-format upstream's Messages reply into a canonical :class:`Response`.

Content blocks become parts (thinking keeps its signature, origin ``anthropic``; server-tool
blocks and unknown types become :class:`OpaquePart`); ``input_tokens`` is made whole again
(Anthropic's excludes cache reads and writes); the reply's ``model`` is ignored (Kimi Code
answers ``kimi-for-coding`` whatever was asked). The stop-reason and usage helpers here are
shared with the stream decoder.
"""

from __future__ import annotations

from typing import Any

from crosswire.canonical import (
    ContentPart,
    OpaquePart,
    RedactedThinkingPart,
    Response,
    StopReason,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    UpstreamError,
    Usage,
)
from crosswire.formats.anthropic.signatures import ANTHROPIC
from crosswire.formats.anthropic.upstream_errors import error_from_payload
from crosswire.jsonutil import dumps_str

STOP_REASON_TO_CANONICAL: dict[str, StopReason] = {
    "end_turn": StopReason.END_TURN,
    "max_tokens": StopReason.MAX_TOKENS,
    "stop_sequence": StopReason.STOP_SEQUENCE,
    "tool_use": StopReason.TOOL_USE,
    "pause_turn": StopReason.PAUSE_TURN,
    "refusal": StopReason.REFUSAL,
    "model_context_window_exceeded": StopReason.CONTEXT_WINDOW_EXCEEDED,
}


def decode_response(body: Any, model: str = "") -> Response:
    """The canonical response; ``model`` is what it reports (the reply's own is ignored)."""
    if not isinstance(body, dict):
        raise UpstreamError("upstream returned a reply that is not a JSON object")
    if body.get("type") == "error" or ("error" in body and "content" not in body):
        raise error_from_payload(body.get("error"))
    content = body.get("content")
    if not isinstance(content, list):
        raise UpstreamError("upstream reply has no content array")
    parts = [p for p in (part_from_block(b) for b in content) if p is not None]
    has_calls = any(isinstance(p, ToolCallPart) for p in parts)
    stop_sequence = body.get("stop_sequence")
    return Response(
        id=str(body.get("id") or ""),
        model=model,
        parts=parts,
        stop_reason=stop_reason(body.get("stop_reason"), has_calls),
        stop_sequence=stop_sequence if isinstance(stop_sequence, str) else None,
        usage=usage(body.get("usage")),
    )


def part_from_block(block: Any) -> ContentPart | None:
    """The canonical part for one complete content block (``None`` for a non-object)."""
    if not isinstance(block, dict):
        return None
    kind = block.get("type")
    if kind == "text":
        return TextPart(_text(block, "text"))
    if kind == "thinking":
        signature = block.get("signature")
        return ThinkingPart(
            _text(block, "thinking"),
            signature=signature if isinstance(signature, str) and signature else None,
            origin=ANTHROPIC,
        )
    if kind == "redacted_thinking":
        return RedactedThinkingPart(_text(block, "data"), origin=ANTHROPIC)
    if kind == "tool_use":
        tool_input = arguments(block.get("input"))
        return ToolCallPart(id=_text(block, "id"), name=_text(block, "name"), arguments=tool_input)
    # server_tool_use, web_search_tool_result, container_upload, types newer than this gateway
    return OpaquePart(ANTHROPIC, block)


def arguments(tool_input: Any) -> str:
    """A ``tool_use`` input as canonical JSON text (a string is taken as JSON text already)."""
    if isinstance(tool_input, str):
        return tool_input
    return dumps_str(tool_input if tool_input is not None else {})


def stop_reason(raw: Any, has_tool_calls: bool) -> StopReason:
    """Anthropic's reason; a natural stop next to tool calls is a tool-use stop."""
    reason = STOP_REASON_TO_CANONICAL.get(raw, StopReason.END_TURN)
    if has_tool_calls and reason is StopReason.END_TURN:
        return StopReason.TOOL_USE
    return reason


def usage(raw: Any) -> Usage:
    """Canonical usage from Anthropic's: input = uncached + cache reads + cache writes."""
    if not isinstance(raw, dict):
        return Usage()
    read = _int(raw.get("cache_read_input_tokens"))
    write = _int(raw.get("cache_creation_input_tokens"))
    details = raw.get("output_tokens_details")
    thinking = details.get("thinking_tokens") if isinstance(details, dict) else None
    return Usage(
        input_tokens=_int(raw.get("input_tokens")) + read + write,
        cache_read_tokens=read,
        cache_write_tokens=write,
        output_tokens=_int(raw.get("output_tokens")),
        reasoning_tokens=thinking if isinstance(thinking, int) else None,
    )


def _int(value: Any) -> int:
    """Counts as ints: compatible servers send ``null`` (and now and then floats)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return max(0, int(value))


def _text(block: dict[str, Any], key: str) -> str:
    value = block.get(key)
    return value if isinstance(value, str) else ""
