"""The configuration half of a Gemini client request: ``tools``, ``toolConfig``,
``generationConfig`` and the fields with no canonical meaning.

- ``functionDeclarations`` become tools; ``parametersJsonSchema`` is taken as is, ``parameters``
  (Gemini's OpenAPI subset) is turned into JSON Schema. ``googleSearch``, ``codeExecution``,
  ``urlContext`` and other built-in tools become :class:`ServerTool` (``origin="gemini"``): a
  Gemini upstream gets them back, other upstreams drop or reject them.
- ``functionCallingConfig``: AUTO → auto, NONE → none, ANY → any, or a named tool when
  ``allowedFunctionNames`` names exactly one; several names or VALIDATED are kept verbatim in
  ``extra["toolConfig"]`` for a Gemini upstream.
- ``thinkingConfig``: ``thinkingBudget`` 0 → off (budget 0 kept, so a Gemini upstream is told
  to stop thinking), -1 → adaptive, N → enabled with budget N; ``thinkingLevel`` → adaptive
  with an effort; ``includeThoughts`` → display ``summarized`` (else ``omitted``).
- ``responseMimeType: application/json`` (+ ``responseJsonSchema`` / ``responseSchema``) →
  ``response_format``.
- Other generation fields (penalties, seed, modalities …), ``safetySettings``,
  ``cachedContent`` and unknown fields go to ``extra`` (relayed only to Gemini upstreams).
"""

from __future__ import annotations

import logging
from typing import Any

from crosswire.canonical import (
    InvalidRequestError,
    Request,
    ServerTool,
    ThinkingConfig,
    Tool,
    ToolChoice,
)
from crosswire.formats.gemini.schema import to_json_schema
from crosswire.formats.gemini.wire import GEMINI, camel, field

log = logging.getLogger(__name__)

_DECODED_FIELDS = frozenset(
    {"contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "model"}
)
_GENERATION_FIELDS = frozenset(
    {
        "temperature", "topP", "topK", "maxOutputTokens", "stopSequences", "candidateCount",
        "responseMimeType", "responseSchema", "responseJsonSchema", "thinkingConfig",
    }
)  # fmt: skip
_SERVER_TOOL_KINDS: dict[str, str] = {
    "googleSearch": "web_search",
    "googleSearchRetrieval": "web_search",
    "urlContext": "web_fetch",
    "codeExecution": "code_execution",
}
_LEVEL_TO_EFFORT: dict[str, str] = {
    "MINIMAL": "low",
    "LOW": "low",
    "MEDIUM": "medium",
    "HIGH": "high",
    "XHIGH": "xhigh",
}


def apply(body: dict[str, Any], request: Request) -> None:
    """Read everything but ``contents`` and ``systemInstruction`` into ``request``."""
    _tools(field(body, "tools"), request)
    _tool_config(field(body, "toolConfig"), request)
    _generation_config(field(body, "generationConfig"), request)
    for key, value in body.items():
        name = camel(key)
        if name not in _DECODED_FIELDS:
            request.extra[name] = value


def _tools(tools: Any, request: Request) -> None:
    if tools is None:
        return
    if not isinstance(tools, list):
        raise InvalidRequestError("tools: must be an array")
    for i, tool in enumerate(tools):
        path = f"tools.{i}"
        if not isinstance(tool, dict):
            raise InvalidRequestError(f"{path}: must be an object")
        for key, value in tool.items():
            name = camel(key)
            if name == "functionDeclarations":
                if not isinstance(value, list):
                    raise InvalidRequestError(f"{path}.functionDeclarations: must be an array")
                for j, decl in enumerate(value):
                    request.tools.append(_declaration(decl, f"{path}.functionDeclarations.{j}"))
            else:
                request.server_tools.append(
                    ServerTool(
                        type=name,
                        name=name,
                        kind=_SERVER_TOOL_KINDS.get(name, name),
                        config=value if isinstance(value, dict) else {},
                        origin=GEMINI,
                    )
                )


def _declaration(decl: Any, path: str) -> Tool:
    if not isinstance(decl, dict):
        raise InvalidRequestError(f"{path}: must be an object")
    name = decl.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidRequestError(f"{path}.name: a non-empty string is required")
    description = decl.get("description")
    json_schema = field(decl, "parametersJsonSchema")
    parameters = decl.get("parameters")
    if json_schema is not None:
        if not isinstance(json_schema, dict):
            raise InvalidRequestError(f"{path}.parametersJsonSchema: must be an object")
        schema = dict(json_schema)
    elif parameters is not None:
        if not isinstance(parameters, dict):
            raise InvalidRequestError(f"{path}.parameters: must be a schema object")
        schema = to_json_schema(parameters)
    else:
        schema = {"type": "object", "properties": {}}
    schema.setdefault("type", "object")
    return Tool(
        name=name,
        description=description if isinstance(description, str) else None,
        input_schema=schema,
    )


def _tool_config(tool_config: Any, request: Request) -> None:
    if tool_config is None:
        return
    if not isinstance(tool_config, dict):
        raise InvalidRequestError("toolConfig: must be an object")
    config = field(tool_config, "functionCallingConfig")
    if config is None:
        request.extra["toolConfig"] = tool_config  # retrievalConfig and the like
        return
    if not isinstance(config, dict):
        raise InvalidRequestError("toolConfig.functionCallingConfig: must be an object")
    mode = str(config.get("mode") or "AUTO").upper()
    names = field(config, "allowedFunctionNames")
    if names is not None and (
        not isinstance(names, list) or not all(isinstance(n, str) for n in names)
    ):
        raise InvalidRequestError(
            "toolConfig.functionCallingConfig.allowedFunctionNames: must be an array of strings"
        )
    if mode in ("AUTO", "MODE_UNSPECIFIED"):
        request.tool_choice = ToolChoice("auto")
    elif mode == "NONE":
        request.tool_choice = ToolChoice("none")
    elif mode == "ANY" and names and len(names) == 1:
        request.tool_choice = ToolChoice("tool", name=names[0])
    elif mode == "ANY":
        request.tool_choice = ToolChoice("any")
    elif mode == "VALIDATED":
        request.tool_choice = ToolChoice("auto")
    else:
        raise InvalidRequestError(
            "toolConfig.functionCallingConfig.mode: must be AUTO, ANY, NONE or VALIDATED"
        )
    if mode == "VALIDATED" or (names and len(names) > 1):
        log.info("gemini client: functionCallingConfig %s kept only for Gemini upstreams", mode)
        request.extra["toolConfig"] = tool_config


def _generation_config(config: Any, request: Request) -> None:
    if config is None:
        return
    if not isinstance(config, dict):
        raise InvalidRequestError("generationConfig: must be an object")
    config = {camel(k): v for k, v in config.items()}
    request.temperature = _number(config, "temperature")
    request.top_p = _number(config, "topP")
    request.top_k = _int(config, "topK")
    request.max_tokens = _int(config, "maxOutputTokens")
    stop = config.get("stopSequences")
    if stop is not None:
        if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
            raise InvalidRequestError("generationConfig.stopSequences: must be an array of strings")
        request.stop = list(stop)
    candidates = _int(config, "candidateCount")
    if candidates is not None and candidates > 1:
        raise InvalidRequestError(
            "generationConfig.candidateCount: only 1 candidate is supported through crosswire"
        )
    _response_format(config, request)
    request.thinking = _thinking(config.get("thinkingConfig"))
    rest = {k: v for k, v in config.items() if k not in _GENERATION_FIELDS}
    if rest:
        request.extra.setdefault("generationConfig", {}).update(rest)


def _response_format(config: dict[str, Any], request: Request) -> None:
    mime = config.get("responseMimeType")
    if mime is None or mime == "text/plain":
        return
    if mime != "application/json":  # text/x.enum and future types: Gemini upstreams only
        kept = {k: config[k] for k in ("responseMimeType", "responseSchema") if k in config}
        request.extra.setdefault("generationConfig", {}).update(kept)
        return
    json_schema = config.get("responseJsonSchema")
    schema = config.get("responseSchema")
    if isinstance(json_schema, dict):
        request.response_format = {"type": "json_schema", "schema": json_schema}
    elif isinstance(schema, dict):
        request.response_format = {"type": "json_schema", "schema": to_json_schema(schema)}
    else:
        request.response_format = {"type": "json_object"}


def _thinking(config: Any) -> ThinkingConfig:
    thinking = ThinkingConfig()
    if config is None:
        return thinking
    if not isinstance(config, dict):
        raise InvalidRequestError("generationConfig.thinkingConfig: must be an object")
    budget = field(config, "thinkingBudget")
    level = field(config, "thinkingLevel")
    include = field(config, "includeThoughts") is True
    if isinstance(level, str) and level.upper() != "THINKING_LEVEL_UNSPECIFIED":
        effort = _LEVEL_TO_EFFORT.get(level.upper())
        if effort is None:
            raise InvalidRequestError(
                "generationConfig.thinkingConfig.thinkingLevel: must be MINIMAL, LOW, MEDIUM "
                "or HIGH"
            )
        thinking.mode, thinking.effort = "adaptive", effort
    elif budget is not None:
        if isinstance(budget, bool) or not isinstance(budget, int):
            raise InvalidRequestError(
                "generationConfig.thinkingConfig.thinkingBudget: must be an integer"
            )
        if budget == 0:
            thinking.budget_tokens = 0
        elif budget < 0:
            thinking.mode = "adaptive"
        else:
            thinking.mode, thinking.budget_tokens = "enabled", budget
    elif include:
        thinking.mode = "adaptive"
    if thinking.on:
        thinking.display = "summarized" if include else "omitted"
    return thinking


def _number(config: dict[str, Any], key: str) -> float | None:
    value = config.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequestError(f"generationConfig.{key}: must be a number")
    return float(value)


def _int(config: dict[str, Any], key: str) -> int | None:
    value = config.get(key)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRequestError(f"generationConfig.{key}: must be a non-negative integer")
    return value
