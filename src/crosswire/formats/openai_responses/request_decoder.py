"""Decode an OpenAI Responses request body (``POST /v1/responses``) into a canonical Request.

Accepts what Codex CLI and the ``openai`` SDK's ``client.responses`` send: ``instructions`` and
``developer`` messages (→ ``Request.system``), flat ``function`` tools, ``namespace`` tools
(flattened to ``<namespace>__<name>``), free-text ``custom`` tools (a function with one string
argument ``input``), hosted tools (``web_search`` …, kept for a Responses upstream only),
``reasoning`` (→ thinking), ``text.format`` (→ ``response_format``), ``store: false`` with
``include: ["reasoning.encrypted_content"]``. Fields with no canonical meaning
(``prompt_cache_key``, ``include``, ``metadata`` …) stay in ``Request.extra`` for a Responses
upstream. ``previous_response_id`` and ``conversation`` need server-side state: 400.
Malformed input raises :class:`InvalidRequestError` with the JSON path of the problem.
"""

from __future__ import annotations

from typing import Any

from crosswire.canonical import (
    InvalidRequestError,
    Request,
    TextPart,
    ThinkingConfig,
)
from crosswire.formats.openai_responses.fields import (
    FORMAT,
    STATE_KEY,
    ClientState,
)
from crosswire.formats.openai_responses.input_items import STATELESS, decode_input
from crosswire.formats.openai_responses.tool_decoder import decode_tool_choice, decode_tools
from crosswire.formats.readers import opt_int as _opt_int
from crosswire.formats.readers import opt_number as _opt_number

_KNOWN_FIELDS = frozenset(
    {
        "model", "input", "instructions", "max_output_tokens", "temperature", "top_p", "stream",
        "tools", "tool_choice", "parallel_tool_calls", "reasoning", "text",
    }
)  # fmt: skip
_STATEFUL_FIELDS = ("previous_response_id", "conversation")
_ECHO_FIELDS = (
    "instructions", "tools", "tool_choice", "parallel_tool_calls", "temperature", "top_p",
    "max_output_tokens", "reasoning", "text", "metadata", "store", "truncation",
    "prompt_cache_key", "service_tier", "safety_identifier", "user", "top_logprobs",
)  # fmt: skip
_SUMMARY_LEVELS = frozenset({"auto", "concise", "detailed"})


def decode_request(body: Any) -> Request:
    if not isinstance(body, dict):
        raise InvalidRequestError("request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequestError("model: a non-empty string is required")
    for key in _STATEFUL_FIELDS:
        if body.get(key) not in (None, ""):
            raise InvalidRequestError(f"{key}: {STATELESS}")

    request = Request(model=model, client_format=FORMAT)
    state = ClientState(echo={k: body[k] for k in _ECHO_FIELDS if k in body})
    instructions = body.get("instructions")
    if isinstance(instructions, str):
        if instructions:
            request.system.append(TextPart(instructions))
    elif instructions is not None:
        raise InvalidRequestError("instructions: must be a string")
    decode_input(body.get("input"), request, state)
    request.max_tokens = _opt_int(body, "max_output_tokens")
    request.temperature = _opt_number(body, "temperature")
    request.top_p = _opt_number(body, "top_p")
    request.stream = body.get("stream") is True
    decode_tools(body.get("tools"), request, state)
    request.tool_choice = decode_tool_choice(
        body.get("tool_choice"), body.get("parallel_tool_calls")
    )
    request.thinking = _thinking(body.get("reasoning"))
    request.response_format = _response_format(body.get("text"))
    for key in ("safety_identifier", "user"):
        if isinstance(body.get(key), str) and body[key]:
            request.user_id = body[key]
            break
    for key, value in body.items():
        if key not in _KNOWN_FIELDS:
            request.extra[key] = value
    request.extra[STATE_KEY] = state
    return request


def _thinking(reasoning: Any) -> ThinkingConfig:
    if reasoning is None:
        return ThinkingConfig()
    if not isinstance(reasoning, dict):
        raise InvalidRequestError("reasoning: must be an object")
    effort = reasoning.get("effort")
    if effort is not None and not isinstance(effort, str):
        raise InvalidRequestError("reasoning.effort: must be a string")
    if effort == "none":
        return ThinkingConfig(mode="off", effort="none")
    summary = reasoning.get("summary", reasoning.get("generate_summary"))
    return ThinkingConfig(
        mode="enabled",
        effort=effort,
        display="summarized" if summary in _SUMMARY_LEVELS else None,
    )


def _response_format(text: Any) -> dict[str, Any] | None:
    if text is None:
        return None
    if not isinstance(text, dict):
        raise InvalidRequestError("text: must be an object")
    fmt = text.get("format")
    if fmt is None:
        return None
    if not isinstance(fmt, dict):
        raise InvalidRequestError("text.format: must be an object")
    kind = fmt.get("type")
    if kind == "json_schema":
        schema = fmt.get("schema")
        if not isinstance(schema, dict):
            raise InvalidRequestError("text.format.schema: a JSON Schema object is required")
        return {"type": "json_schema", "schema": schema}
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "text":
        return None
    raise InvalidRequestError("text.format.type: must be text, json_object or json_schema")


def _str(obj: dict[str, Any], key: str, path: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidRequestError(f"{path}.{key}: a non-empty string is required")
    return value
