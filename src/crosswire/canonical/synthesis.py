"""Turn a whole response into the stream events that would have produced it.

Used when the client streams but the answer arrived in one piece (a non-streaming upstream,
the echo provider): the client still gets its full stream grammar.
"""

from __future__ import annotations

from crosswire.canonical.events import (
    Event,
    MessageStart,
    MessageStop,
    PartStart,
    PartStop,
    SignatureDelta,
    TextDelta,
    ThinkingDelta,
    ToolArgsDelta,
)
from crosswire.canonical.messages import (
    RedactedThinkingPart,
    TextPart,
    ThinkingPart,
    ToolCallPart,
)
from crosswire.canonical.response import Response


def events_from_response(response: Response) -> list[Event]:
    events: list[Event] = [MessageStart(response.id, response.model)]
    index = 0
    for part in response.parts:
        if isinstance(part, TextPart):
            if not part.text:
                continue
            events += [PartStart(index, TextPart("")), TextDelta(index, part.text)]
        elif isinstance(part, ThinkingPart):
            events += [
                PartStart(index, ThinkingPart("", origin=part.origin)),
                ThinkingDelta(index, part.text),
            ]
            if part.signature:
                events.append(SignatureDelta(index, part.signature, part.origin or ""))
        elif isinstance(part, ToolCallPart):
            events += [
                PartStart(index, ToolCallPart(part.id, part.name, "")),
                ToolArgsDelta(index, part.arguments),
            ]
        elif isinstance(part, RedactedThinkingPart):
            events.append(PartStart(index, part))
        else:
            continue
        events.append(PartStop(index))
        index += 1
    events.append(MessageStop(response.stop_reason, response.usage, response.stop_sequence))
    return events
