"""Contiguous canonical parts from upstream items that may overlap: a parts manager.

Each upstream output item owns a :class:`Slot`. The first slot not yet done is live: its steps
become canonical events at once. Steps for later slots wait in their slot until every earlier
slot is done, then replay in order, so parts never interleave and indexes count up from 0 (the
promise of :mod:`crosswire.canonical.events`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crosswire.canonical import (
    Event,
    PartStart,
    PartStop,
    SignatureDelta,
    TextDelta,
    ThinkingDelta,
    ToolArgsDelta,
)

Step = tuple[str, Any]
"""(``start`` | ``text`` | ``thinking`` | ``args`` | ``sig``, value) for one part."""


@dataclass(slots=True)
class Slot:
    started: bool = False
    done: bool = False
    steps: list[Step] = field(default_factory=list)


class PartQueue:
    __slots__ = ("_slots", "index", "origin")

    def __init__(self, origin: str) -> None:
        self.origin = origin
        """The format named on ``SignatureDelta`` events."""
        self.index = 0
        """The index the next part will get."""
        self._slots: list[Slot] = []

    def add(self, slot: Slot) -> None:
        self._slots.append(slot)

    def pending(self) -> list[Slot]:
        return list(self._slots)

    def step(self, slot: Slot, step: Step, out: list[Event]) -> None:
        if step[0] == "start":
            slot.started = True
        if self._slots and self._slots[0] is slot:
            self._apply(step, out)
        else:
            slot.steps.append(step)

    def close(self, slot: Slot, out: list[Event]) -> None:
        """The slot's item is complete: stop its part (if it has one) and move on."""
        if slot.done:
            return
        if slot.started:
            self.step(slot, ("stop", None), out)
        slot.done = True
        while self._slots and self._slots[0].done:
            self._slots.pop(0)
            if self._slots:
                head = self._slots[0]
                for step in head.steps:
                    self._apply(step, out)
                head.steps = []

    def _apply(self, step: Step, out: list[Event]) -> None:
        name, value = step
        index = self.index
        if name == "start":
            out.append(PartStart(index, value))
        elif name == "text":
            out.append(TextDelta(index, value))
        elif name == "thinking":
            out.append(ThinkingDelta(index, value))
        elif name == "args":
            out.append(ToolArgsDelta(index, value))
        elif name == "sig":
            out.append(SignatureDelta(index, value, self.origin))
        else:
            out.append(PartStop(index))
            self.index += 1
