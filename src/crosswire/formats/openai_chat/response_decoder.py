"""Decode a non-streamed Chat Completions body into a canonical :class:`Response`."""

from __future__ import annotations

from typing import Any

from crosswire.canonical import (
    ContentPart,
    Response,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    UpstreamError,
    Usage,
)
from crosswire.formats.openai_chat import fields
from crosswire.formats.openai_chat.errors import decode_error
from crosswire.formats.openai_chat.think_tags import split_complete

FORMAT = "openai_chat"


def decode_response(
    body: Any, reasoning_keys: tuple[str, ...] = fields.DEFAULT_REASONING_KEYS
) -> Response:
    if not isinstance(body, dict):
        raise UpstreamError("upstream returned a reply that is not a JSON object")
    if isinstance(body.get("error"), dict):
        raise decode_error(200, body)
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise UpstreamError("upstream reply has no choices")
    choice = choices[0]
    if choice.get("finish_reason") == "error":
        raise UpstreamError("upstream reported an error")
    message = choice.get("message") or {}
    if not isinstance(message, dict):
        raise UpstreamError("upstream reply has no message")

    parts: list[ContentPart] = []
    reasoning = fields.reasoning_text(message, reasoning_keys)
    content = message.get("content")
    if isinstance(content, list):  # some servers answer with content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    text = content if isinstance(content, str) else ""
    if reasoning is None and text:
        reasoning, text = split_complete(text)
    if reasoning:
        parts.append(ThinkingPart(reasoning, origin=FORMAT))
    if text:
        parts.append(TextPart(text))
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal and not text:
        parts.append(TextPart(refusal))
    response_id = str(body.get("id") or "")
    for i, call in enumerate(message.get("tool_calls") or []):
        if not isinstance(call, dict):
            continue
        function = call.get("function") or {}
        parts.append(
            ToolCallPart(
                id=str(call.get("id") or f"call_{response_id[-12:]}_{i}"),
                name=str(function.get("name") or ""),
                arguments=fields.arguments_text(function.get("arguments")),
            )
        )
    has_calls = any(isinstance(p, ToolCallPart) for p in parts)
    finish = choice.get("finish_reason")
    usage = fields.usage(body.get("usage")) or fields.usage(choice.get("usage")) or Usage()
    return Response(
        id=response_id,
        model=str(body.get("model") or ""),
        parts=parts,
        stop_reason=fields.stop_reason(finish, has_calls),
        usage=usage,
    )
