"""Decode Chat Completions stream chunks into canonical stream events.

Handles what real servers send: tool-call fragments keyed by ``index`` (or only by ``id``),
interleaved parallel calls, cumulative argument snapshots, whole arguments in one chunk,
arguments as objects, missing ids, reasoning in ``reasoning_content`` / ``reasoning`` /
``reasoning_details`` or inline ``<think>`` tags cut across chunks, usage in a trailing
``choices: []`` chunk or in ``choices[0].usage``, ``finish_reason: "stop"`` next to tool calls,
and ``{"error": …}`` frames after HTTP 200.

Tool calls are buffered until the upstream finishes and then written one after another, so
parts stay contiguous (see :mod:`crosswire.canonical.events`) however the upstream
interleaves them. Text and reasoning stream through as they arrive.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from crosswire.canonical import (
    Event,
    MessageStart,
    MessageStop,
    PartStart,
    PartStop,
    StreamError,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    ToolArgsDelta,
    ToolCallPart,
    UpstreamError,
    Usage,
)
from crosswire.formats.openai_chat import fields
from crosswire.formats.openai_chat.errors import decode_error
from crosswire.formats.openai_chat.think_tags import ThinkTagSplitter

FORMAT = "openai_chat"
log = logging.getLogger(__name__)


class _CallBuffer:
    __slots__ = ("args", "id", "length", "name")

    def __init__(self, call_id: str | None, name: str) -> None:
        self.id = call_id
        self.name = name
        self.args: list[str] = []
        self.length = 0

    def add(self, fragment: str) -> None:
        if self.length and len(fragment) >= self.length:
            so_far = "".join(self.args)
            if fragment.startswith(so_far):  # a cumulative snapshot, not a delta
                self.args = [fragment]
                self.length = len(fragment)
                return
        self.args.append(fragment)
        self.length += len(fragment)


class StreamDecoder:
    """Feed decoded chunk objects; get canonical events. One instance per upstream stream."""

    def __init__(self, reasoning_keys: tuple[str, ...] = fields.DEFAULT_REASONING_KEYS) -> None:
        self.reasoning_keys = reasoning_keys
        self._started = False
        self._open: str | None = None  # "text" | "thinking"
        self._index = 0
        self._tags = ThinkTagSplitter()
        self._calls: dict[Any, _CallBuffer] = {}
        self._last_call: Any = None
        self._finish_reason: str | None = None
        self._usage: Usage | None = None
        self._ended = False

    @property
    def finished(self) -> bool:
        """The upstream said it was done (``finish_reason`` or ``[DONE]``)."""
        return self._finish_reason is not None

    def feed(self, chunk: Any) -> list[Event]:
        out: list[Event] = []
        if not isinstance(chunk, dict):
            return out
        if isinstance(chunk.get("error"), dict):  # OpenRouter adds choices with finish "error"
            self._ended = True
            self._start(chunk, out)
            out.append(StreamError(decode_error(200, chunk)))
            return out
        self._start(chunk, out)
        usage = fields.usage(chunk.get("usage"))
        choices = chunk.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            choice = choices[0]
            usage = usage or fields.usage(choice.get("usage"))
            delta = choice.get("delta") or choice.get("message")
            if isinstance(delta, dict):
                self._delta(delta, out)
            finish = choice.get("finish_reason")
            if finish == "error":
                self._ended = True
                out.append(StreamError(UpstreamError("upstream reported an error mid-stream")))
                return out
            if isinstance(finish, str) and finish:
                self._finish_reason = finish
        if usage is not None:
            self._usage = usage
        return out

    def finish(self) -> list[Event]:
        """Call at ``[DONE]`` or when the upstream closes the stream."""
        out: list[Event] = []
        if self._ended:
            return out
        self._ended = True
        if not self._started:
            failure = UpstreamError("upstream closed the stream before answering")
            return [MessageStart("", ""), StreamError(failure)]
        for kind, text in self._tags.flush():
            self._piece(kind, text, out)
        self._close(out)
        if self._finish_reason is None:
            if self._calls:
                log.warning(
                    "upstream stream broke off; dropping %d unfinished tool calls", len(self._calls)
                )
            out.append(StreamError(UpstreamError("upstream stream ended before it finished")))
            return out
        for n, call in enumerate(self._calls.values()):
            call_id = call.id or f"call_{uuid.uuid4().hex[:20]}_{n}"
            out.append(PartStart(self._index, ToolCallPart(call_id, call.name, "")))
            out.append(ToolArgsDelta(self._index, "".join(call.args)))
            out.append(PartStop(self._index))
            self._index += 1
        reason = fields.stop_reason(self._finish_reason, bool(self._calls))
        out.append(MessageStop(reason, self._usage or Usage()))
        return out

    def _start(self, chunk: dict[str, Any], out: list[Event]) -> None:
        if not self._started:
            self._started = True
            out.append(MessageStart(str(chunk.get("id") or ""), str(chunk.get("model") or "")))

    def _delta(self, delta: dict[str, Any], out: list[Event]) -> None:
        reasoning = fields.reasoning_text(delta, self.reasoning_keys)
        if reasoning:
            self._piece("thinking", reasoning, out)
        content = delta.get("content")
        if isinstance(content, str) and content:
            for kind, text in self._tags.feed(content):
                self._piece(kind, text, out)
        refusal = delta.get("refusal")
        if isinstance(refusal, str) and refusal:
            self._piece("text", refusal, out)
        tool_calls = delta.get("tool_calls")
        if isinstance(tool_calls, list):
            for fragment in tool_calls:
                if isinstance(fragment, dict):
                    self._tool_fragment(fragment)

    def _piece(self, kind: str, text: str, out: list[Event]) -> None:
        if self._open != kind:
            self._close(out)
            part = TextPart("") if kind == "text" else ThinkingPart("", origin=FORMAT)
            out.append(PartStart(self._index, part))
            self._open = kind
        if kind == "text":
            out.append(TextDelta(self._index, text))
        else:
            out.append(ThinkingDelta(self._index, text))

    def _close(self, out: list[Event]) -> None:
        if self._open is not None:
            out.append(PartStop(self._index))
            self._index += 1
            self._open = None

    def _tool_fragment(self, fragment: dict[str, Any]) -> None:
        index = fragment.get("index")
        call_id = fragment.get("id") or None
        function = fragment.get("function") or {}
        name = function.get("name") if isinstance(function, dict) else None
        key: Any = index if isinstance(index, int) else call_id
        if key is None:  # neither index nor id: a new call if it names one, else the last call
            key = (
                self._last_call if (self._last_call is not None and not name) else len(self._calls)
            )
        call = self._calls.get(key)
        if call is not None and call_id and call.id and call_id != call.id and name:
            key = (key, call_id)  # a server reusing one index for several calls
            call = self._calls.get(key)
        if call is None:
            call = self._calls[key] = _CallBuffer(call_id, name or "")
        if call_id and not call.id:
            call.id = call_id
        if name and not call.name:
            call.name = name
        self._last_call = key
        if isinstance(function, dict):
            arguments = fields.arguments_text(function.get("arguments"))
            if arguments:
                call.add(arguments)
