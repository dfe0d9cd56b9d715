"""Canonical messages → the ``messages`` array of an Anthropic Messages body (upstream side).

Anthropic validates a conversation more strictly than any other format, so the turns are
repaired on the way out rather than rejected:

- turns with nothing sendable are dropped and same-role neighbours merged;
- each user turn starts with the results of the previous turn's calls, in call order; a call
  with no result is answered ``is_error`` "(no result)"; a result with no call becomes text;
- tool ids become ``^[a-zA-Z0-9_-]+$`` by a deterministic rewrite (:func:`tool_id`);
- blank text blocks are left out and empty tool results say "(no output)" (both are 400s);
- thinking signed by Anthropic is replayed byte-exact; other thinking is sent unsigned only
  when the server keeps unsigned thinking; ``redacted_thinking`` goes back to Anthropic format.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

from crosswire.canonical import (
    DocumentPart,
    ImagePart,
    InvalidRequestError,
    Message,
    OpaquePart,
    RedactedThinkingPart,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolResultPart,
)
from crosswire.canonical.arguments import arguments_object
from crosswire.formats.anthropic.signatures import ANTHROPIC

log = logging.getLogger(__name__)

Block = dict[str, Any]

NO_RESULT = "(no result)"
NO_OUTPUT = "(no output)"
_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
_TOOL_ID = re.compile(r"[A-Za-z0-9_-]+")
_NOT_TOOL_ID = re.compile(r"[^A-Za-z0-9_-]+")
# The text request_decoder leaves for a ``tool_reference`` block (Claude Code's ToolSearch).
_TOOL_REFERENCE = re.compile(r"Tool (\S+) is now available\.")


def tool_id(raw: str) -> str:
    """``raw`` if Anthropic accepts it, else a deterministic rewrite (same input, same id)."""
    if _TOOL_ID.fullmatch(raw):
        return raw
    digest = hashlib.sha256(raw.encode()).hexdigest()[:8]
    cleaned = _NOT_TOOL_ID.sub("_", raw).strip("_")
    return f"{cleaned}_{digest}" if cleaned else f"toolu_{digest}"


def encode_turns(
    messages: list[Message],
    *,
    first_party: bool,
    keep_unsigned_thinking: bool,
    deferred_tools: frozenset[str] = frozenset(),
) -> list[Block]:
    """The ``messages`` array. ``first_party``: Anthropic-only blocks may go;
    ``deferred_tools``: tools sent with ``defer_loading``, whose ``tool_reference`` is rebuilt."""
    turns: list[Block] = []
    for message in messages:
        if message.role == "assistant":
            blocks = _assistant(message, first_party, keep_unsigned_thinking)
        else:
            blocks = _user(message, first_party, deferred_tools)
        if not blocks:
            continue  # Anthropic rejects empty turns; the neighbours merge instead
        if turns and turns[-1]["role"] == message.role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": message.role, "content": blocks})
    calls: list[str] = []
    for turn in turns:
        if turn["role"] == "assistant":
            calls = list(dict.fromkeys(b["id"] for b in turn["content"] if b["type"] == "tool_use"))
        else:
            turn["content"] = _answer_calls(turn["content"], calls)
            calls = []
    return turns


def text_block(part: TextPart) -> Block:
    block = _plain(part.text)
    if part.cache_control:
        block["cache_control"] = part.cache_control
    return block


def _answer_calls(blocks: list[Block], calls: list[str]) -> list[Block]:
    """The user turn after ``calls``: their results first, in call order, then the rest."""
    results: dict[str, Block] = {}
    rest: list[Block] = []
    for block in blocks:
        if block["type"] != "tool_result":
            rest.append(block)
        elif block["tool_use_id"] in calls and block["tool_use_id"] not in results:
            results[block["tool_use_id"]] = block
        else:
            log.info("tool result %s answers no call of the turn before; sent as text",
                     block["tool_use_id"])  # fmt: skip
            rest += _orphan(block)
    answered = []
    for call in calls:
        if call not in results:
            log.info("tool call %s has no result; answering it with %s", call, NO_RESULT)
        answered.append(results.get(call) or _result(call, [_plain(NO_RESULT)], is_error=True))
    return answered + rest


def _orphan(block: Block) -> list[Block]:
    label = f"Result of tool call {block['tool_use_id']}"
    label += " (error):" if block.get("is_error") else ":"
    content = [b for b in block["content"] if b["type"] != "tool_reference"]
    if content and content[0]["type"] == "text" and "cache_control" not in content[0]:
        return [_plain(f"{label}\n{content[0]['text']}"), *content[1:]]
    return [_plain(label), *content]


def _assistant(message: Message, first_party: bool, keep_unsigned: bool) -> list[Block]:
    blocks: list[Block] = []
    for part in message.parts:
        block: Block | None = None
        if isinstance(part, TextPart):
            block = text_block(part) if part.text.strip() else None
        elif isinstance(part, ToolCallPart):
            block = {
                "type": "tool_use",
                "id": tool_id(part.id),
                "name": part.name,
                "input": arguments_object(part.arguments),
            }
        elif isinstance(part, ThinkingPart):
            block = _thinking(part, keep_unsigned)
        elif isinstance(part, RedactedThinkingPart) and part.origin == ANTHROPIC:
            block = {"type": "redacted_thinking", "data": part.data}
        elif isinstance(part, OpaquePart) and part.origin == ANTHROPIC and first_party:
            block = part.block
        if block is None:
            log.debug("not sending %s in an assistant turn upstream", type(part).__name__)
        else:
            blocks.append(block)
    return blocks


def _thinking(part: ThinkingPart, keep_unsigned: bool) -> Block | None:
    if part.origin == ANTHROPIC and part.signature:  # byte-exact, or Anthropic rejects it
        return {"type": "thinking", "thinking": part.text, "signature": part.signature}
    if keep_unsigned:  # unsigned, or signed by another format: the text without the signature
        return {"type": "thinking", "thinking": part.text, "signature": ""}
    return None


def _user(message: Message, first_party: bool, deferred: frozenset[str]) -> list[Block]:
    blocks: list[Block] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            if part.text.strip():
                blocks.append(text_block(part))
        elif isinstance(part, ImagePart | DocumentPart):
            blocks.append(_media(part))
        elif isinstance(part, ToolResultPart):
            blocks.append(_tool_result(part, deferred))
        elif isinstance(part, OpaquePart) and part.origin == ANTHROPIC and first_party:
            blocks.append(part.block)
        else:
            log.debug("not sending %s in a user turn upstream", type(part).__name__)
    return blocks


def _tool_result(part: ToolResultPart, deferred: frozenset[str]) -> Block:
    content: list[Block] = []
    for item in part.content:
        if isinstance(item, TextPart):
            reference = _TOOL_REFERENCE.fullmatch(item.text)
            if reference and reference[1] in deferred:
                content.append({"type": "tool_reference", "tool_name": reference[1]})
            elif item.text.strip():
                content.append(text_block(item))
        else:
            content.append(_media(item))
    block = _result(tool_id(part.tool_call_id), content or [_plain(NO_OUTPUT)], part.is_error)
    if part.cache_control:
        block["cache_control"] = part.cache_control
    return block


def _result(call_id: str, content: list[Block], is_error: bool) -> Block:
    block: Block = {"type": "tool_result", "tool_use_id": call_id, "content": content}
    if is_error:
        block["is_error"] = True
    return block


def _plain(text: str) -> Block:
    return {"type": "text", "text": text}


def _media(part: ImagePart | DocumentPart) -> Block:
    source: Block
    if isinstance(part, ImagePart):
        if part.url is not None:
            source = {"type": "url", "url": part.url}
        else:
            media_type = part.media_type or "image/png"
            if media_type not in _IMAGE_TYPES:
                raise InvalidRequestError(
                    f"images of type {media_type} cannot be sent to an Anthropic-format upstream "
                    "(jpeg, png, gif and webp can)"
                )
            source = {"type": "base64", "media_type": media_type, "data": part.data or ""}
        block: Block = {"type": "image", "source": source}
    else:
        if part.text is not None:
            source = {"type": "text", "media_type": "text/plain", "data": part.text}
        elif part.url is not None:
            source = {"type": "url", "url": part.url}
        else:
            media = part.media_type or "application/pdf"
            source = {"type": "base64", "media_type": media, "data": part.data or ""}
        block = {"type": "document", "source": source}
        if part.title:
            block["title"] = part.title
    if part.cache_control:
        block["cache_control"] = part.cache_control
    return block
