"""Encode a canonical request as an OpenAI Responses body (upstream side), statelessly.

- ``store: false``; with thinking on, ``reasoning {effort, summary: "auto"}`` and
  ``include: ["reasoning.encrypted_content"]`` so the reasoning can be replayed next turn;
- system blocks become ``instructions``; messages become input items in order: user messages
  (``input_text`` / ``input_image`` / ``input_file``), assistant messages (``output_text``),
  ``function_call`` items (``call_id`` = the canonical id, never an item ``id``: ids need their
  paired reasoning item), ``function_call_output`` items (a string, or parts with images);
- thinking is replayed as a ``reasoning`` item only when it came from a Responses upstream and
  has its ``encrypted_content`` (with the item id when known); other thinking is dropped;
- tools are flat ``function`` tools with an explicit ``strict``; when the client spoke Responses
  too, its free-text ``custom`` tools, hosted tools and extra fields go back as it sent them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from crosswire.canonical import (
    InvalidRequestError,
    Request,
    ThinkingConfig,
    Tool,
)
from crosswire.formats.openai_responses.fields import (
    FORMAT,
    ClientState,
    client_state,
)
from crosswire.formats.openai_responses.input_encoder import encode_input

log = logging.getLogger(__name__)

MIN_OUTPUT_TOKENS = 16
"""OpenAI rejects ``max_output_tokens`` below 16 (Claude Code sends 1 to probe quota)."""
_TOOL_CHOICE = {"auto": "auto", "any": "required", "none": "none"}
_REASONING_FIELDS = frozenset({"effort", "summary", "generate_summary"})
_EFFORTS = frozenset({"minimal", "low", "medium", "high", "xhigh", "max"})
_NOT_RELAYED = frozenset(
    {"store", "include", "stream", "stream_options", "previous_response_id", "conversation",
     "background"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class EncodeOptions:
    can_think: bool = True
    """The model accepts ``reasoning`` (a Responses client's own ``reasoning`` is always sent)."""
    always_thinking: bool = False
    """The model always reasons: ask for its encrypted state even if the client did not."""
    max_output_cap: int | None = None


def encode_request(
    request: Request, model: str, options: EncodeOptions | None = None
) -> dict[str, Any]:
    options = options or EncodeOptions()
    same_format = request.client_format == FORMAT
    state = client_state(request) if same_format else ClientState()
    body: dict[str, Any] = {"model": model}
    instructions = request.system_text("\n\n")
    if instructions:
        body["instructions"] = instructions
    body["input"] = encode_input(request.messages, state)
    tools = [_tool(t, state) for t in request.tools] + _hosted_tools(request, state)
    if tools:
        body["tools"] = tools
        _tool_choice(request, state, body)
    thinking = options.always_thinking or (
        request.thinking.on and (options.can_think or same_format)
    )
    if thinking:
        body["reasoning"] = _reasoning(request.thinking, state)
        body["include"] = ["reasoning.encrypted_content"]
    elif same_format and request.thinking.effort == "none":
        body["reasoning"] = {"effort": "none"}
    if request.max_tokens is not None:
        cap = min(request.max_tokens, options.max_output_cap or request.max_tokens)
        body["max_output_tokens"] = max(MIN_OUTPUT_TOKENS, cap)
    if not thinking:  # reasoning models reject sampling parameters
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.top_p is not None:
            body["top_p"] = request.top_p
    if request.stop:
        log.debug("Responses has no stop sequences; dropping %d", len(request.stop))
    text = _text(request.response_format, state)
    if text:
        body["text"] = text
    body["store"] = False
    if request.stream:
        body["stream"] = True
    if same_format:
        for key, value in request.extra.items():
            if not key.startswith("_") and key not in _NOT_RELAYED and key not in body:
                body[key] = value
    return body


def _hosted_tools(request: Request, state: ClientState) -> list[dict[str, Any]]:
    foreign = [t.type for t in request.server_tools if t.origin != FORMAT]
    if foreign:
        raise InvalidRequestError(
            f"server tools ({', '.join(foreign)}) run on another provider's side and this "
            "Responses upstream has no equivalent; remove them or route this model elsewhere"
        )
    own = [{"type": t.type, **t.config} for t in request.server_tools]
    return own + state.hosted_tools


def _tool(tool: Tool, state: ClientState) -> dict[str, Any]:
    custom = state.custom_tools.get(tool.name)
    if custom is not None:
        return {**custom, "name": tool.name}  # the client's free-text tool, grammar and all
    out: dict[str, Any] = {"type": "function", "name": tool.name}
    if tool.description:
        out["description"] = tool.description
    out["parameters"] = tool.input_schema
    out["strict"] = tool.strict is True  # Responses otherwise defaults to strict schemas
    return out


def _tool_choice(request: Request, state: ClientState, body: dict[str, Any]) -> None:
    choice = request.tool_choice
    if choice is None:
        return
    if choice.mode == "tool":
        kind = "custom" if choice.name in state.custom_tools else "function"
        body["tool_choice"] = {"type": kind, "name": choice.name}
    else:
        body["tool_choice"] = _TOOL_CHOICE[choice.mode]
    if choice.parallel is not None:
        body["parallel_tool_calls"] = choice.parallel


def _reasoning(thinking: ThinkingConfig, state: ClientState) -> dict[str, Any]:
    """``{effort, summary}``, plus what else a Responses client put there (``context`` …)."""
    asked = state.echo.get("reasoning")
    asked = asked if isinstance(asked, dict) else {}
    reasoning = {k: v for k, v in asked.items() if k not in _REASONING_FIELDS}
    effort = _effort(thinking)
    if effort:
        reasoning["effort"] = effort
    if thinking.display != "omitted":
        summary = asked.get("summary")
        reasoning["summary"] = summary if isinstance(summary, str) else "auto"
    return reasoning


def _effort(thinking: ThinkingConfig) -> str | None:
    if thinking.effort in _EFFORTS:
        return thinking.effort
    budget = thinking.budget_tokens
    if budget is None:
        return None
    return "low" if budget <= 4096 else "medium" if budget <= 16384 else "high"


def _text(response_format: dict[str, Any] | None, state: ClientState) -> dict[str, Any]:
    asked = state.echo.get("text")
    text: dict[str, Any] = dict(asked) if isinstance(asked, dict) else {}
    text.pop("format", None)
    if response_format is None:
        return text
    if response_format.get("type") == "json_schema":
        original = asked.get("format") if isinstance(asked, dict) else None
        original = original if isinstance(original, dict) else {}
        fmt: dict[str, Any] = {"type": "json_schema", "name": original.get("name", "output")}
        fmt["schema"] = response_format.get("schema", {})
        for key in ("strict", "description"):
            if key in original:
                fmt[key] = original[key]
        text["format"] = fmt
    else:
        text["format"] = {"type": str(response_format.get("type", "text"))}
    return text
