"""Decode an Anthropic-format upstream's SSE payloads into canonical stream events.

Payloads arrive JSON-decoded (``{"type": "message_start", …}``). Content blocks map to parts,
re-numbered from 0 over the parts actually emitted; server-tool blocks (``server_tool_use``,
``*_tool_result``) have no stream part and are skipped with their deltas. Parts stay
contiguous (:mod:`crosswire.canonical.events`) even if a compatible server forgets a
``content_block_stop`` or sends a late delta. Usage is ``message_start``'s merged with
``message_delta``'s cumulative counts. ``ping``, ``citations_delta`` and unknown events are
ignored; an ``error`` event becomes a :class:`StreamError`, and so does a stream that ends
without ``message_stop`` (an open tool call is then never closed, so no client runs it).
"""

from __future__ import annotations

from typing import Any

from crosswire.canonical import (
    Event,
    MessageStart,
    MessageStop,
    PartStart,
    PartStop,
    RedactedThinkingPart,
    SignatureDelta,
    StreamError,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    ToolArgsDelta,
    ToolCallPart,
    UpstreamError,
)
from crosswire.formats.anthropic import response_decoder as fields
from crosswire.formats.anthropic.signatures import ANTHROPIC
from crosswire.formats.anthropic.upstream_errors import error_from_payload


class _Open:
    """The upstream block being relayed as canonical part ``index``."""

    __slots__ = ("args_sent", "index", "kind", "pending", "signed", "upstream")

    def __init__(self, upstream: Any, index: int, kind: str, pending: str, signed: str) -> None:
        self.upstream = upstream
        self.index = index
        self.kind = kind
        self.pending = pending
        """Content the start event already carried (whole tool input from some servers)."""
        self.signed = signed
        """A signature the start event carried, sent at the end unless a delta brings one."""
        self.args_sent = False


class StreamDecoder:
    """Feed decoded SSE payloads; get canonical events. One instance per upstream stream."""

    def __init__(self, model: str = "") -> None:
        self.model = model
        """Reported in :class:`MessageStart`; the upstream's own model name is ignored."""
        self._started = False
        self._ended = False
        self._index = 0
        self._open: _Open | None = None
        self._usage: dict[str, Any] = {}
        self._stop_reason: Any = None
        self._stop_sequence: str | None = None
        self._tool_calls = False

    def feed(self, payload: Any) -> list[Event]:
        out: list[Event] = []
        if self._ended or not isinstance(payload, dict):
            return out
        kind = payload.get("type")
        if kind == "ping":
            return out
        if not self._started:
            self._start(payload if kind == "message_start" else {}, out)
        elif kind == "message_start":  # late, after a server's stray event: keep its usage
            message = payload.get("message")
            self._merge_usage(message.get("usage") if isinstance(message, dict) else None)
        if kind == "content_block_start":
            self._block_start(payload, out)
        elif kind == "content_block_delta":
            self._delta(payload, out)
        elif kind == "content_block_stop":
            if self._open is not None and self._open.upstream == payload.get("index"):
                self._close(out)
        elif kind == "message_delta":
            self._message_delta(payload)
        elif kind == "message_stop":
            self._close(out)
            self._ended = True
            usage = fields.usage(self._usage)
            reason = fields.stop_reason(self._stop_reason, self._tool_calls)
            out.append(MessageStop(reason, usage, self._stop_sequence))
        elif kind == "error":
            self._ended = True
            out.append(StreamError(error_from_payload(payload.get("error"))))
        return out

    def finish(self) -> list[Event]:
        """Call when the upstream stream ended; after ``message_stop`` there is nothing left."""
        if self._ended:
            return []
        self._ended = True
        out: list[Event] = []
        if not self._started:
            self._start({}, out)
            error = UpstreamError("upstream closed the stream before answering")
        else:
            error = UpstreamError("upstream stream ended before message_stop")
        out.append(StreamError(error))
        return out

    def _start(self, payload: dict[str, Any], out: list[Event]) -> None:
        self._started = True
        message = payload.get("message")
        message = message if isinstance(message, dict) else {}
        raw_usage = message.get("usage")
        self._merge_usage(raw_usage)
        usage = fields.usage(raw_usage) if isinstance(raw_usage, dict) else None
        out.append(MessageStart(str(message.get("id") or ""), self.model, usage))

    def _block_start(self, payload: dict[str, Any], out: list[Event]) -> None:
        self._close(out)  # a server that forgot content_block_stop
        block = payload.get("content_block")
        block = block if isinstance(block, dict) else {}
        pending = signed = ""
        part: TextPart | ThinkingPart | ToolCallPart | RedactedThinkingPart
        match block.get("type"):
            case "text":
                part, pending = TextPart(""), _str(block.get("text"))
            case "thinking":
                part, pending = ThinkingPart("", origin=ANTHROPIC), _str(block.get("thinking"))
                signed = _str(block.get("signature"))
            case "tool_use":
                self._tool_calls = True
                part = ToolCallPart(_str(block.get("id")), _str(block.get("name")), "")
                tool_input = block.get("input")
                pending = fields.arguments(tool_input) if tool_input else ""
            case "redacted_thinking":
                part = RedactedThinkingPart(_str(block.get("data")), origin=ANTHROPIC)
            case _:
                return  # server-tool traffic: no canonical stream part; its deltas are dropped
        index = self._index
        self._index += 1
        out.append(PartStart(index, part))
        self._open = _Open(payload.get("index"), index, block["type"], pending, signed)
        if isinstance(part, TextPart | ThinkingPart):
            self._emit(pending, out)

    def _delta(self, payload: dict[str, Any], out: list[Event]) -> None:
        block = self._open
        delta = payload.get("delta")
        if block is None or block.upstream != payload.get("index") or not isinstance(delta, dict):
            return  # a skipped server-tool block's delta, or a stray one
        kind = delta.get("type")
        if kind == "text_delta" and block.kind == "text":
            self._emit(_str(delta.get("text")), out)
        elif kind == "thinking_delta" and block.kind == "thinking":
            self._emit(_str(delta.get("thinking")), out)
        elif kind == "signature_delta" and block.kind == "thinking":
            block.signed = _str(delta.get("signature"))
        elif kind == "input_json_delta" and block.kind == "tool_use":
            fragment = _str(delta.get("partial_json"))
            if fragment:
                block.args_sent = True
                out.append(ToolArgsDelta(block.index, fragment))
        # citations_delta and delta types newer than this gateway: nothing canonical to say

    def _emit(self, text: str, out: list[Event]) -> None:
        block = self._open
        if block is None or not text:
            return
        if block.kind == "text":
            out.append(TextDelta(block.index, text))
        else:
            out.append(ThinkingDelta(block.index, text))

    def _close(self, out: list[Event]) -> None:
        block, self._open = self._open, None
        if block is None:
            return
        if block.kind == "tool_use" and block.pending and not block.args_sent:
            out.append(ToolArgsDelta(block.index, block.pending))  # input came whole at start
        if block.kind == "thinking" and block.signed:
            out.append(SignatureDelta(block.index, block.signed, ANTHROPIC))
        out.append(PartStop(block.index))

    def _message_delta(self, payload: dict[str, Any]) -> None:
        delta = payload.get("delta")
        if isinstance(delta, dict):
            if delta.get("stop_reason") is not None:
                self._stop_reason = delta["stop_reason"]
            sequence = delta.get("stop_sequence")
            self._stop_sequence = sequence if isinstance(sequence, str) else self._stop_sequence
        self._merge_usage(payload.get("usage"))

    def _merge_usage(self, raw: Any) -> None:
        """Counts are cumulative: later values replace earlier ones, ``null`` changes nothing."""
        if isinstance(raw, dict):
            self._usage.update({k: v for k, v in raw.items() if v is not None})


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
