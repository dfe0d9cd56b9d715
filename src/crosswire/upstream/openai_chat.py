"""OpenAI Chat Completions upstreams (provider types ``openai`` and ``kimi``): the request is
shaped by the provider's quirk profile."""

from __future__ import annotations

from typing import Any

from crosswire import jsonutil
from crosswire.canonical import GatewayError, Request, Response
from crosswire.formats import openai_chat
from crosswire.formats.openai_chat.fields import DEFAULT_REASONING_KEYS
from crosswire.providers import get_profile, prepare_chat_body
from crosswire.providers.profile import ModelTraits
from crosswire.routing import Target

USER_AGENT = "crosswire/0.1"
# Profiles with no quirks: a Chat client's body can go to them untouched.
PLAIN_PROFILES = frozenset({"openai", "openai_official"})


def reasoning_keys(target: Target) -> tuple[str, ...]:
    key = target.model.reasoning_key
    return (key, *DEFAULT_REASONING_KEYS) if key else DEFAULT_REASONING_KEYS


class OpenAIChatAdapter:
    format = openai_chat.FORMAT

    def call(self, request: Request, target: Target) -> tuple[str, bytes, dict[str, str]]:
        model = target.model
        traits = ModelTraits(
            model=model.model,
            capabilities=model.capabilities,
            max_output_size=model.max_output_size,
            reasoning_key=model.reasoning_key,
            max_tokens_field=model.max_tokens_field,
        )
        body = prepare_chat_body(request, traits, get_profile(target.provider.profile_name))
        url, headers = self._endpoint(target)
        return url, jsonutil.dumps(body), headers

    def _endpoint(self, target: Target) -> tuple[str, dict[str, str]]:
        provider = target.provider
        headers = {"content-type": "application/json", "user-agent": USER_AGENT}
        if provider.api_key:
            headers["authorization"] = f"Bearer {provider.api_key}"
        headers.update(provider.custom_headers)
        return provider.base_url.rstrip("/") + "/chat/completions", headers

    def passthrough(self, request: Request, target: Target) -> tuple[str, dict[str, str]] | None:
        """A server with no quirks needs no translation for a Chat client: relay as is."""
        if target.provider.profile_name not in PLAIN_PROFILES:
            return None
        return self._endpoint(target)

    def decode_response(self, payload: Any, target: Target) -> Response:
        return openai_chat.decode_response(payload, reasoning_keys(target))

    def stream_decoder(self, target: Target) -> openai_chat.StreamDecoder:
        return openai_chat.StreamDecoder(reasoning_keys(target))

    def decode_error(self, status: int, body: bytes, retry_after: float | None) -> GatewayError:
        return openai_chat.decode_error(status, body, retry_after)
