"""What an upstream wire format must provide to be served over HTTP by :class:`HTTPBackend`."""

from __future__ import annotations

from typing import Any, Protocol

from crosswire.canonical import GatewayError, Request, Response
from crosswire.formats.base import StreamDecoder
from crosswire.routing import Target


class UpstreamAdapter(Protocol):
    format: str
    """The wire format name (``openai_chat``, ``anthropic`` …)."""

    def call(self, request: Request, target: Target) -> tuple[str, bytes, dict[str, str]]:
        """URL, body and headers (auth included) for ``request``; ``request.stream`` decides
        whether the upstream is asked to stream."""
        ...

    def decode_response(self, payload: Any, target: Target) -> Response: ...

    def stream_decoder(self, target: Target) -> StreamDecoder: ...

    def decode_error(self, status: int, body: bytes, retry_after: float | None) -> GatewayError: ...
