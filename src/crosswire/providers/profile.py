"""The profile type, and how a profile shapes a canonical request into an upstream body."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from crosswire.canonical import InvalidRequestError, Request, ToolChoice
from crosswire.formats.openai_chat import EncodeOptions, encode_request

log = logging.getLogger(__name__)

# (body, thinking on?, effort) -> None: writes the provider's thinking switch into the body.
ThinkingSwitch = Callable[[dict[str, Any], bool, str | None], None]
# (body, request) -> None: a last, provider-specific touch on the encoded body.
BodyHook = Callable[[dict[str, Any], Request], None]

SAMPLING_PARAMS = ("temperature", "top_p", "n", "presence_penalty", "frequency_penalty")


def no_thinking_switch(body: dict[str, Any], on: bool, effort: str | None) -> None:
    """The server has no thinking switch (the model decides, or cannot think)."""


@dataclass(frozen=True, slots=True)
class ModelTraits:
    """What the gateway knows about one upstream model (from ``[models.*]``)."""

    model: str
    capabilities: frozenset[str] = frozenset()
    max_output_size: int | None = None
    reasoning_key: str | None = None
    max_tokens_field: str | None = None

    @property
    def can_think(self) -> bool:
        return bool({"thinking", "always_thinking"} & self.capabilities)


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    max_tokens_field: str = "max_tokens"
    max_output_cap: int | None = None
    """The server's own ceiling on max tokens (NIM: 65536)."""
    max_tools: int | None = None
    fixed_sampling: bool = False
    """The server fixes temperature/top_p/penalties and rejects other values: strip them."""
    thinking_switch: ThinkingSwitch = no_thinking_switch
    forced_tool_choice_with_thinking: bool = True
    """False: ``required``/named ``tool_choice`` is rejected while thinking (downgrade to auto)."""
    omit_empty_assistant_content: bool = False
    reasoning_on_tool_calls: bool = False
    """While thinking, every assistant tool-call message must carry its reasoning field."""
    body_hooks: tuple[BodyHook, ...] = ()

    def with_options(self, **changes: Any) -> Profile:
        return replace(self, **changes)


def prepare_chat_body(request: Request, traits: ModelTraits, profile: Profile) -> dict[str, Any]:
    """The Chat Completions body for ``request`` on a model behind ``profile``."""
    thinking_on = "always_thinking" in traits.capabilities or (
        request.thinking.on and traits.can_think
    )
    request = _fit_request(request, traits, profile, thinking_on)
    options = EncodeOptions(
        max_tokens_field=traits.max_tokens_field or profile.max_tokens_field,
        reasoning_key=traits.reasoning_key or "reasoning_content",
        omit_empty_assistant_content=profile.omit_empty_assistant_content,
        reasoning_on_tool_calls=profile.reasoning_on_tool_calls and thinking_on,
    )
    body = encode_request(request, traits.model, options)
    if profile.fixed_sampling:
        for param in SAMPLING_PARAMS:
            body.pop(param, None)
    if traits.can_think:
        profile.thinking_switch(body, thinking_on, request.thinking.effort)
    for hook in profile.body_hooks:
        hook(body, request)
    return body


def _fit_request(
    request: Request, traits: ModelTraits, profile: Profile, thinking_on: bool
) -> Request:
    """Apply the limits a profile knows of, on a shallow copy of the request."""
    request = replace(request)
    caps = [c for c in (traits.max_output_size, profile.max_output_cap) if c]
    if request.max_tokens is not None and caps and request.max_tokens > min(caps):
        request.max_tokens = min(caps)
    if profile.max_tools is not None and len(request.tools) > profile.max_tools:
        request.tools = _fewer_tools(request, profile.max_tools, profile.name)
    choice = request.tool_choice
    if (
        thinking_on
        and choice is not None
        and choice.mode in ("any", "tool")
        and not profile.forced_tool_choice_with_thinking
    ):
        log.info(
            "%s: tool_choice %s is rejected while thinking; sending auto instead",
            profile.name,
            choice.mode,
        )
        request.tool_choice = ToolChoice("auto", parallel=choice.parallel)
    return request


def _fewer_tools(request: Request, limit: int, provider: str) -> list[Any]:
    """Drop deferred (lazily loaded) tools first; beyond that the request cannot be served."""
    kept = [t for t in request.tools if not t.defer_loading]
    if len(kept) > limit:
        raise InvalidRequestError(
            f"{provider} accepts at most {limit} tools; this request has {len(kept)} "
            "(disable some MCP servers or tools)"
        )
    room = limit - len(kept)
    deferred = [t for t in request.tools if t.defer_loading][:room]
    log.info("%s: sending %d of %d tools (tool limit)", provider, limit, len(request.tools))
    return kept + deferred
