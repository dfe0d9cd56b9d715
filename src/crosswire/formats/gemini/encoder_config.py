"""The configuration half of a Gemini upstream body: ``tools``, ``toolConfig``,
``generationConfig`` and, for Gemini clients, the fields relayed verbatim.

- tools → one ``functionDeclarations`` entry, schemas sanitised to Gemini's subset
  (:mod:`crosswire.formats.gemini.schema`); a tool with no parameters has no ``parameters``;
  tool-level ``defer_loading`` / ``cache_control`` / ``strict`` do not exist in Gemini;
- server tools: Gemini's own come back as they were; foreign web search / web fetch / code
  execution become ``googleSearch`` / ``urlContext`` / ``codeExecution``; others are dropped
  with a log line;
- ``tool_choice``: any → ANY, tool → ANY + ``allowedFunctionNames``, none → NONE, auto → AUTO;
  Gemini has no switch for parallel calls, so that hint is dropped;
- ``thinkingConfig``: thinking on → ``includeThoughts`` (unless the client asked to omit the
  text) and ``thinkingBudget`` (the budget, an effort's budget, or -1 = dynamic), or on Gemini 3
  models ``thinkingLevel`` from the effort (never both); thinking off sends nothing (the model's
  default) unless the budget is an explicit 0;
- at most 5 stop sequences; JSON output → ``responseMimeType`` + ``responseJsonSchema``.
"""

from __future__ import annotations

import logging
from typing import Any

from crosswire.canonical import Request, ThinkingConfig
from crosswire.formats.gemini.schema import sanitize_parameters
from crosswire.formats.gemini.wire import GEMINI

log = logging.getLogger(__name__)

MAX_STOP_SEQUENCES = 5
_CHOICE_TO_MODE = {"auto": "AUTO", "any": "ANY", "tool": "ANY", "none": "NONE"}
_KIND_TO_TOOL = {
    "web_search": "googleSearch",
    "web_fetch": "urlContext",
    "code_execution": "codeExecution",
}
EFFORT_TO_LEVEL: dict[str, str] = {
    "minimal": "LOW",
    "low": "LOW",
    "medium": "MEDIUM",
    "high": "HIGH",
    "xhigh": "HIGH",
    "max": "HIGH",
}
"""Gemini 3 ``thinkingLevel`` per effort (no vendor defines this mapping)."""
EFFORT_TO_BUDGET: dict[str, int] = {
    "minimal": 1024,
    "low": 1024,
    "medium": 8192,
    "high": 24576,
    "xhigh": 32768,
    "max": 32768,
}
"""Gemini 2.5 ``thinkingBudget`` per effort (protocols.md §5.9's suggested policy)."""
BUDGET_CAPS: tuple[tuple[str, int], ...] = (("flash", 24576), ("pro", 32768))
"""Largest ``thinkingBudget`` per model family (first substring match wins)."""
_DEFAULT_BUDGET_CAP = 24576
_RELAYED_EXTRA = frozenset({"safetySettings", "cachedContent", "serviceTier", "labels"})


def apply(request: Request, model: str, body: dict[str, Any], *, vertex: bool = False) -> None:
    """Add tools, ``toolConfig``, ``generationConfig`` and relayed fields to ``body``."""
    own_client = request.client_format == GEMINI
    tools = _tools(request)
    if tools:
        body["tools"] = tools
        tool_config = request.extra.get("toolConfig") if own_client else None
        tool_config = tool_config or _tool_config(request)
        if tool_config:
            body["toolConfig"] = tool_config
    config = generation_config(request, model)
    if own_client and isinstance(request.extra.get("generationConfig"), dict):
        config.update(request.extra["generationConfig"])
    if config:
        body["generationConfig"] = config
    if own_client:
        for key in sorted(_RELAYED_EXTRA & request.extra.keys()):
            if key != "labels" or vertex:
                body[key] = request.extra[key]


def _tools(request: Request) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    declarations = [function_declaration(t) for t in request.tools]
    if declarations:
        out.append({"functionDeclarations": declarations})
    for tool in request.server_tools:
        if tool.origin == GEMINI:
            out.append({tool.type: tool.config})
        elif tool.kind in _KIND_TO_TOOL:
            out.append({_KIND_TO_TOOL[tool.kind]: {}})
        else:
            log.info("gemini: server tool %s has no Gemini equivalent; dropped", tool.type)
    return out


def function_declaration(tool: Any) -> dict[str, Any]:
    declaration: dict[str, Any] = {"name": tool.name}
    if tool.description:
        declaration["description"] = tool.description
    parameters = sanitize_parameters(tool.input_schema)
    if parameters is not None:
        declaration["parameters"] = parameters
    return declaration


def _tool_config(request: Request) -> dict[str, Any] | None:
    choice = request.tool_choice
    if choice is None or not request.tools:
        return None
    config: dict[str, Any] = {"mode": _CHOICE_TO_MODE[choice.mode]}
    if choice.mode == "tool" and choice.name:
        config["allowedFunctionNames"] = [choice.name]
    if choice.parallel is False:
        log.debug("gemini: no switch for parallel function calls; the hint is dropped")
    return {"functionCallingConfig": config}


def generation_config(request: Request, model: str) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if request.max_tokens is not None:
        config["maxOutputTokens"] = request.max_tokens
    if request.temperature is not None:
        config["temperature"] = request.temperature
    if request.top_p is not None:
        config["topP"] = request.top_p
    if request.top_k is not None:
        config["topK"] = request.top_k
    if request.stop:
        if len(request.stop) > MAX_STOP_SEQUENCES:
            log.info("gemini: %d stop sequences; sending the first 5", len(request.stop))
        config["stopSequences"] = request.stop[:MAX_STOP_SEQUENCES]
    fmt = request.response_format
    if fmt is not None and fmt.get("type") in ("json_schema", "json_object"):
        config["responseMimeType"] = "application/json"
        schema = fmt.get("schema")
        if fmt.get("type") == "json_schema" and isinstance(schema, dict):
            config["responseJsonSchema"] = {k: v for k, v in schema.items() if k != "$schema"}
    thinking = thinking_config(request.thinking, model)
    if thinking is not None:
        config["thinkingConfig"] = thinking
    return config


def thinking_config(thinking: ThinkingConfig, model: str) -> dict[str, Any] | None:
    name = model.lower()
    if not thinking.on:
        return {"thinkingBudget": 0} if thinking.budget_tokens == 0 else None
    config: dict[str, Any] = {"includeThoughts": thinking.display != "omitted"}
    budget = thinking.budget_tokens if thinking.mode == "enabled" else None
    if "gemini-3" in name:
        if thinking.effort:
            config["thinkingLevel"] = EFFORT_TO_LEVEL.get(thinking.effort, "HIGH")
        elif budget:
            config["thinkingBudget"] = budget
        return config
    if not budget and thinking.effort:
        budget = EFFORT_TO_BUDGET.get(thinking.effort)
    cap = next((c for key, c in BUDGET_CAPS if key in name), _DEFAULT_BUDGET_CAP)
    config["thinkingBudget"] = min(budget, cap) if budget else -1
    return config
