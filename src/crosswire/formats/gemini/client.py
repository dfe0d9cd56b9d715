"""Gemini ``generateContent`` as a :class:`~crosswire.formats.base.ClientCodec`.

``ping`` is empty: Gemini streams have no keep-alive frame, and the google-genai SDKs read any
non-``data:`` line as the start of a raw JSON error body, so an SSE comment would break them.
"""

from __future__ import annotations

from typing import Any

from crosswire.canonical import GatewayError, Request, Response
from crosswire.formats.base import ClientContext
from crosswire.formats.gemini.client_encoder import StreamEncoder, encode_response
from crosswire.formats.gemini.client_errors import encode_error
from crosswire.formats.gemini.request_decoder import decode_request
from crosswire.formats.gemini.wire import GEMINI


def include_thoughts(request: Request) -> bool:
    """The client asked for thought parts (``thinkingConfig.includeThoughts``)."""
    return request.thinking.on and request.thinking.display == "summarized"


class GeminiClient:
    name = GEMINI
    ping = b""

    def decode_request(self, body: Any, context: ClientContext) -> Request:
        return decode_request(body, context)

    def encode_response(self, response: Response, request: Request) -> dict[str, Any]:
        return encode_response(response, request.model, include_thoughts=include_thoughts(request))

    def stream_encoder(self, request: Request) -> StreamEncoder:
        return StreamEncoder(request.model, include_thoughts=include_thoughts(request))

    def encode_error(
        self, error: GatewayError, request_id: str
    ) -> tuple[int, bytes, dict[str, str]]:
        return encode_error(error, request_id)


CLIENT = GeminiClient()
