"""Encode canonical answers as Gemini ``GenerateContentResponse`` bodies and ``alt=sse`` streams.

Every stream chunk is a whole ``GenerateContentResponse`` holding only the new parts; function
calls are written whole once their part ends; ``finishReason`` and ``usageMetadata`` come on the
last chunk; there is no terminator (the connection closes), and a failure after the start is a
``data: {"error": …}`` chunk.

Thinking text becomes ``thought: true`` parts when the client asked for thoughts
(``includeThoughts``). Thinking *state* (a signature, or foreign reasoning a later upstream
needs back) becomes a ``thoughtSignature`` on the next non-thought part — the function call or
text that followed the thinking, which is where Gemini puts its own and what Gemini CLI keeps in
its history (it drops thought parts). State with no part after it rides on an empty text part.
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
    Response,
    SignatureDelta,
    StopReason,
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
from crosswire.formats.gemini.client_errors import encode_stream_error
from crosswire.formats.gemini.signatures import client_signature
from crosswire.formats.gemini.wire import GEMINI
from crosswire.jsonutil import dumps

STOP_TO_FINISH_REASON: dict[StopReason, str] = {
    StopReason.END_TURN: "STOP",
    StopReason.STOP_SEQUENCE: "STOP",
    StopReason.TOOL_USE: "STOP",
    StopReason.PAUSE_TURN: "STOP",
    StopReason.MAX_TOKENS: "MAX_TOKENS",
    StopReason.CONTEXT_WINDOW_EXCEEDED: "MAX_TOKENS",
    StopReason.REFUSAL: "SAFETY",
}


def response_id(upstream_id: str | None) -> str:
    return upstream_id or uuid.uuid4().hex


def usage_metadata(usage: Usage) -> dict[str, int]:
    """Gemini counts thoughts outside ``candidatesTokenCount``; canonical output includes them."""
    thoughts = min(usage.reasoning_tokens or 0, usage.output_tokens)
    body = {
        "promptTokenCount": usage.input_tokens,
        "candidatesTokenCount": usage.output_tokens - thoughts,
        "totalTokenCount": usage.input_tokens + usage.output_tokens,
    }
    if thoughts:
        body["thoughtsTokenCount"] = thoughts
    if usage.cache_read_tokens:
        body["cachedContentTokenCount"] = usage.cache_read_tokens
    return body


def function_call(part: ToolCallPart) -> dict[str, Any]:
    args = arguments_object(part.arguments)
    return {"functionCall": {"id": part.id, "name": part.name, "args": args}}


class _Carrier:
    """Thinking state waiting for the next non-thought part to carry it."""

    __slots__ = ("pending",)

    def __init__(self) -> None:
        self.pending: list[str] = []

    def add(self, part: ThinkingPart) -> None:
        signature = client_signature(part)
        if signature:
            self.pending.append(signature)

    def carry(self, wire: dict[str, Any]) -> list[dict[str, Any]]:
        """``wire`` with the newest pending state on it, after parts for any older state."""
        out = self.flush(keep=1)
        if self.pending:
            wire["thoughtSignature"] = self.pending.pop()
        out.append(wire)
        return out

    def flush(self, keep: int = 0) -> list[dict[str, Any]]:
        """Parts of their own for all pending state but the newest ``keep``."""
        count = max(0, len(self.pending) - keep)
        out = [{"text": "", "thoughtSignature": s} for s in self.pending[:count]]
        del self.pending[:count]
        return out


def encode_response(
    response: Response, client_model: str, *, include_thoughts: bool = False
) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    carrier = _Carrier()
    for part in response.parts:
        if isinstance(part, ThinkingPart):
            if include_thoughts and part.text:
                parts.append({"text": part.text, "thought": True})
            carrier.add(part)
            continue
        wire = _part(part)
        if wire is not None:
            parts += carrier.carry(wire)
    parts += carrier.flush()
    candidate = {
        "content": {"role": "model", "parts": parts},
        "finishReason": STOP_TO_FINISH_REASON.get(response.stop_reason, "STOP"),
        "index": 0,
    }
    return {
        "candidates": [candidate],
        "usageMetadata": usage_metadata(response.usage),
        "modelVersion": client_model,
        "responseId": response_id(response.id),
    }


def _part(part: object) -> dict[str, Any] | None:
    if isinstance(part, TextPart):
        return {"text": part.text} if part.text else None
    if isinstance(part, ToolCallPart):
        return function_call(part)
    if isinstance(part, OpaquePart) and part.origin == GEMINI:
        return dict(part.block)
    return None  # redacted thinking, foreign server-tool blocks: no Gemini form


class StreamEncoder:
    """Canonical events in, Gemini ``alt=sse`` bytes out; one instance per response stream."""

    def __init__(self, client_model: str, *, include_thoughts: bool = False) -> None:
        self.client_model = client_model
        self.include_thoughts = include_thoughts
        self._id = response_id(None)
        self._carrier = _Carrier()
        self._open: ThinkingPart | ToolCallPart | TextPart | None = None
        self._buffer: list[str] = []

    def encode(self, event: Event) -> bytes:
        match event:
            case TextDelta(_, text):
                return self._chunk(self._text(text)) if text else b""
            case ThinkingDelta(_, text):
                self._buffer.append(text)
                if self.include_thoughts and text:
                    return self._chunk([{"text": text, "thought": True}])
                return b""
            case ToolArgsDelta(_, fragment):
                self._buffer.append(fragment)
                return b""
            case SignatureDelta(_, signature, origin):
                if isinstance(self._open, ThinkingPart):
                    self._open.signature, self._open.origin = signature, origin
                return b""
            case PartStart(_, part):
                self._start(part)
                return b""
            case PartStop():
                return self._stop()
            case MessageStart(message_id):
                self._id = message_id or self._id
                return b""
            case MessageStop(stop_reason, usage):
                return self._finish(stop_reason, usage)
            case StreamError(error):
                return encode_stream_error(error)
        return b""

    def _start(self, part: object) -> None:
        self._buffer = []
        if isinstance(part, ThinkingPart):
            self._open = ThinkingPart("", part.signature, part.origin)
        elif isinstance(part, ToolCallPart):
            self._open = ToolCallPart(part.id, part.name, "")
            if part.arguments:
                self._buffer.append(part.arguments)
        elif isinstance(part, TextPart):
            self._open = TextPart("")
        else:
            self._open = None

    def _text(self, text: str) -> list[dict[str, Any]]:
        """The first chunk of a text part carries any pending thinking state."""
        wire: dict[str, Any] = {"text": text}
        if isinstance(self._open, TextPart) and not self._open.text:
            self._open.text = text
            return self._carrier.carry(wire)
        return [wire]

    def _stop(self) -> bytes:
        part, self._open = self._open, None
        if isinstance(part, ThinkingPart):
            part.text = "".join(self._buffer)
            self._carrier.add(part)
        elif isinstance(part, ToolCallPart):
            part.arguments = "".join(self._buffer)
            return self._chunk(self._carrier.carry(function_call(part)))
        return b""

    def _finish(self, stop_reason: StopReason, usage: Usage) -> bytes:
        candidate = {
            "content": {"role": "model", "parts": self._carrier.flush()},
            "finishReason": STOP_TO_FINISH_REASON.get(stop_reason, "STOP"),
            "index": 0,
        }
        body = {
            "candidates": [candidate],
            "usageMetadata": usage_metadata(usage),
            "modelVersion": self.client_model,
            "responseId": self._id,
        }
        return _frame(body)

    def _chunk(self, parts: list[dict[str, Any]]) -> bytes:
        candidate = {"content": {"role": "model", "parts": parts}, "index": 0}
        body = {
            "candidates": [candidate],
            "modelVersion": self.client_model,
            "responseId": self._id,
        }
        return _frame(body)


def _frame(body: dict[str, Any]) -> bytes:
    return b"data: " + dumps(body) + b"\r\n\r\n"
