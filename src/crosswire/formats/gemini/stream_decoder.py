"""Decode Gemini ``streamGenerateContent?alt=sse`` chunks into canonical stream events.

Each chunk is a whole ``GenerateContentResponse`` with only new parts, possibly several. Thought
parts (``thought: true``) stream as thinking, text as text; a ``functionCall`` arrives whole and
becomes a complete tool-call part at once (a synthetic id, stable per response, when Gemini gave
none). A ``thoughtSignature`` — on a function call, a text part, an empty text part or a thought
part — becomes a ``SignatureDelta`` (origin ``gemini``) on the thinking part just before the part
that carried it (an empty thinking part when there was none), so the request encoder can put it
back on the same part. ``usageMetadata``: the last one with counts wins. ``{"error": …}`` chunks
become :class:`StreamError`. :mod:`crosswire.formats.gemini.response_decoder` runs whole replies
through this same decoder.
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
    SignatureDelta,
    StopReason,
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
from crosswire.formats.gemini import fields
from crosswire.formats.gemini.errors import decode_error
from crosswire.formats.gemini.wire import GEMINI, field, synthetic_call_id
from crosswire.jsonutil import dumps_str

log = logging.getLogger(__name__)


class StreamDecoder:
    """Feed decoded chunk objects; get canonical events. One instance per upstream stream."""

    def __init__(self) -> None:
        self._started = False
        self._ended = False
        self._open: str | None = None  # "text" | "thinking"
        self._signed = False
        self._index = 0
        self._id_seed = ""
        self._calls = 0
        self._visible = False
        self._finish: str | None = None
        self._finish_message: str | None = None
        self._blocked: str | None = None
        self._usage: Usage | None = None

    def feed(self, chunk: Any) -> list[Event]:
        out: list[Event] = []
        if not isinstance(chunk, dict) or self._ended:
            return out
        self._start(chunk, out)
        if "error" in chunk and not chunk.get("candidates"):
            self._ended = True
            out.append(StreamError(decode_error(200, chunk)))
            return out
        usage = fields.usage(field(chunk, "usageMetadata"))
        if usage is not None:
            self._usage = usage
        feedback = field(chunk, "promptFeedback")
        if isinstance(feedback, dict) and field(feedback, "blockReason"):
            reason = str(field(feedback, "blockReason"))
            detail = field(feedback, "blockReasonMessage")
            self._blocked = f"{reason}: {detail}" if isinstance(detail, str) else reason
        candidates = chunk.get("candidates")
        if isinstance(candidates, list) and candidates and isinstance(candidates[0], dict):
            self._candidate(candidates[0], out)
        return out

    def finish(self) -> list[Event]:
        """Call when the upstream closed the stream (Gemini streams have no terminator)."""
        if self._ended:
            return []
        self._ended = True
        if not self._started:
            return [StreamError(UpstreamError("upstream closed the stream before answering"))]
        out: list[Event] = []
        self._close(out)
        if self._finish is None and self._blocked is None:
            out.append(StreamError(UpstreamError("upstream reply ended without a finish reason")))
            return out
        reason = fields.stop_reason(self._finish, self._calls > 0)
        note = None
        if self._blocked is not None and not self._visible:
            reason = StopReason.REFUSAL
            note = f"The prompt was blocked by Gemini's safety filters ({self._blocked})."
        elif self._finish in fields.MALFORMED_CALL_REASONS:
            log.warning("gemini upstream ended with %s: %s", self._finish, self._finish_message)
            note = self._finish_message or f"The model's function call failed ({self._finish})."
        elif reason is StopReason.REFUSAL and not self._visible:
            note = f"The response was blocked by Gemini's safety filters ({self._finish})."
        if note:
            self._piece("text", note, out)
            self._close(out)
        out.append(MessageStop(reason, self._usage or Usage()))
        return out

    def _start(self, chunk: dict[str, Any], out: list[Event]) -> None:
        if self._started:
            return
        self._started = True
        response_id = str(field(chunk, "responseId") or "")
        self._id_seed = response_id or uuid.uuid4().hex
        out.append(MessageStart(response_id, str(field(chunk, "modelVersion") or "")))

    def _candidate(self, candidate: dict[str, Any], out: list[Event]) -> None:
        content = candidate.get("content")
        parts = content.get("parts") if isinstance(content, dict) else None
        for part in parts if isinstance(parts, list) else []:
            if isinstance(part, dict):
                self._part(part, out)
        finish = field(candidate, "finishReason")
        if isinstance(finish, str) and finish:
            self._finish = finish
        message = field(candidate, "finishMessage")
        if isinstance(message, str) and message:
            self._finish_message = message

    def _part(self, part: dict[str, Any], out: list[Event]) -> None:
        signature = field(part, "thoughtSignature")
        signature = signature if isinstance(signature, str) and signature else None
        text = part.get("text")
        if field(part, "thought") is True:
            if signature and self._open == "thinking" and self._signed:
                self._close(out)
            if isinstance(text, str) and text:
                self._piece("thinking", text, out)
            if signature:
                self._signature(signature, out, keep_open=True)
            return
        if signature:
            self._signature(signature, out, keep_open=False)
        if isinstance(text, str):
            if text:
                self._piece("text", text, out)
            return
        call = field(part, "functionCall")
        if isinstance(call, dict):
            self._call(call, out)
            return
        code = field(part, "executableCode")
        if isinstance(code, dict):
            language = str(code.get("language") or "").lower().replace("language_unspecified", "")
            self._piece("text", f"\n```{language}\n{code.get('code') or ''}\n```\n", out)
            return
        result = field(part, "codeExecutionResult")
        if isinstance(result, dict):
            self._piece("text", f"\n```\n{result.get('output') or ''}\n```\n", out)
            return
        log.info("gemini upstream: dropping a part with no canonical form: %s", sorted(part))

    def _signature(self, signature: str, out: list[Event], *, keep_open: bool) -> None:
        if self._open == "thinking" and not self._signed:
            out.append(SignatureDelta(self._index, signature, GEMINI))
            self._signed = True
        else:
            self._close(out)
            out.append(PartStart(self._index, ThinkingPart("", origin=GEMINI)))
            out.append(SignatureDelta(self._index, signature, GEMINI))
            self._open, self._signed = "thinking", True
        if not keep_open:
            self._close(out)

    def _call(self, call: dict[str, Any], out: list[Event]) -> None:
        name = str(call.get("name") or "")
        args = call.get("args")
        given = call.get("id")
        call_id = (
            given
            if isinstance(given, str) and given
            else synthetic_call_id(self._id_seed, self._calls, name)
        )
        self._calls += 1
        self._visible = True
        self._close(out)
        out.append(PartStart(self._index, ToolCallPart(call_id, name, "")))
        out.append(ToolArgsDelta(self._index, dumps_str(args if isinstance(args, dict) else {})))
        out.append(PartStop(self._index))
        self._index += 1

    def _piece(self, kind: str, text: str, out: list[Event]) -> None:
        if self._open != kind:
            self._close(out)
            part = TextPart("") if kind == "text" else ThinkingPart("", origin=GEMINI)
            out.append(PartStart(self._index, part))
            self._open, self._signed = kind, False
        if kind == "text":
            self._visible = True
            out.append(TextDelta(self._index, text))
        else:
            out.append(ThinkingDelta(self._index, text))

    def _close(self, out: list[Event]) -> None:
        if self._open is not None:
            out.append(PartStop(self._index))
            self._index += 1
            self._open, self._signed = None, False
