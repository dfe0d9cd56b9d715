"""OpenAI Responses as a :class:`~crosswire.formats.base.ClientCodec` (Codex CLI, the ``openai``
SDK's ``client.responses``)."""

from __future__ import annotations

from typing import Any

from crosswire.canonical import GatewayError, Request, Response
from crosswire.formats.base import ClientContext
from crosswire.formats.openai_responses.client_encoder import PING, StreamEncoder, encode_response
from crosswire.formats.openai_responses.client_errors import encode_error
from crosswire.formats.openai_responses.fields import FORMAT
from crosswire.formats.openai_responses.request_decoder import decode_request


class OpenAIResponsesClient:
    name = FORMAT
    ping = PING

    def decode_request(self, body: Any, context: ClientContext) -> Request:
        return decode_request(body)

    def encode_response(self, response: Response, request: Request) -> dict[str, Any]:
        return encode_response(response, request)

    def stream_encoder(self, request: Request) -> StreamEncoder:
        return StreamEncoder(request)

    def encode_error(
        self, error: GatewayError, request_id: str
    ) -> tuple[int, bytes, dict[str, str]]:
        return encode_error(error, request_id)


CLIENT = OpenAIResponsesClient()
