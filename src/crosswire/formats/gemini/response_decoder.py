"""Decode a non-streamed ``generateContent`` reply into a canonical :class:`Response`.

The reply runs through :class:`~crosswire.formats.gemini.stream_decoder.StreamDecoder` as a
one-chunk stream and the events are gathered back into parts, so a reply means the same thing
streamed or not. A JSON array of chunks (``streamGenerateContent`` without ``alt=sse``) is read
the same way. An error body or chunk raises the mapped gateway error.
"""

from __future__ import annotations

from typing import Any

from crosswire.canonical import (
    Event,
    MessageStart,
    MessageStop,
    PartStart,
    Response,
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
from crosswire.formats.gemini.stream_decoder import StreamDecoder


def decode_response(body: Any) -> Response:
    chunks = body if isinstance(body, list) else [body]
    if not chunks or not all(isinstance(c, dict) for c in chunks):
        raise UpstreamError("upstream returned a reply that is not a JSON object")
    decoder = StreamDecoder()
    events: list[Event] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    events += decoder.finish()
    return assemble(events)


def assemble(events: list[Event]) -> Response:
    """The response a grammatical event list describes; a ``StreamError`` is raised."""
    response = Response(id="", model="")
    parts = response.parts
    for event in events:
        match event:
            case MessageStart(message_id, model):
                response.id, response.model = message_id, model
            case PartStart(_, part):
                parts.append(part)
            case TextDelta(index, text) | ThinkingDelta(index, text):
                target = parts[index]
                if isinstance(target, TextPart | ThinkingPart):
                    target.text += text
            case SignatureDelta(index, signature, origin):
                target = parts[index]
                if isinstance(target, ThinkingPart):
                    target.signature, target.origin = signature, origin
            case ToolArgsDelta(index, fragment):
                target = parts[index]
                if isinstance(target, ToolCallPart):
                    target.arguments += fragment
            case MessageStop(stop_reason, usage, stop_sequence):
                response.stop_reason, response.usage = stop_reason, usage
                response.stop_sequence = stop_sequence
            case StreamError(error):
                raise error
    return response
