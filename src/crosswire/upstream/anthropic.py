"""Anthropic Messages upstreams (provider type ``anthropic``): Anthropic itself and the
Anthropic-compatible endpoints of other vendors.

Each endpoint family is a :class:`Flavour` in :data:`FLAVOURS`, chosen by the provider's
explicit ``profile`` or else by the ``base_url`` host (:func:`flavour_for`):

============== ===================================== ============ =================== =========
flavour        base_url                              auth         unsigned thinking   betas
============== ===================================== ============ =================== =========
anthropic      https://api.anthropic.com             x-api-key    dropped (rejected)  all
moonshot       https://api.moonshot.ai/anthropic     Bearer       replayed            few
kimi_code      https://api.kimi.com/coding           x-api-key    replayed            few
anthropic_     any other host                        x-api-key    dropped             none
compatible
============== ===================================== ============ =================== =========

Moonshot documents its Anthropic endpoint with ``ANTHROPIC_AUTH_TOKEN`` (which Anthropic SDKs
and Claude Code send as ``Authorization: Bearer``); Kimi Code's docs use ``ANTHROPIC_API_KEY``
(``x-api-key``) and its endpoint admits only coding-agent User-Agents, so the client's own is
forwarded when it is one, else Claude Code's. ``custom_headers`` from config are applied last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Literal

from crosswire import jsonutil
from crosswire.canonical import GatewayError, NotFoundError, Request, Response
from crosswire.config import ProviderConfig
from crosswire.config.profiles import url_host
from crosswire.formats import anthropic
from crosswire.formats.anthropic import EncodeOptions
from crosswire.routing import Target

USER_AGENT = "crosswire/0.1"
ANTHROPIC_VERSION = "2023-06-01"
CODING_AGENT_FALLBACK_UA = "claude-cli/2.1.0 (external, cli)"
# User-Agents of coding agents (Kimi Code answers 403 to anything else).
CODING_AGENT_UA = re.compile(
    r"claude-cli|claude-code|kimi|codex|cline|roo-?code|kilo-?code|opencode|gemini-cli|"
    r"qwen-code|crush|cursor|continue|aider|zed",
    re.IGNORECASE,
)
# Betas a compatible server can take without choking; real Anthropic gets all of them.
COMPATIBLE_BETAS = frozenset({"interleaved-thinking-2025-05-14"})


@dataclass(frozen=True, slots=True)
class Flavour:
    name: str
    options: EncodeOptions
    """How requests are encoded (before the model's own limits are added)."""
    auth: Literal["x-api-key", "bearer"] = "x-api-key"
    betas: frozenset[str] | None = frozenset()
    """``anthropic-beta`` values forwarded from the client; ``None`` = all of them."""
    coding_agent_ua: bool = False
    """Send the client's User-Agent if it is a coding agent's, else Claude Code's."""
    hosts: tuple[str, ...] = ()
    """Substrings of the ``base_url`` host that select this flavour."""


FLAVOURS: dict[str, Flavour] = {
    f.name: f
    for f in (
        Flavour(
            "anthropic",
            EncodeOptions(first_party=True, adaptive_thinking=True),
            betas=None,
            hosts=("api.anthropic.com",),
        ),
        Flavour(
            "moonshot",
            EncodeOptions(
                keep_unsigned_thinking=True, fixed_sampling=True, explicit_thinking_off=True
            ),
            auth="bearer",
            betas=COMPATIBLE_BETAS,
            hosts=("moonshot.ai", "moonshot.cn"),
        ),
        Flavour(
            "kimi_code",
            EncodeOptions(
                keep_unsigned_thinking=True, fixed_sampling=True, explicit_thinking_off=True
            ),
            betas=COMPATIBLE_BETAS,
            coding_agent_ua=True,
            hosts=("kimi.com",),
        ),
        Flavour("anthropic_compatible", EncodeOptions()),
    )
}
FALLBACK_FLAVOUR = "anthropic_compatible"


def flavour_for(provider: ProviderConfig) -> Flavour:
    """The explicit ``profile`` if set, else the flavour whose host matches ``base_url``."""
    if provider.profile is not None:
        flavour = FLAVOURS.get(provider.profile)
        if flavour is None:
            known = ", ".join(sorted(FLAVOURS))
            raise NotFoundError(
                f"provider {provider.name!r}: unknown profile {provider.profile!r} for type "
                f"'anthropic' (known: {known})"
            )
        return flavour
    host = url_host(provider.base_url)
    for flavour in FLAVOURS.values():
        if any(needle in host for needle in flavour.hosts):
            return flavour
    return FLAVOURS[FALLBACK_FLAVOUR]


def messages_url(base_url: str) -> str:
    """``base_url`` + ``/v1/messages``, as the Anthropic SDK builds it (a trailing ``/v1``
    is not doubled)."""
    base = base_url.rstrip("/")
    return base + ("/messages" if base.endswith("/v1") else "/v1/messages")


def encode_options(flavour: Flavour, target: Target) -> EncodeOptions:
    """The flavour's options plus what config says about the model."""
    capabilities = target.model.capabilities
    return replace(
        flavour.options,
        max_output_tokens=target.model.max_output_size,
        can_think=not capabilities or bool({"thinking", "always_thinking"} & capabilities),
        always_thinking="always_thinking" in capabilities,
    )


def headers_for(flavour: Flavour, provider: ProviderConfig, request: Request) -> dict[str, str]:
    headers = {
        "content-type": "application/json",
        "anthropic-version": ANTHROPIC_VERSION,
        "user-agent": _user_agent(flavour, request),
    }
    if provider.api_key:
        if flavour.auth == "bearer":
            headers["authorization"] = f"Bearer {provider.api_key}"
        else:
            headers["x-api-key"] = provider.api_key
    betas = _betas(flavour, request.client_headers.get("anthropic-beta", ""))
    if betas:
        headers["anthropic-beta"] = betas
    headers.update(provider.custom_headers)
    return headers


def _user_agent(flavour: Flavour, request: Request) -> str:
    if not flavour.coding_agent_ua:
        return USER_AGENT
    client_ua = request.client_headers.get("user-agent", "")
    return client_ua if CODING_AGENT_UA.search(client_ua) else CODING_AGENT_FALLBACK_UA


def _betas(flavour: Flavour, raw: str) -> str:
    values = [v.strip() for v in raw.split(",") if v.strip()]
    if flavour.betas is not None:
        values = [v for v in values if v in flavour.betas]
    return ",".join(values)


class AnthropicAdapter:
    format = anthropic.FORMAT

    def call(self, request: Request, target: Target) -> tuple[str, bytes, dict[str, str]]:
        flavour = flavour_for(target.provider)
        body = anthropic.encode_request(
            request, target.model.model, encode_options(flavour, target)
        )
        headers = headers_for(flavour, target.provider, request)
        return messages_url(target.provider.base_url), jsonutil.dumps(body), headers

    def passthrough(self, request: Request, target: Target) -> tuple[str, dict[str, str]] | None:
        """Real Anthropic needs no translation for an Anthropic client: relay as is."""
        flavour = flavour_for(target.provider)
        if flavour.name != "anthropic":
            return None
        return messages_url(target.provider.base_url), headers_for(
            flavour, target.provider, request
        )

    def decode_response(self, payload: Any, target: Target) -> Response:
        return anthropic.decode_response(payload, target.model.model)

    def stream_decoder(self, target: Target) -> anthropic.StreamDecoder:
        return anthropic.StreamDecoder(target.model.model)

    def decode_error(self, status: int, body: bytes, retry_after: float | None) -> GatewayError:
        return anthropic.decode_error(status, body, retry_after)
