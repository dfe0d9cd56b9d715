"""Encode canonical messages as Responses input items (upstream side).

User messages become ``message`` items (``input_text`` / ``input_image`` / ``input_file``);
assistant messages become ``output_text`` messages, ``function_call`` items (by value: the
``call_id`` only, never an item ``id``, which would need its paired reasoning item) and
``custom_tool_call`` items for a Responses client's free-text tools; tool results become
``function_call_output`` items (a string, or parts when there are images or files). Thinking
goes back as a ``reasoning`` item only when a Responses upstream produced it and its
``encrypted_content`` is known; everything else is dropped with a debug line.
"""

from __future__ import annotations

import logging
from typing import Any

from crosswire.canonical import (
    DocumentPart,
    ImagePart,
    Message,
    OpaquePart,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolResultPart,
)
from crosswire.formats.openai_responses.fields import FORMAT, ClientState, split_state
from crosswire.formats.openai_responses.output_items import custom_input

log = logging.getLogger(__name__)

_ERROR_PREFIX = "Error: "


def encode_input(messages: list[Message], state: ClientState) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    call_names: dict[str, str] = {}
    for message in messages:
        if message.role == "assistant":
            items.extend(_assistant(message, state, call_names))
        else:
            items.extend(_user(message, state, call_names))
    return items


def _assistant(
    message: Message, state: ClientState, call_names: dict[str, str]
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    texts: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            if part.text:
                texts.append({"type": "output_text", "text": part.text})
            continue
        if texts:
            items.append({"type": "message", "role": "assistant", "content": texts})
            texts = []
        if isinstance(part, ThinkingPart):
            reasoning = _replay(part)
            if reasoning is not None:
                items.append(reasoning)
        elif isinstance(part, ToolCallPart):
            call_names[part.id] = part.name
            items.append(_call(part, state))
        elif isinstance(part, OpaquePart) and part.origin == FORMAT:
            items.append(part.block)
        else:
            log.debug("dropping %s in an assistant turn for Responses", type(part).__name__)
    if texts:
        items.append({"type": "message", "role": "assistant", "content": texts})
    return items


def _replay(part: ThinkingPart) -> dict[str, Any] | None:
    """A reasoning item, for thinking a Responses upstream produced with encrypted state."""
    if part.origin != FORMAT or not part.signature:
        return None
    item_id, encrypted = split_state(part.signature)
    if not encrypted:
        return None
    item: dict[str, Any] = {"type": "reasoning"}
    if item_id:
        item["id"] = item_id
    item["summary"] = [{"type": "summary_text", "text": part.text}] if part.text else []
    item["encrypted_content"] = encrypted
    return item


def _call(part: ToolCallPart, state: ClientState) -> dict[str, Any]:
    if part.name in state.custom_tools:
        return {
            "type": "custom_tool_call",
            "call_id": part.id,
            "name": part.name,
            "input": custom_input(part.arguments),
        }
    return {
        "type": "function_call",
        "call_id": part.id,
        "name": part.name,
        "arguments": part.arguments or "{}",
    }


def _user(message: Message, state: ClientState, call_names: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    content: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart | ImagePart | DocumentPart):
            if not isinstance(part, TextPart) or part.text:
                content.append(_content(part))
            continue
        if content:
            items.append({"type": "message", "role": "user", "content": content})
            content = []
        if isinstance(part, ToolResultPart):
            custom = call_names.get(part.tool_call_id) in state.custom_tools
            items.append(
                {
                    "type": "custom_tool_call_output" if custom else "function_call_output",
                    "call_id": part.tool_call_id,
                    "output": _output(part),
                }
            )
        elif isinstance(part, OpaquePart) and part.origin == FORMAT:
            items.append(part.block)
        else:
            log.debug("dropping %s in a user turn for Responses", type(part).__name__)
    if content:
        items.append({"type": "message", "role": "user", "content": content})
    return items


def _output(part: ToolResultPart) -> str | list[dict[str, Any]]:
    """A string when the result is only text; else parts, images and files included."""
    prefix = _ERROR_PREFIX if part.is_error else ""
    if all(isinstance(c, TextPart) for c in part.content):
        return prefix + "\n".join(c.text for c in part.content if isinstance(c, TextPart))
    parts = [_content(c) for c in part.content]
    if prefix:
        parts.insert(0, {"type": "input_text", "text": prefix.strip()})
    return parts


def _content(part: TextPart | ImagePart | DocumentPart) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "input_text", "text": part.text}
    if isinstance(part, ImagePart):
        return {"type": "input_image", "image_url": part.as_data_url(), "detail": "auto"}
    if part.text is not None:
        title = f"{part.title}\n" if part.title else ""
        return {"type": "input_text", "text": title + part.text}
    if part.url is not None:
        return {"type": "input_file", "file_url": part.url}
    return {
        "type": "input_file",
        "filename": part.title or "document.pdf",
        "file_data": f"data:{part.media_type or 'application/pdf'};base64,{part.data or ''}",
    }
