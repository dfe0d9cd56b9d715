"""OpenAI Chat Completions as a :class:`~crosswire.formats.base.ClientCodec`: what Cline,
Continue, Cursor, Aider, OpenCode, Kimi Code and the ``openai`` SDK speak to crosswire."""

from __future__ import annotations

from typing import Any

from crosswire.canonical import GatewayError, Request, Response
from crosswire.formats.base import ClientContext
from crosswire.formats.openai_chat.client_encoder import PING, StreamEncoder, encode_response
from crosswire.formats.openai_chat.client_errors import encode_error
from crosswire.formats.openai_chat.request_decoder import INCLUDE_USAGE, decode_request


class OpenAIChatClient:
    name = "openai_chat"
    ping = PING

    def decode_request(self, body: Any, context: ClientContext) -> Request:
        return decode_request(body)

    def encode_response(self, response: Response, request: Request) -> dict[str, Any]:
        return encode_response(response, request.model)

    def stream_encoder(self, request: Request) -> StreamEncoder:
        return StreamEncoder(request.model, include_usage=request.extra.get(INCLUDE_USAGE) is True)

    def encode_error(
        self, error: GatewayError, request_id: str
    ) -> tuple[int, bytes, dict[str, str]]:
        return encode_error(error, request_id)


CLIENT = OpenAIChatClient()
