"""Stream events: the canonical form of a streamed answer.

Grammar (every decoder guarantees it, every encoder relies on it)::

    MessageStart (PartStart delta* PartStop)* MessageStop
                                        ... or StreamError anywhere after MessageStart

Parts are contiguous: a part's deltas all come between its ``PartStart`` and ``PartStop`` and
parts never interleave, so ``index`` counts parts from 0 in order. Decoders of formats that
interleave (parallel OpenAI tool calls) buffer to keep this promise.
"""

from __future__ import annotations

from dataclasses import dataclass

from crosswire.canonical.errors import GatewayError
from crosswire.canonical.messages import (
    RedactedThinkingPart,
    TextPart,
    ThinkingPart,
    ToolCallPart,
)
from crosswire.canonical.response import StopReason, Usage


@dataclass(slots=True)
class MessageStart:
    id: str
    model: str
    usage: Usage | None = None
    """Input usage when the upstream reports it up front (Anthropic does)."""


@dataclass(slots=True)
class PartStart:
    index: int
    part: TextPart | ThinkingPart | ToolCallPart | RedactedThinkingPart
    """The part with empty content (a redacted-thinking part arrives complete)."""


@dataclass(slots=True)
class TextDelta:
    index: int
    text: str


@dataclass(slots=True)
class ThinkingDelta:
    index: int
    text: str


@dataclass(slots=True)
class SignatureDelta:
    index: int
    signature: str
    origin: str


@dataclass(slots=True)
class ToolArgsDelta:
    index: int
    json: str
    """A fragment of the arguments' JSON text; fragments concatenate to the whole."""


@dataclass(slots=True)
class PartStop:
    index: int


@dataclass(slots=True)
class MessageStop:
    stop_reason: StopReason
    usage: Usage
    stop_sequence: str | None = None


@dataclass(slots=True)
class StreamError:
    error: GatewayError


Event = (
    MessageStart
    | PartStart
    | TextDelta
    | ThinkingDelta
    | SignatureDelta
    | ToolArgsDelta
    | PartStop
    | MessageStop
    | StreamError
)
