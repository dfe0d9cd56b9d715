"""What every client format's probe shape shares: the question (:class:`Ask`), the neutral
answer (:class:`Reply`), the probe tool and the probe image.

A format module provides a :class:`WireFormat`: it builds the request an official SDK of that
format would send, and reads the answer — JSON or SSE — back into a :class:`Reply`. The
assistant turn is kept in the format's own shape (:attr:`Reply.assistant`), so the tool round
trip sends it back exactly as a client would (thinking signatures, reasoning items included).
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from crosswire.formats.sse import SSEvent

CLIENT_KEY = "crosswire-doctor"
"""What the probes send as their API key (the in-process gateway has no gateway keys)."""
USER_AGENT = "crosswire-doctor"
TOOL_NAME = "get_weather"
TOOL_DESCRIPTION = "Get the current weather for a city."
TOOL_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string", "description": "City name"}},
    "required": ["city"],
}
TOOL_RESULT = "18 degrees Celsius and sunny"
THINKING_BUDGET = 1024
"""The smallest budget Anthropic accepts; the other formats get the same."""


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG, built by hand (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


IMAGE_PNG_BASE64 = base64.b64encode(_png(32, 32, (230, 20, 20))).decode()
"""A 32x32 solid red square."""
IMAGE_ANSWER = "red"
"""What an answer about the image must mention."""


class ProbeFailure(Exception):
    """A probe request failed; ``str()`` is the reason shown to the user."""


@dataclass(slots=True)
class Ask:
    """One probe question."""

    prompt: str
    max_tokens: int
    stream: bool = False
    tools: bool = False
    """Declare :data:`TOOL_NAME`."""
    thinking: bool = False
    """Ask for thinking, in the format's own words."""
    image: bool = False
    """Attach the red square."""


@dataclass(slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str
    """As the format sent them (JSON text or a re-encoded object)."""


@dataclass(slots=True)
class Reply:
    """An answer in neutral terms."""

    text: str = ""
    thinking: bool = False
    """Whether any thinking / reasoning came back."""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finished: bool = False
    """Whether the answer ended properly (a stream's terminal event was seen)."""
    assistant: Any = None
    """The assistant turn in the format's own shape, to send back (non-streamed answers)."""


class WireFormat(Protocol):
    name: str
    """The client format (``anthropic``, ``openai_chat``, ``openai_responses``, ``gemini``)."""
    stream_end: str
    """The terminal stream event, named in failure reasons."""

    def path(self, model: str, stream: bool) -> str:
        """The gateway path (with query) to POST to."""

    def headers(self) -> dict[str, str]:
        """The client's headers, as its SDK sends them."""

    def body(self, model: str, ask: Ask, history: Sequence[tuple[Reply, str]] = ()) -> Any:
        """The request body; ``history`` holds earlier assistant turns with the tool result
        answering each of their calls."""

    def parse(self, payload: Any) -> Reply:
        """A non-streamed answer."""

    def parse_stream(self, events: Sequence[SSEvent]) -> Reply:
        """A streamed answer; raises :class:`ProbeFailure` on an error event."""


def error_message(payload: Any) -> str:
    """The message of an error body in any of the four formats' envelopes."""
    if isinstance(payload, list) and payload:
        payload = payload[0]  # Gemini streams errors as a one-element array at times
    if isinstance(payload, dict):
        error = payload.get("error", payload)
        if isinstance(error, dict):
            message = error.get("message") or error.get("type") or error.get("status")
            if message:
                return str(message)
        elif isinstance(error, str):
            return error
    return str(payload)[:300]
