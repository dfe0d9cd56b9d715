"""Decode a Responses ``Response`` object (upstream side) into a canonical Response.

Output items map to parts in order: ``reasoning`` → thinking (summary text, or raw reasoning
text; ``id`` + ``encrypted_content`` as its state), ``message`` → text (refusals included),
``function_call`` / ``custom_tool_call`` → tool calls, anything else (hosted-tool calls) →
:class:`OpaquePart` for a Responses client. The stop reason comes from the status and the
output: Responses has no finish reason.
"""

from __future__ import annotations

from typing import Any

from crosswire.canonical import (
    ContentPart,
    OpaquePart,
    Response,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    UpstreamError,
    Usage,
)
from crosswire.formats.openai_responses.errors import stream_error
from crosswire.formats.openai_responses.fields import (
    FORMAT,
    TOOL_CALL_ITEMS,
    flat_name,
    join_state,
    stop_reason,
    usage_from_wire,
)
from crosswire.jsonutil import dumps_str


def decode_response(body: Any) -> Response:
    if not isinstance(body, dict):
        raise UpstreamError("upstream returned a reply that is not a JSON object")
    if body.get("status") == "failed":
        raise stream_error({"type": "response.failed", "response": body})
    if isinstance(body.get("error"), dict) and not body.get("output"):
        raise stream_error(body)
    output = body.get("output")
    if not isinstance(output, list):
        raise UpstreamError("upstream reply has no output")
    parts: list[ContentPart] = []
    for item in output:
        part = output_part(item)
        if part is not None:
            parts.append(part)
    has_calls = any(isinstance(i, dict) and i.get("type") in TOOL_CALL_ITEMS for i in output)
    return Response(
        id=str(body.get("id") or ""),
        model=str(body.get("model") or ""),
        parts=parts,
        stop_reason=stop_reason(body.get("status"), body.get("incomplete_details"), has_calls),
        usage=usage_from_wire(body.get("usage")) or Usage(),
    )


def output_part(item: Any) -> ContentPart | None:
    """The canonical part for one whole output item (``None`` for an empty one)."""
    if not isinstance(item, dict):
        return None
    kind = item.get("type")
    if kind == "message":
        text = message_text(item)
        return TextPart(text) if text else None
    if kind == "reasoning":
        return reasoning_part(item)
    if kind == "function_call":
        arguments = item.get("arguments")
        return ToolCallPart(
            id=call_id(item),
            name=flat_name(str(item.get("name") or ""), item.get("namespace")),
            arguments=arguments if isinstance(arguments, str) else dumps_str(arguments or {}),
        )
    if kind == "custom_tool_call":
        return ToolCallPart(
            id=call_id(item),
            name=flat_name(str(item.get("name") or ""), item.get("namespace")),
            arguments=dumps_str({"input": str(item.get("input") or "")}),
        )
    return OpaquePart(FORMAT, item)


def call_id(item: dict[str, Any]) -> str:
    return str(item.get("call_id") or item.get("id") or "")


def message_text(item: dict[str, Any]) -> str:
    content = item.get("content")
    if not isinstance(content, list):
        return ""
    texts = []
    for part in content:
        if isinstance(part, dict):
            text = part.get("text") if part.get("type") != "refusal" else part.get("refusal")
            if isinstance(text, str):
                texts.append(text)
    return "".join(texts)


def reasoning_text(item: dict[str, Any]) -> str:
    texts = _texts(item.get("summary")) or _texts(item.get("content"))
    return "\n\n".join(texts)


def reasoning_part(item: dict[str, Any]) -> ThinkingPart | None:
    text = reasoning_text(item)
    encrypted = item.get("encrypted_content")
    if isinstance(encrypted, str) and encrypted:
        return ThinkingPart(text, join_state(item.get("id"), encrypted), FORMAT)
    return ThinkingPart(text, None, FORMAT) if text else None


def _texts(parts: Any) -> list[str]:
    if not isinstance(parts, list):
        return []
    texts = (p.get("text") for p in parts if isinstance(p, dict))
    return [t for t in texts if isinstance(t, str) and t]
