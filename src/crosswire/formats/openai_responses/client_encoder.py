"""Encode canonical answers as a Responses ``Response`` object and as its SSE event stream.

The stream is the full lifecycle the SDKs accumulate, with a strictly increasing
``sequence_number`` and every frame written ``event: <type>\\ndata: <json>\\n\\n``::

    response.created  response.in_progress
    ( output_item.added
        message:        content_part.added  output_text.delta*  output_text.done  content_part.done
        reasoning:      reasoning_summary_part.added  reasoning_summary_text.delta*
                        reasoning_summary_text.done  reasoning_summary_part.done
        function_call:  function_call_arguments.delta*  function_call_arguments.done
        custom call:    custom_tool_call_input.delta  custom_tool_call_input.done
      output_item.done )*
    response.completed | response.incomplete          # or: error, response.failed

Items are announced lazily (an empty text part makes no message). A reasoning item from a
Responses upstream whose id is not known yet is held until its part ends, so the id the client
sees when the item is added is the one it keeps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from crosswire.canonical import (
    Event,
    MessageStart,
    MessageStop,
    OpaquePart,
    PartStart,
    PartStop,
    Request,
    Response,
    SignatureDelta,
    StreamError,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    ToolArgsDelta,
    ToolCallPart,
)
from crosswire.formats.openai_responses import output_items as items
from crosswire.formats.openai_responses.client_errors import stream_error
from crosswire.formats.openai_responses.fields import (
    FORMAT,
    STOP_REASON_TO_STATUS,
    ClientState,
    client_state,
)
from crosswire.jsonutil import dumps

log = logging.getLogger(__name__)

PING = b": keep-alive\n\n"


def encode_response(
    response: Response, request: Request, *, created_at: int | None = None
) -> dict[str, Any]:
    state = client_state(request)
    rid = items.response_id(response.id)
    ids = items.ItemIds(rid)
    output: list[dict[str, Any]] = []
    for part in response.parts:
        if isinstance(part, TextPart) and part.text:
            output.append(items.message_item(ids.new("msg"), part.text))
        elif isinstance(part, ThinkingPart) and (part.text or part.signature):
            item_id = items.reasoning_id(part) or ids.new("rs")
            output.append(items.reasoning_item(item_id, part))
        elif isinstance(part, ToolCallPart):
            output.append(items.call_item(ids.new(items.call_prefix(part, state)), part, state))
        elif isinstance(part, OpaquePart) and part.origin == FORMAT:
            output.append(part.block)
        elif not isinstance(part, TextPart | ThinkingPart):
            log.debug("no Responses output item for %s", type(part).__name__)
    status, reason = STOP_REASON_TO_STATUS[response.stop_reason]
    return items.response_object(
        rid, created_at or items.now(), request.model, state,
        status=status, output=output, usage=response.usage, incomplete_reason=reason,
    )  # fmt: skip


@dataclass(slots=True)
class _Item:
    """The output item being written for the canonical part that is open."""

    part: TextPart | ThinkingPart | ToolCallPart
    item_id: str = ""
    output_index: int = -1
    chunks: list[str] = field(default_factory=list)
    held: bool = False
    """Announced only when the part ends (its id comes last)."""

    @property
    def announced(self) -> bool:
        return self.output_index >= 0


class StreamEncoder:
    """Canonical events in, Responses SSE bytes out; one instance per response stream."""

    def __init__(self, request: Request, *, created_at: int | None = None) -> None:
        self.model = request.model
        self.state: ClientState = client_state(request)
        self.created_at = created_at or items.now()
        self._sequence = 0
        self._rid = ""
        self._ids = items.ItemIds("")
        self._output: list[dict[str, Any]] = []
        self._item: _Item | None = None

    def encode(self, event: Event) -> bytes:
        match event:
            case MessageStart(upstream_id):
                self._rid = items.response_id(upstream_id)
                self._ids = items.ItemIds(self._rid)
                snapshot = self._response("in_progress")
                return self._frame("response.created", response=snapshot) + self._frame(
                    "response.in_progress", response=snapshot
                )
            case PartStart(_, part):
                return self._start(part)
            case TextDelta(_, text) | ThinkingDelta(_, text) | ToolArgsDelta(_, text):
                return self._delta(text)
            case SignatureDelta(_, signature, origin):
                if self._item is not None and isinstance(self._item.part, ThinkingPart):
                    self._item.part.signature = signature
                    self._item.part.origin = origin
                return b""
            case PartStop():
                return self._stop()
            case MessageStop(stop_reason, usage):
                status, reason = STOP_REASON_TO_STATUS[stop_reason]
                final = self._response(status, usage=usage, incomplete_reason=reason)
                kind = "response.completed" if status == "completed" else "response.incomplete"
                return self._frame(kind, response=final)
            case StreamError(error):
                self._rid = self._rid or items.response_id(None)
                fields, failure = stream_error(error)
                return self._frame("error", **fields) + self._frame(
                    "response.failed", response=self._response("failed", error=failure)
                )
        return b""

    # ---------------------------------------------------------------- parts

    def _start(self, part: object) -> bytes:
        if isinstance(part, TextPart):
            self._item = _Item(TextPart(""))
            return b""
        if isinstance(part, ThinkingPart):
            thinking = ThinkingPart("", part.signature, part.origin)
            known_id = items.reasoning_id(thinking)
            self._item = _Item(thinking, held=part.origin == FORMAT and known_id is None)
            self._item.item_id = known_id or ""
            return b""
        if isinstance(part, ToolCallPart):
            self._item = _Item(ToolCallPart(part.id, part.name, ""))
            if part.name in self.state.custom_tools:
                self._item.chunks.append(part.arguments)
                return b""  # the free text is known only once the arguments are whole
            return self._announce(self._item) + self._delta(part.arguments)
        self._item = None  # redacted thinking: nothing a Responses client can keep
        return b""

    def _delta(self, text: str) -> bytes:
        item = self._item
        if item is None or not text:
            return b""
        item.chunks.append(text)
        part = item.part
        if item.held or (isinstance(part, ToolCallPart) and part.name in self.state.custom_tools):
            return b""
        out = b"" if item.announced else self._announce(item)
        if isinstance(part, TextPart):
            return out + self._frame(
                "response.output_text.delta", **self._at(item), content_index=0, delta=text,
                logprobs=[],
            )  # fmt: skip
        if isinstance(part, ThinkingPart):
            return out + self._frame(
                "response.reasoning_summary_text.delta", **self._at(item), summary_index=0,
                delta=text,
            )  # fmt: skip
        return out + self._frame(
            "response.function_call_arguments.delta", **self._at(item), delta=text
        )

    def _announce(self, item: _Item) -> bytes:
        part = item.part
        item.output_index = len(self._output)
        if isinstance(part, TextPart):
            item.item_id = self._ids.new("msg")
            added = items.message_item(item.item_id, "", status="in_progress")
            return self._frame(
                "response.output_item.added", output_index=item.output_index, item=added
            ) + self._frame(
                "response.content_part.added", **self._at(item), content_index=0,
                part=items.output_text(""),
            )  # fmt: skip
        if isinstance(part, ThinkingPart):
            item.item_id = item.item_id or self._ids.new("rs")
            added = {"id": item.item_id, "type": "reasoning", "summary": []}
            out = self._frame(
                "response.output_item.added", output_index=item.output_index, item=added
            )
            if item.chunks:
                out += self._frame(
                    "response.reasoning_summary_part.added", **self._at(item), summary_index=0,
                    part={"type": "summary_text", "text": ""},
                )  # fmt: skip
            return out
        assert isinstance(part, ToolCallPart)
        item.item_id = self._ids.new(items.call_prefix(part, self.state))
        added = items.call_item(item.item_id, part, self.state, status="in_progress")
        return self._frame("response.output_item.added", output_index=item.output_index, item=added)

    def _stop(self) -> bytes:
        item, self._item = self._item, None
        if item is None:
            return b""
        text = "".join(item.chunks)
        part = item.part
        if isinstance(part, TextPart):
            return self._stop_text(item, text) if item.announced else b""
        if isinstance(part, ThinkingPart):
            return self._stop_reasoning(item, part, text)
        part.arguments = text or "{}"
        if part.name in self.state.custom_tools:
            return self._stop_custom(item, part)
        out = b""
        if not text:  # no-argument calls: clients parse the arguments, "" is not JSON
            out = self._frame(
                "response.function_call_arguments.delta", **self._at(item), delta="{}"
            )
        done = items.call_item(item.item_id, part, self.state)
        return out + self._frame(
            "response.function_call_arguments.done", **self._at(item), name=done["name"],
            arguments=part.arguments,
        ) + self._done(item, done)  # fmt: skip

    def _stop_text(self, item: _Item, text: str) -> bytes:
        at = {**self._at(item), "content_index": 0}
        return (
            self._frame("response.output_text.done", **at, text=text, logprobs=[])
            + self._frame("response.content_part.done", **at, part=items.output_text(text))
            + self._done(item, items.message_item(item.item_id, text))
        )

    def _stop_reasoning(self, item: _Item, part: ThinkingPart, text: str) -> bytes:
        part.text = text
        if not text and not part.signature:
            return b""
        out = b""
        if item.held:
            item.item_id = items.reasoning_id(part) or ""
            item.held = False
        if not item.announced:
            out = self._announce(item)
            if text:
                out += self._frame(
                    "response.reasoning_summary_text.delta", **self._at(item), summary_index=0,
                    delta=text,
                )  # fmt: skip
        if text:
            summary = {"type": "summary_text", "text": text}
            out += self._frame(
                "response.reasoning_summary_text.done", **self._at(item), summary_index=0, text=text
            ) + self._frame(
                "response.reasoning_summary_part.done", **self._at(item), summary_index=0,
                part=summary,
            )  # fmt: skip
        return out + self._done(item, items.reasoning_item(item.item_id, part))

    def _stop_custom(self, item: _Item, part: ToolCallPart) -> bytes:
        out = self._announce(item)
        done = items.call_item(item.item_id, part, self.state)
        return (
            out
            + self._frame(
                "response.custom_tool_call_input.delta", **self._at(item), delta=done["input"]
            )
            + self._frame(
                "response.custom_tool_call_input.done", **self._at(item), input=done["input"]
            )
            + self._done(item, done)
        )

    def _done(self, item: _Item, final: dict[str, Any]) -> bytes:
        self._output.append(final)
        return self._frame("response.output_item.done", output_index=item.output_index, item=final)

    # ---------------------------------------------------------------- frames

    def _at(self, item: _Item) -> dict[str, Any]:
        return {"item_id": item.item_id, "output_index": item.output_index}

    def _response(self, status: str, **extra: Any) -> dict[str, Any]:
        output = list(self._output) if status != "in_progress" else []
        return items.response_object(
            self._rid, self.created_at, self.model, self.state, status=status, output=output,
            **extra,
        )  # fmt: skip

    def _frame(self, kind: str, **data: Any) -> bytes:
        payload = {"type": kind, "sequence_number": self._sequence, **data}
        self._sequence += 1
        return b"event: " + kind.encode() + b"\ndata: " + dumps(payload) + b"\n\n"
