"""The built-in offline ``echo`` provider: answers with what it was sent.

It lets a newcomer try the gateway with no account and no network, and it gives tests an
upstream that needs no server. The reply repeats the last user text; when thinking is
requested it also thinks out loud, so clients can see every block type.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from crosswire.canonical import (
    ContentPart,
    Event,
    Request,
    Response,
    StopReason,
    TextDelta,
    TextPart,
    ThinkingPart,
    ToolResultPart,
    Usage,
)
from crosswire.canonical.synthesis import events_from_response
from crosswire.routing import Target
from crosswire.tokens import estimate_request_tokens, estimate_text_tokens
from crosswire.upstream.pool import UpstreamPool

FORMAT = "echo"


class EchoBackend:
    def __init__(self, pool: UpstreamPool) -> None:
        self.pool = pool

    async def complete(self, request: Request, target: Target) -> Response:
        return _answer(request)

    async def stream(self, request: Request, target: Target) -> AsyncIterator[list[Event]]:
        events = events_from_response(_answer(request))
        split: list[Event] = []
        for event in events:  # stream text word by word, like a model would
            if isinstance(event, TextDelta):
                words = event.text.split(" ")
                split += [
                    TextDelta(event.index, w + (" " if i < len(words) - 1 else ""))
                    for i, w in enumerate(words)
                ]
            else:
                split.append(event)
        yield split


def _last_user_text(request: Request) -> str:
    for message in reversed(request.messages):
        if message.role != "user":
            continue
        for part in reversed(message.parts):
            if isinstance(part, TextPart) and part.text.strip():
                return part.text
            if isinstance(part, ToolResultPart):
                return "tool result received"
    return "(nothing to echo)"


def _answer(request: Request) -> Response:
    text = _last_user_text(request)
    parts: list[ContentPart] = []
    if request.thinking.on:
        parts.append(ThinkingPart("The user wants this echoed back.", origin=FORMAT))
    parts.append(TextPart(text))
    output = estimate_text_tokens(text)
    return Response(
        id="echo_" + uuid.uuid4().hex[:20],
        model="echo",
        parts=parts,
        stop_reason=StopReason.END_TURN,
        usage=Usage(input_tokens=estimate_request_tokens(request), output_tokens=output),
    )
