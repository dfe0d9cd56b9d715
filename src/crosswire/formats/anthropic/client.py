"""Anthropic Messages as a :class:`~crosswire.formats.base.ClientCodec`."""

from __future__ import annotations

from typing import Any

from crosswire.canonical import GatewayError, Request, Response
from crosswire.formats.anthropic.errors import encode_error
from crosswire.formats.anthropic.request_decoder import decode_request
from crosswire.formats.anthropic.response_encoder import PING, StreamEncoder, encode_response
from crosswire.formats.base import ClientContext


class AnthropicClient:
    name = "anthropic"
    ping = PING

    def decode_request(self, body: Any, context: ClientContext) -> Request:
        return decode_request(body)

    def encode_response(self, response: Response, request: Request) -> dict[str, Any]:
        omitted = request.thinking.display == "omitted"
        return encode_response(response, request.model, thinking_omitted=omitted)

    def stream_encoder(self, request: Request) -> StreamEncoder:
        omitted = request.thinking.display == "omitted"
        return StreamEncoder(request.model, thinking_omitted=omitted)

    def encode_error(
        self, error: GatewayError, request_id: str
    ) -> tuple[int, bytes, dict[str, str]]:
        return encode_error(error, request_id)


CLIENT = AnthropicClient()
