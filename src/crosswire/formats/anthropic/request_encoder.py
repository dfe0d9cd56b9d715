"""Encode a canonical request as an Anthropic Messages body, for Anthropic-format upstreams.

Real Anthropic (``first_party``) and Anthropic-compatible servers (Moonshot, Kimi Code …) get
the same shape; :class:`EncodeOptions` says what each one accepts. Turns are built (and
repaired) by :mod:`~crosswire.formats.anthropic.turn_encoder`; this module adds the rest:

- ``max_tokens`` is always set; a thinking budget is ≥ 1024 and below it (else thinking is off);
  sampling fits thinking (no ``temperature``/``top_k``, ``top_p`` ≥ 0.95), ``temperature`` is
  clamped to [0, 1], and a forced ``tool_choice`` becomes ``auto`` while thinking;
- real Anthropic gets no thinking for a request whose open tool loop has no Anthropic thinking
  to replay (history from another upstream): it would answer 400;
- what only Anthropic understands (server tools, ``defer_loading``, ``strict``, ``metadata``,
  thinking ``display``, an Anthropic client's extra fields and billing block) goes to real
  Anthropic only; a server tool for any other upstream is a clear 400.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from crosswire.canonical import InvalidRequestError, Request, ToolChoice
from crosswire.formats.anthropic.signatures import ANTHROPIC
from crosswire.formats.anthropic.turn_encoder import encode_turns, text_block

log = logging.getLogger(__name__)

FORMAT = ANTHROPIC
DEFAULT_MAX_TOKENS = 32000
"""``max_tokens`` when neither the request nor the model config gives one."""
MIN_THINKING_BUDGET = 1024
EFFORTS = frozenset({"low", "medium", "high", "xhigh", "max"})
_EFFORT_ALIASES = {"minimal": "low"}
# effort -> budget_tokens, where a budget must stand in for an effort (no vendor defines this).
_EFFORT_TO_BUDGET = {"low": 4096, "medium": 8192, "high": 16384, "xhigh": 24576, "max": 32768}
_DEFAULT_EFFORT = "high"


@dataclass(frozen=True, slots=True)
class EncodeOptions:
    first_party: bool = False
    """The upstream is Anthropic itself: Anthropic-only blocks, tools and fields may go."""
    keep_unsigned_thinking: bool = False
    """The server wants thinking replayed even without a signature (Moonshot, Kimi Code)."""
    adaptive_thinking: bool = False
    """``thinking: adaptive`` + ``output_config.effort`` are understood; else a budget."""
    fixed_sampling: bool = False
    """The server fixes temperature/top_p/top_k and rejects other values: never send them."""
    explicit_thinking_off: bool = False
    """Send ``thinking: disabled`` when off (the server's models think by default)."""
    max_output_tokens: int | None = None
    """The model's output cap (``max_output_size``)."""
    can_think: bool = True
    """False: the model cannot think, whatever the client asks."""
    always_thinking: bool = False
    """The model always thinks: thinking is on even when the client did not ask."""


def encode_request(
    request: Request, model: str, options: EncodeOptions = EncodeOptions()
) -> dict[str, Any]:
    """The Messages body for ``request`` sent to ``model``."""
    _check_server_tools(request, options)
    max_tokens = _max_tokens(request, options)
    deferred = frozenset(t.name for t in request.tools if t.defer_loading and options.first_party)
    turns = encode_turns(
        request.messages,
        first_party=options.first_party,
        keep_unsigned_thinking=options.keep_unsigned_thinking,
        deferred_tools=deferred,
    )
    thinking = _thinking(request, options, max_tokens)
    thinking_on = thinking is not None and thinking["type"] != "disabled"
    if thinking_on and options.first_party and _tool_loop_lacks_thinking(turns):
        log.info("the open tool loop has no Anthropic thinking to replay; thinking off")
        thinking, thinking_on = None, False
    body: dict[str, Any] = {"model": model, "max_tokens": max_tokens}
    system = _system(request, options)
    if system:
        body["system"] = system
    body["messages"] = turns
    tools = _tools(request, options)
    if tools:
        body["tools"] = tools
        if request.tool_choice is not None:
            body["tool_choice"] = _tool_choice(request.tool_choice, thinking_on)
    if thinking is not None:
        body["thinking"] = thinking
    output_config = _output_config(request, options)
    if output_config:
        body["output_config"] = output_config
    _sampling(body, request, options, thinking_on)
    if request.stop:
        body["stop_sequences"] = list(request.stop)
    if options.first_party and request.user_id:
        body["metadata"] = {"user_id": request.user_id}
    if request.stream:
        body["stream"] = True
    if options.first_party and request.client_format == FORMAT:
        for key, value in request.extra.items():  # context_management, container, service_tier…
            if not key.startswith("_") and key not in body:
                body[key] = value
    return body


def _tool_loop_lacks_thinking(turns: list[dict[str, Any]]) -> bool:
    """With thinking on, Anthropic wants the assistant turn whose calls the last user turn
    answers to start with its thinking (400 otherwise); history from another upstream has
    none, so that request goes without thinking."""
    if len(turns) < 2 or turns[-2]["role"] != "assistant":
        return False
    blocks = turns[-2]["content"]
    if not any(b["type"] == "tool_use" for b in blocks):
        return False
    return blocks[0]["type"] not in ("thinking", "redacted_thinking")


def _check_server_tools(request: Request, options: EncodeOptions) -> None:
    foreign = [t for t in request.server_tools if not (options.first_party and t.origin == FORMAT)]
    if foreign:
        names = ", ".join(t.type for t in foreign)
        raise InvalidRequestError(
            f"server tools ({names}) run on the provider's side and this upstream cannot run "
            "them; remove them or route this model to a provider that has them"
        )


def _max_tokens(request: Request, options: EncodeOptions) -> int:
    cap = options.max_output_tokens
    if request.max_tokens is None:
        return cap or DEFAULT_MAX_TOKENS
    return min(request.max_tokens, cap) if cap else request.max_tokens


def _effort(request: Request) -> str | None:
    effort = request.thinking.effort
    effort = _EFFORT_ALIASES.get(effort or "", effort)
    return effort if effort in EFFORTS else None


def _thinking(request: Request, options: EncodeOptions, max_tokens: int) -> dict[str, Any] | None:
    config = request.thinking
    off = {"type": "disabled"} if options.explicit_thinking_off else None
    if not (options.always_thinking or (config.on and options.can_think)):
        return off
    out: dict[str, Any]
    if config.mode == "adaptive" and options.adaptive_thinking:
        out = {"type": "adaptive"}
    else:
        budget = config.budget_tokens or _EFFORT_TO_BUDGET[_effort(request) or _DEFAULT_EFFORT]
        budget = min(max(budget, MIN_THINKING_BUDGET), max_tokens - 1)
        if budget < MIN_THINKING_BUDGET:
            log.info("max_tokens %d leaves no room for a thinking budget; thinking off", max_tokens)
            return None if options.always_thinking else off
        out = {"type": "enabled", "budget_tokens": budget}
    if config.display is not None and options.first_party:
        out["display"] = config.display
    return out


def _output_config(request: Request, options: EncodeOptions) -> dict[str, Any]:
    out: dict[str, Any] = {}
    effort = _effort(request)
    if effort is not None and options.adaptive_thinking:
        out["effort"] = effort
    fmt = request.response_format
    if fmt is not None and fmt.get("type") == "json_schema":
        out["format"] = {"type": "json_schema", "schema": fmt.get("schema", {})}
    elif fmt is not None:
        log.info("response_format %s has no Anthropic equivalent; dropped", fmt.get("type"))
    return out


def _sampling(
    body: dict[str, Any], request: Request, options: EncodeOptions, thinking_on: bool
) -> None:
    temperature, top_p, top_k = request.temperature, request.top_p, request.top_k
    if options.fixed_sampling:
        return
    if thinking_on:
        if temperature is not None or top_k is not None:
            log.info("temperature/top_k are not allowed while thinking; dropped")
        temperature = top_k = None
        if top_p is not None:
            top_p = min(1.0, max(0.95, top_p))
    if temperature is not None:
        body["temperature"] = min(1.0, max(0.0, temperature))
        if top_p is not None and options.first_party:
            log.info("current Claude models reject temperature with top_p; top_p dropped")
            top_p = None
    if top_p is not None:
        body["top_p"] = top_p
    if top_k is not None:
        body["top_k"] = top_k


def _system(request: Request, options: EncodeOptions) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    billing = request.extra.get("_billing_header_block")
    if options.first_party and request.client_format == FORMAT and isinstance(billing, dict):
        blocks.append(billing)
    blocks += [text_block(p) for p in request.system if p.text.strip()]
    return blocks


def _tools(request: Request, options: EncodeOptions) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for tool in request.tools:
        schema = tool.input_schema
        entry: dict[str, Any] = {"name": tool.name}
        if tool.description:
            entry["description"] = tool.description
        entry["input_schema"] = schema if "type" in schema else {"type": "object", **schema}
        if tool.strict is not None and options.first_party:
            entry["strict"] = tool.strict
        if tool.defer_loading and options.first_party:
            entry["defer_loading"] = True
        if tool.cache_control:
            entry["cache_control"] = tool.cache_control
        out.append(entry)
    out += [{"type": t.type, "name": t.name, **t.config} for t in request.server_tools]
    return out


def _tool_choice(choice: ToolChoice, thinking_on: bool) -> dict[str, Any]:
    mode = choice.mode
    if thinking_on and mode in ("any", "tool"):
        log.info("tool_choice %s is rejected while thinking; sending auto instead", mode)
        mode = "auto"
    out: dict[str, Any] = {"type": mode}
    if mode == "tool":
        if not choice.name:
            raise InvalidRequestError("tool_choice.name: required when forcing one tool")
        out["name"] = choice.name
    if choice.parallel is not None and mode != "none":
        out["disable_parallel_tool_use"] = not choice.parallel
    return out
