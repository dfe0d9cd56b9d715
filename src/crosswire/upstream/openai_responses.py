"""OpenAI Responses upstreams (provider type ``openai_responses``): OpenAI itself and servers
that speak only ``/responses``. Requests are stateless (``store: false``); reasoning state
travels in the conversation as encrypted content."""

from __future__ import annotations

from typing import Any

from crosswire import jsonutil
from crosswire.canonical import GatewayError, Request, Response
from crosswire.formats import openai_responses
from crosswire.routing import Target

USER_AGENT = "crosswire/0.1"


class OpenAIResponsesAdapter:
    format = openai_responses.FORMAT

    def call(self, request: Request, target: Target) -> tuple[str, bytes, dict[str, str]]:
        model = target.model
        options = openai_responses.EncodeOptions(
            can_think=bool({"thinking", "always_thinking"} & model.capabilities),
            always_thinking="always_thinking" in model.capabilities,
            max_output_cap=model.max_output_size,
        )
        body = openai_responses.encode_request(request, model.model, options)
        url, headers = self.passthrough(request, target)
        return url, jsonutil.dumps(body), headers

    def passthrough(self, request: Request, target: Target) -> tuple[str, dict[str, str]]:
        """URL and headers; a Responses client's own body needs no translation."""
        provider = target.provider
        headers = {"content-type": "application/json", "user-agent": USER_AGENT}
        if request.stream:
            headers["accept"] = "text/event-stream"
        if provider.api_key:
            headers["authorization"] = f"Bearer {provider.api_key}"
        headers.update(provider.custom_headers)
        return provider.base_url.rstrip("/") + "/responses", headers

    def decode_response(self, payload: Any, target: Target) -> Response:
        return openai_responses.decode_response(payload)

    def stream_decoder(self, target: Target) -> openai_responses.StreamDecoder:
        return openai_responses.StreamDecoder()

    def decode_error(self, status: int, body: bytes, retry_after: float | None) -> GatewayError:
        return openai_responses.decode_error(status, body, retry_after)
