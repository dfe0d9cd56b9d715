"""Shared helpers for the unit tests: fixtures, the canonical stream grammar, SSE round trips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from crosswire.canonical import (
    Event,
    MessageStart,
    MessageStop,
    PartStart,
    PartStop,
    SignatureDelta,
    StreamError,
    TextDelta,
    ThinkingDelta,
    ThinkingPart,
    ToolArgsDelta,
    ToolCallPart,
)
from crosswire.formats.sse import SSEParser

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "claude_code"
MESSAGE_FIXTURES = sorted(p.name for p in FIXTURES.glob("messages_*.json"))

_DELTAS = (TextDelta, ThinkingDelta, SignatureDelta, ToolArgsDelta)


def load_fixture(name: str) -> dict[str, Any]:
    with open(FIXTURES / name, encoding="utf-8") as f:
        return json.load(f)


def assert_grammar(events: list[Event]) -> None:
    """The canonical stream grammar (crosswire.canonical.events) holds for ``events``.

    ``MessageStart (PartStart delta* PartStop)* MessageStop``, or a ``StreamError`` anywhere
    after ``MessageStart`` (and then nothing more). Parts are contiguous and indexed 0..n.
    """
    assert events, "no events"
    assert isinstance(events[0], MessageStart), f"first event is {events[0]!r}"
    assert sum(isinstance(e, MessageStart) for e in events) == 1
    open_index: int | None = None
    next_index = 0
    for position, event in enumerate(events[1:], start=1):
        last = position == len(events) - 1
        if isinstance(event, StreamError):
            assert last, f"events after StreamError: {events[position + 1 :]!r}"
            return
        if isinstance(event, MessageStop):
            assert open_index is None, f"MessageStop with part {open_index} still open"
            assert last, f"events after MessageStop: {events[position + 1 :]!r}"
            return
        if isinstance(event, PartStart):
            assert open_index is None, f"part {event.index} starts inside part {open_index}"
            assert event.index == next_index, f"part index {event.index}, expected {next_index}"
            open_index = event.index
            next_index += 1
        elif isinstance(event, _DELTAS):
            assert open_index == event.index, f"{event!r} outside its part (open {open_index})"
        elif isinstance(event, PartStop):
            assert open_index == event.index, f"{event!r} does not close part {open_index}"
            open_index = None
        else:  # pragma: no cover - a new event type
            raise AssertionError(f"unexpected event {event!r}")
    raise AssertionError("stream has neither MessageStop nor StreamError at the end")


def collect(events: list[Event]) -> list[dict[str, Any]]:
    """The parts a grammatical event list describes, as plain dicts (kind, text/args, …)."""
    parts: list[dict[str, Any]] = []
    for event in events:
        if isinstance(event, PartStart):
            part = event.part
            if isinstance(part, ToolCallPart):
                parts.append({"kind": "tool", "id": part.id, "name": part.name, "args": ""})
            elif isinstance(part, ThinkingPart):
                parts.append({"kind": "thinking", "text": "", "origin": part.origin})
            else:
                parts.append({"kind": type(part).__name__, "text": ""})
        elif isinstance(event, TextDelta | ThinkingDelta):
            parts[event.index]["text"] += event.text
        elif isinstance(event, ToolArgsDelta):
            parts[event.index]["args"] += event.json
        elif isinstance(event, SignatureDelta):
            parts[event.index]["signature"] = event.signature
    return parts


def terminal(events: list[Event]) -> Event:
    return events[-1]


def parse_sse(data: bytes) -> list[tuple[str | None, dict[str, Any]]]:
    """(event name, decoded JSON data) for every frame in ``data``."""
    parser = SSEParser()
    frames = parser.feed(data) + parser.flush()
    return [(f.event, json.loads(f.data)) for f in frames]
