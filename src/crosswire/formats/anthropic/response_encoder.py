"""Encode canonical answers as Anthropic Messages responses and SSE streams.

The stream grammar written here is the one the Anthropic SDKs parse::

    message_start  (content_block_start  content_block_delta*  content_block_stop)*
    message_delta  message_stop                      # or: event: error, then the end

Tool-call arguments are gathered per block and written as one ``input_json_delta`` at the
block's end, after repair (:func:`arguments_object`), so the client always parses valid JSON.
"""

from __future__ import annotations

import uuid
from typing import Any

from crosswire.canonical import (
    Event,
    MessageStart,
    MessageStop,
    OpaquePart,
    PartStart,
    PartStop,
    RedactedThinkingPart,
    Response,
    SignatureDelta,
    StreamError,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    ToolArgsDelta,
    ToolCallPart,
    Usage,
)
from crosswire.canonical.arguments import arguments_object
from crosswire.formats.anthropic.errors import encode_stream_error
from crosswire.formats.anthropic.ids import to_client_id
from crosswire.formats.anthropic.signatures import ANTHROPIC, client_signature
from crosswire.jsonutil import dumps


def message_id(upstream_id: str | None) -> str:
    if upstream_id and upstream_id.startswith("msg_"):
        return upstream_id
    return "msg_" + uuid.uuid4().hex[:24]


def usage_body(usage: Usage) -> dict[str, Any]:
    body: dict[str, Any] = {
        "input_tokens": usage.uncached_input_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
        "output_tokens": usage.output_tokens,
    }
    return body


def encode_response(
    response: Response, client_model: str, *, thinking_omitted: bool = False
) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    for part in response.parts:
        block = _block(part, thinking_omitted)
        if block is not None:
            content.append(block)
    return {
        "id": message_id(response.id),
        "type": "message",
        "role": "assistant",
        "model": client_model,
        "content": content,
        "stop_reason": response.stop_reason.value,
        "stop_sequence": response.stop_sequence,
        "usage": usage_body(response.usage),
    }


def _block(part: object, thinking_omitted: bool) -> dict[str, Any] | None:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text} if part.text else None
    if isinstance(part, ToolCallPart):
        return {
            "type": "tool_use",
            "id": to_client_id(part.id),
            "name": part.name,
            "input": arguments_object(part.arguments),
        }
    if isinstance(part, ThinkingPart):
        return {
            "type": "thinking",
            "thinking": "" if thinking_omitted else part.text,
            "signature": client_signature(part, include_text=thinking_omitted),
        }
    if isinstance(part, RedactedThinkingPart) and part.origin == ANTHROPIC:
        return {"type": "redacted_thinking", "data": part.data}
    if isinstance(part, OpaquePart) and part.origin == ANTHROPIC:
        return part.block
    return None


def _frame(event: str, data: dict[str, Any]) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + dumps(data) + b"\n\n"


PING = _frame("ping", {"type": "ping"})


class StreamEncoder:
    """Canonical events in, Anthropic SSE bytes out; one instance per response stream."""

    def __init__(self, client_model: str, *, thinking_omitted: bool = False) -> None:
        self.client_model = client_model
        self.thinking_omitted = thinking_omitted
        self._open: ThinkingPart | ToolCallPart | None = None
        self._thinking_text: list[str] = []
        self._args: list[str] = []

    def encode(self, event: Event) -> bytes:
        match event:
            case TextDelta(index, text):
                if not text:
                    return b""
                delta = {"type": "text_delta", "text": text}
                return _frame("content_block_delta", _delta(index, delta))
            case ThinkingDelta(index, text):
                if self.thinking_omitted:
                    self._thinking_text.append(text)
                    return b""
                delta = {"type": "thinking_delta", "thinking": text}
                return _frame("content_block_delta", _delta(index, delta))
            case ToolArgsDelta(_, fragment):
                self._args.append(fragment)
                return b""
            case SignatureDelta(_, signature, origin):
                if isinstance(self._open, ThinkingPart):
                    self._open.signature = signature
                    self._open.origin = origin
                return b""
            case PartStart(index, part):
                return self._start(index, part)
            case PartStop(index):
                return self._stop(index)
            case MessageStart():
                return self._message_start(event)
            case MessageStop(stop_reason, usage, stop_sequence):
                body = {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop_reason.value, "stop_sequence": stop_sequence},
                    "usage": usage_body(usage),
                }
                return _frame("message_delta", body) + _frame(
                    "message_stop", {"type": "message_stop"}
                )
            case StreamError(error):
                return encode_stream_error(error)
        return b""

    def _message_start(self, event: MessageStart) -> bytes:
        usage = usage_body(event.usage or Usage())
        message: dict[str, Any] = {
            "id": message_id(event.id),
            "type": "message",
            "role": "assistant",
            "model": self.client_model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage,
        }
        return _frame("message_start", {"type": "message_start", "message": message})

    def _start(self, index: int, part: object) -> bytes:
        block: dict[str, Any]
        if isinstance(part, TextPart):
            block = {"type": "text", "text": ""}
        elif isinstance(part, ThinkingPart):
            self._open = ThinkingPart("", part.signature, part.origin)
            self._thinking_text = []
            block = {"type": "thinking", "thinking": "", "signature": ""}
        elif isinstance(part, ToolCallPart):
            self._open = part
            self._args = [part.arguments] if part.arguments else []
            block = {
                "type": "tool_use",
                "id": to_client_id(part.id),
                "name": part.name,
                "input": {},
            }
        elif isinstance(part, RedactedThinkingPart) and part.origin == ANTHROPIC:
            block = {"type": "redacted_thinking", "data": part.data}
        else:
            block = {"type": "text", "text": ""}
        return _frame(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": block},
        )

    def _stop(self, index: int) -> bytes:
        out = b""
        part = self._open
        if isinstance(part, ThinkingPart):
            part.text = "".join(self._thinking_text)
            signature = client_signature(part, include_text=self.thinking_omitted)
            if signature:
                delta = {"type": "signature_delta", "signature": signature}
                out = _frame("content_block_delta", _delta(index, delta))
        elif isinstance(part, ToolCallPart):
            arguments = dumps(arguments_object("".join(self._args))).decode()
            delta = {"type": "input_json_delta", "partial_json": arguments}
            out = _frame("content_block_delta", _delta(index, delta))
        self._open = None
        return out + _frame("content_block_stop", {"type": "content_block_stop", "index": index})


def _delta(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}
