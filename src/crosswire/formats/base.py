"""The faces a wire format shows the rest of crosswire.

- :class:`ClientCodec`: the format as *clients* speak it to crosswire — decode their requests,
  encode answers, streams and errors for them. The server only talks to this.
- :class:`StreamDecoder`: one upstream stream in that format, read into canonical events. The
  upstream side's other pieces (request encoding, response and error decoding) are plain
  functions that :mod:`crosswire.upstream` wires to a provider's URL and key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from crosswire.canonical import Event, GatewayError, Request, Response


@dataclass(frozen=True, slots=True)
class ClientContext:
    """What the HTTP layer knows beyond the body."""

    path_model: str | None = None
    """The model named in the URL (Gemini's ``/models/{model}:generateContent``)."""
    stream: bool | None = None
    """Streaming decided by the URL (Gemini's ``:streamGenerateContent``)."""
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)


class StreamEncoder(Protocol):
    def encode(self, event: Event) -> bytes:
        """The client bytes for one canonical event (may be empty)."""
        ...


class StreamDecoder(Protocol):
    def feed(self, chunk: Any) -> list[Event]:
        """Canonical events for one decoded upstream stream payload."""
        ...

    def finish(self) -> list[Event]:
        """Call when the upstream stream ended (terminator or connection close)."""
        ...


class ClientCodec(Protocol):
    name: str
    ping: bytes
    """A keep-alive frame for quiet streams (``b""``: the format has none)."""

    def decode_request(self, body: Any, context: ClientContext) -> Request: ...

    def encode_response(self, response: Response, request: Request) -> dict[str, Any]: ...

    def stream_encoder(self, request: Request) -> StreamEncoder: ...

    def encode_error(
        self, error: GatewayError, request_id: str
    ) -> tuple[int, bytes, dict[str, str]]: ...
