"""Decode a Responses event stream (upstream side) into canonical stream events.

Each output item becomes at most one part: a message → text, a reasoning item → thinking, a
function call or custom tool call → a tool call. Deltas are keyed by ``item_id`` (falling back
to ``output_index``), never by ``call_id``. Items stream through live one at a time, in the
order they were added; an item whose events arrive while an earlier one is still open is
buffered and written once the earlier one is done, so parts stay contiguous however the
upstream interleaves them.

A thinking part starts with a state holding only the item id (``"<id>\\n"``, see
:mod:`.fields`) so a Responses client sees the same item id from first delta to last; the
``encrypted_content`` arrives with ``output_item.done`` and goes out as a ``SignatureDelta``
just before the part's ``PartStop``. ``response.completed`` / ``response.incomplete`` end the
message (usage and stop reason from the response); ``response.failed`` and ``error`` events,
flat or nested, end it with a ``StreamError``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from crosswire.canonical import (
    Event,
    MessageStart,
    MessageStop,
    PartStop,
    StreamError,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    UpstreamError,
    Usage,
)
from crosswire.canonical.synthesis import events_from_response
from crosswire.formats.openai_responses import response_decoder as whole
from crosswire.formats.openai_responses.errors import stream_error
from crosswire.formats.openai_responses.fields import (
    FORMAT,
    TOOL_CALL_ITEMS,
    flat_name,
    join_state,
    stop_reason,
    usage_from_wire,
)
from crosswire.formats.openai_responses.part_queue import PartQueue, Slot, Step
from crosswire.jsonutil import dumps_str

log = logging.getLogger(__name__)

_TEXT_DELTAS = frozenset({"response.output_text.delta", "response.refusal.delta"})
_THINKING_DELTAS = {
    "response.reasoning_summary_text.delta": "summary_index",
    "response.reasoning_text.delta": "content_index",
}
_TERMINAL = frozenset({"response.completed", "response.incomplete"})


@dataclass(slots=True)
class _Item:
    kind: str
    item_id: str
    data: dict[str, Any]
    """The item as last announced (``output_item.added``, then ``.done``)."""
    slot: Slot = field(default_factory=Slot)
    chunks: list[str] = field(default_factory=list)
    source: str | None = None
    """Which reasoning stream feeds a thinking part (summary or raw text): the first one seen."""
    section: int = 0


class StreamDecoder:
    """Feed decoded event payloads; get canonical events. One instance per upstream stream."""

    def __init__(self) -> None:
        self._started = False
        self._ended = False
        self._parts = PartQueue(FORMAT)
        self._order: list[_Item] = []
        self._items: dict[Any, _Item] = {}
        self._seen_items = False
        self._has_calls = False

    def feed(self, payload: Any) -> list[Event]:
        out: list[Event] = []
        if self._ended or not isinstance(payload, dict):
            return out
        kind = payload.get("type")
        if not self._started:
            self._started = True
            response = payload.get("response")
            response = response if isinstance(response, dict) else {}
            out.append(
                MessageStart(str(response.get("id") or ""), str(response.get("model") or ""))
            )
        if kind in ("error", "response.failed"):
            self._ended = True
            out.append(StreamError(stream_error(payload)))
        elif kind in _TERMINAL:
            self._terminal(payload, out)
        elif kind == "response.output_item.added":
            self._added(payload, out)
        elif kind == "response.output_item.done":
            self._done(payload, out)
        elif kind in _TEXT_DELTAS:
            self._text(payload, out)
        elif kind in _THINKING_DELTAS:
            self._thinking(payload, _THINKING_DELTAS[kind], out)
        elif kind in (
            "response.function_call_arguments.delta",
            "response.custom_tool_call_input.delta",
        ):
            self._args(payload, out)
        return out

    def finish(self) -> list[Event]:
        """Call when the upstream closed the stream."""
        if self._ended:
            return []
        self._ended = True
        if not self._started:
            return [StreamError(UpstreamError("upstream closed the stream before answering"))]
        return [StreamError(UpstreamError("upstream stream ended before response.completed"))]

    # ---------------------------------------------------------------- items

    def _item(self, payload: dict[str, Any], kind: str) -> _Item:
        """The item an event is about, announced now if the upstream skipped ``.added``."""
        item_id = payload.get("item_id")
        item = self._items.get(item_id) if item_id else None
        if item is None:
            item = self._items.get(payload.get("output_index"))
        if item is None:
            item = self._register({"type": kind, "id": item_id}, payload.get("output_index"))
        return item

    def _register(self, data: dict[str, Any], output_index: Any) -> _Item:
        self._seen_items = True
        kind = str(data.get("type") or "")
        index = output_index if isinstance(output_index, int) else -len(self._order) - 1
        item = _Item(kind, str(data.get("id") or ""), data)
        if kind in TOOL_CALL_ITEMS:
            self._has_calls = True
        if item.item_id:
            self._items[item.item_id] = item
        self._items[index] = item
        self._order.append(item)
        self._parts.add(item.slot)
        return item

    def _added(self, payload: dict[str, Any], out: list[Event]) -> None:
        data = payload.get("item")
        if not isinstance(data, dict):
            return
        item = self._register(data, payload.get("output_index"))
        if item.kind == "function_call" and data.get("call_id") and data.get("name"):
            self._step(item, ("start", self._call(data)), out)

    def _text(self, payload: dict[str, Any], out: list[Event]) -> None:
        delta = payload.get("delta")
        if isinstance(delta, str) and delta:
            item = self._item(payload, "message")
            if not item.slot.started:
                self._step(item, ("start", TextPart("")), out)
            self._step(item, ("text", delta), out)

    def _thinking(self, payload: dict[str, Any], section_key: str, out: list[Event]) -> None:
        delta = payload.get("delta")
        if not isinstance(delta, str) or not delta:
            return
        item = self._item(payload, "reasoning")
        source = str(payload.get("type"))
        if item.source is None:
            item.source = source
        elif item.source != source:
            return  # a server sending summary and raw text: keep to the first
        section = payload.get(section_key)
        section = section if isinstance(section, int) else 0
        if not item.slot.started:
            part = ThinkingPart("", join_state(item.item_id, ""), FORMAT)
            self._step(item, ("start", part), out)
        elif section != item.section:
            self._step(item, ("thinking", "\n\n"), out)
        item.section = section
        self._step(item, ("thinking", delta), out)

    def _args(self, payload: dict[str, Any], out: list[Event]) -> None:
        delta = payload.get("delta")
        if not isinstance(delta, str) or not delta:
            return
        item = self._item(payload, "function_call")
        item.chunks.append(delta)
        if item.slot.started and item.kind == "function_call":
            self._step(item, ("args", delta), out)

    def _done(self, payload: dict[str, Any], out: list[Event]) -> None:
        data = payload.get("item")
        if not isinstance(data, dict):
            return
        item = self._items.get(data.get("id")) or self._items.get(payload.get("output_index"))
        if item is None:
            item = self._register(data, payload.get("output_index"))
        item.data = {**item.data, **data}
        self._finish_item(item, out)

    def _finish_item(self, item: _Item, out: list[Event]) -> None:
        if item.slot.done:
            return
        data = item.data
        if item.kind == "message":
            text = whole.message_text(data)
            if not item.slot.started and text:
                self._step(item, ("start", TextPart("")), out)
                self._step(item, ("text", text), out)
        elif item.kind == "reasoning":
            self._finish_reasoning(item, out)
        elif item.kind in TOOL_CALL_ITEMS:
            self._finish_call(item, out)
        else:
            log.debug("a Responses %s item has no canonical stream part", item.kind)
        self._parts.close(item.slot, out)

    def _finish_reasoning(self, item: _Item, out: list[Event]) -> None:
        data = item.data
        item.item_id = item.item_id or str(data.get("id") or "")
        encrypted = data.get("encrypted_content")
        encrypted = encrypted if isinstance(encrypted, str) else ""
        if not item.slot.started:
            text = whole.reasoning_text(data)
            if not text and not encrypted:
                return
            self._step(item, ("start", ThinkingPart("", join_state(item.item_id, ""), FORMAT)), out)
            if text:
                self._step(item, ("thinking", text), out)
        if encrypted:
            self._step(item, ("sig", join_state(item.item_id, encrypted)), out)

    def _finish_call(self, item: _Item, out: list[Event]) -> None:
        data = item.data
        if item.kind == "custom_tool_call":
            text = data.get("input")
            text = text if isinstance(text, str) else "".join(item.chunks)
            self._step(item, ("start", self._call(data)), out)
            self._step(item, ("args", dumps_str({"input": text})), out)
            return
        arguments = data.get("arguments")
        if not item.slot.started:  # the call's id or name came only now: nothing was written yet
            self._step(item, ("start", self._call(data)), out)
            if item.chunks:
                arguments = "".join(item.chunks)
        elif item.chunks:
            return
        if isinstance(arguments, str) and arguments:  # a server that sent them only whole
            self._step(item, ("args", arguments), out)

    def _step(self, item: _Item, step: Step, out: list[Event]) -> None:
        self._parts.step(item.slot, step, out)

    def _call(self, data: dict[str, Any]) -> ToolCallPart:
        name = flat_name(str(data.get("name") or ""), data.get("namespace"))
        return ToolCallPart(whole.call_id(data), name, "")

    def _terminal(self, payload: dict[str, Any], out: list[Event]) -> None:
        self._ended = True
        response = payload.get("response")
        response = response if isinstance(response, dict) else {}
        output = response.get("output")
        if not self._seen_items and isinstance(output, list) and output:
            # A server that sent no item events: the final response has everything.
            synthesized = events_from_response(whole.decode_response(response))
            out.extend(e for e in synthesized if not isinstance(e, MessageStart | MessageStop))
            self._parts.index = sum(isinstance(e, PartStop) for e in synthesized)
            self._has_calls = any(
                isinstance(i, dict) and i.get("type") in TOOL_CALL_ITEMS for i in output
            )
        for item in self._order:
            self._finish_item(item, out)
        reason = stop_reason(
            response.get("status"), response.get("incomplete_details"), self._has_calls
        )
        out.append(MessageStop(reason, usage_from_wire(response.get("usage")) or Usage()))
