"""Encode canonical answers for Chat Completions clients: a ``chat.completion`` body or the
``chat.completion.chunk`` stream the ``openai`` SDK accumulates::

    {delta: {role: "assistant", content: ""}}          first chunk
    {delta: {content | reasoning_content | tool_calls}}*
    {delta: {}, finish_reason}                          then, if include_usage was asked:
    {choices: [], usage}                                then  data: [DONE]
                                                        ... or  data: {"error": …}  and the end

Every chunk carries the same ``id``, ``created`` and ``model`` (the name the client asked for).
Thinking goes out as ``reasoning_content``. Thinking with opaque state from another format
(an Anthropic signature, Gemini's thought signature) also goes out sealed
(:func:`crosswire.formats.opaque.seal`) in an OpenRouter-style ``reasoning_details`` entry, so a
client that echoes ``reasoning_details`` back gives the origin its state again.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from crosswire.canonical import (
    Event,
    MessageStart,
    MessageStop,
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
from crosswire.formats.opaque import seal
from crosswire.formats.openai_chat.client_errors import encode_stream_error
from crosswire.jsonutil import dumps

FORMAT = "openai_chat"
PING = b": ping\n\n"
DONE = b"data: [DONE]\n\n"
DETAILS_FORMAT = "crosswire-v1"

_FINISH_REASON: dict[StopReason, str] = {
    StopReason.END_TURN: "stop",
    StopReason.STOP_SEQUENCE: "stop",
    StopReason.PAUSE_TURN: "stop",
    StopReason.TOOL_USE: "stop",  # "tool_calls" only when tool calls were actually sent
    StopReason.MAX_TOKENS: "length",
    StopReason.CONTEXT_WINDOW_EXCEEDED: "length",
    StopReason.REFUSAL: "content_filter",
}


def completion_id(upstream_id: str | None) -> str:
    if upstream_id and upstream_id.startswith("chatcmpl-"):
        return upstream_id
    return "chatcmpl-" + uuid.uuid4().hex[:24]


def finish_reason(stop_reason: StopReason, has_tool_calls: bool) -> str:
    """Derived from content first: tool calls present means ``tool_calls``."""
    return "tool_calls" if has_tool_calls else _FINISH_REASON.get(stop_reason, "stop")


def usage_body(usage: Usage) -> dict[str, Any]:
    prompt_details: dict[str, int] = {"cached_tokens": usage.cache_read_tokens}
    if usage.cache_write_tokens:
        prompt_details["cache_write_tokens"] = usage.cache_write_tokens
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": prompt_details,
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens or 0},
    }


def sealed_detail(part: ThinkingPart, index: int) -> dict[str, Any] | None:
    """A ``reasoning_details`` entry carrying ``part``'s foreign opaque state, if it has any."""
    if not part.signature or part.origin == FORMAT:
        return None
    token = seal(part, native=FORMAT, include_text=True)
    return {
        "type": "reasoning.text",
        "text": "",
        "signature": token,
        "format": DETAILS_FORMAT,
        "index": index,
    }


def encode_response(response: Response, client_model: str) -> dict[str, Any]:
    texts: list[str] = []
    reasoning: list[str] = []
    details: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    thinking = False
    for part in response.parts:
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, ThinkingPart):
            thinking = True
            reasoning.append(part.text)
            detail = sealed_detail(part, len(details))
            if detail is not None:
                details.append(detail)
        elif isinstance(part, ToolCallPart):
            function = {"name": part.name, "arguments": part.arguments or "{}"}
            calls.append({"id": part.id, "type": "function", "function": function})
        # redacted thinking and opaque blocks have no Chat Completions form: dropped
    text = "".join(texts)
    message: dict[str, Any] = {
        "role": "assistant",
        "content": text if text or not calls else None,
        "refusal": None,
    }
    if thinking:
        message["reasoning_content"] = "".join(reasoning)
    if details:
        message["reasoning_details"] = details
    if calls:
        message["tool_calls"] = calls
    choice = {
        "index": 0,
        "message": message,
        "logprobs": None,
        "finish_reason": finish_reason(response.stop_reason, bool(calls)),
    }
    return {
        "id": completion_id(response.id),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": client_model,
        "choices": [choice],
        "usage": usage_body(response.usage),
    }


class StreamEncoder:
    """Canonical events in, ``data: {chunk}`` frames out; one instance per response stream."""

    def __init__(self, client_model: str, *, include_usage: bool = False) -> None:
        self.client_model = client_model
        self.include_usage = include_usage
        self._id = ""
        self._created = 0
        self._tool_calls = 0  # tool calls started so far; the open one is number _tool_calls - 1
        self._tool_open = False
        self._tool_args = False
        self._thinking: ThinkingPart | None = None
        self._thinking_text: list[str] = []
        self._details = 0

    def encode(self, event: Event) -> bytes:
        match event:
            case MessageStart(message_id):
                return self._start(message_id)
            case TextDelta(_, text):
                return self._chunk({"content": text}) if text else b""
            case ThinkingDelta(_, text):
                self._thinking_text.append(text)
                return self._chunk({"reasoning_content": text}) if text else b""
            case SignatureDelta(_, signature, origin):
                if self._thinking is not None:
                    self._thinking.signature = signature
                    self._thinking.origin = origin
                return b""
            case ToolArgsDelta(_, fragment):
                if not fragment or not self._tool_open:
                    return b""
                self._tool_args = True
                return self._tool_chunk({"function": {"arguments": fragment}})
            case PartStart(_, part):
                return self._part_start(part)
            case PartStop():
                return self._part_stop()
            case MessageStop(stop_reason, usage):
                return self._stop(stop_reason, usage)
            case StreamError(error):
                return encode_stream_error(error)
        return b""

    def _start(self, upstream_id: str | None) -> bytes:
        if self._id:
            return b""
        self._id = completion_id(upstream_id)
        self._created = int(time.time())
        return self._chunk({"role": "assistant", "content": ""})

    def _part_start(self, part: object) -> bytes:
        if isinstance(part, ThinkingPart):
            self._thinking = ThinkingPart("", part.signature, part.origin)
            self._thinking_text = []
        elif isinstance(part, ToolCallPart):
            self._tool_calls += 1
            self._tool_open = True
            self._tool_args = bool(part.arguments)
            function = {"name": part.name, "arguments": part.arguments}
            return self._tool_chunk({"id": part.id, "type": "function", "function": function})
        return b""

    def _part_stop(self) -> bytes:
        out = b""
        if self._tool_open and not self._tool_args:  # a call with no arguments: say "{}"
            out = self._tool_chunk({"function": {"arguments": "{}"}})
        elif self._thinking is not None:
            self._thinking.text = "".join(self._thinking_text)
            detail = sealed_detail(self._thinking, self._details)
            if detail is not None:
                self._details += 1
                out = self._chunk({"reasoning_details": [detail]})
        self._tool_open = False
        self._thinking = None
        return out

    def _stop(self, stop_reason: StopReason, usage: Usage) -> bytes:
        finish = finish_reason(stop_reason, self._tool_calls > 0)
        out = self._chunk({}, finish)
        if self.include_usage:
            out += self._frame({"choices": [], "usage": usage_body(usage)})
        return out + DONE

    def _tool_chunk(self, call: dict[str, Any]) -> bytes:
        return self._chunk({"tool_calls": [{"index": self._tool_calls - 1, **call}]})

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return self._frame({"choices": [choice]})

    def _frame(self, fields: dict[str, Any]) -> bytes:
        if not self._id:  # content before MessageStart: keep the chunk grammar anyway
            return self._start(None) + self._frame(fields)
        chunk = {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self.client_model,
            **fields,
        }
        return b"data: " + dumps(chunk) + b"\n\n"
