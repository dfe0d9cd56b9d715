"""Decode a Responses request's tools and ``tool_choice`` into canonical ones.

- ``function`` tools map one to one (no ``parameters`` = an empty object schema);
- ``namespace`` tools (Codex groups MCP and sub-agent tools this way) are flattened to
  ``<namespace>__<name>``; :class:`~.fields.ClientState` remembers the split so calls go back
  to the client with their ``namespace``, which Codex requires;
- free-text ``custom`` tools (Codex's ``apply_patch``) become a function with one string
  argument, ``input``, the grammar told in the description; calls go back as
  ``custom_tool_call`` items with the raw text;
- hosted tools (``web_search``, ``tool_search``, ``file_search`` …) run on OpenAI's side: they
  are kept for a Responses upstream and dropped elsewhere (Codex sends ``web_search`` on every
  request; refusing it would break every turn on any other upstream).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from crosswire.canonical import InvalidRequestError, Request, Tool, ToolChoice
from crosswire.formats.openai_responses.fields import ClientState, flat_name

log = logging.getLogger(__name__)

_TOOL_CHOICE_MODES: dict[str, Literal["auto", "none", "any"]] = {
    "auto": "auto",
    "none": "none",
    "required": "any",
}
_INPUT_PARAMETER = {
    "type": "string",
    "description": "The raw input for this tool: free text, not JSON.",
}


def decode_tools(tools: Any, request: Request, state: ClientState, path: str = "tools") -> None:
    """Append ``tools`` (a request's, or an ``additional_tools`` item's) to the request."""
    if tools is None:
        return
    if not isinstance(tools, list):
        raise InvalidRequestError(f"{path}: must be an array")
    for i, tool in enumerate(tools):
        at = f"{path}.{i}"
        if not isinstance(tool, dict):
            raise InvalidRequestError(f"{at}: must be an object")
        kind = tool.get("type")
        if kind == "namespace":
            namespace = _str(tool, "name", at)
            inner = tool.get("tools")
            if not isinstance(inner, list):
                raise InvalidRequestError(f"{at}.tools: must be an array")
            for j, member in enumerate(inner):
                _tool(member, f"{at}.tools.{j}", namespace, request, state)
        elif kind in ("function", "custom"):
            _tool(tool, at, None, request, state)
        elif isinstance(kind, str):
            # web_search, file_search, image_generation, local_shell, tool_search …: they run
            # on OpenAI's side. Only a Responses upstream gets them back; elsewhere they are
            # dropped (Codex works without them) rather than failing the request.
            log.debug("hosted tool %s: kept for a Responses upstream, dropped elsewhere", kind)
            state.hosted_tools.append(tool)
        else:
            raise InvalidRequestError(f"{at}.type: must be a string")


def _tool(
    tool: Any, path: str, namespace: str | None, request: Request, state: ClientState
) -> None:
    if not isinstance(tool, dict):
        raise InvalidRequestError(f"{path}: must be an object")
    kind = tool.get("type")
    name = _str(tool, "name", path)
    flat = flat_name(name, namespace)
    if any(t.name == flat for t in request.tools):
        log.warning("dropping a second tool named %r", flat)
        return
    if namespace:
        state.namespaces[flat] = (namespace, name)
    description = tool.get("description")
    description = description if isinstance(description, str) and description else None
    if kind == "function":
        schema = tool.get("parameters")
        if schema is None:
            schema = {"type": "object", "properties": {}}
        if not isinstance(schema, dict):
            raise InvalidRequestError(f"{path}.parameters: must be a JSON Schema object")
        strict = tool.get("strict")
        request.tools.append(
            Tool(
                name=flat,
                description=description,
                input_schema=schema,
                strict=strict if isinstance(strict, bool) else None,
                defer_loading=tool.get("defer_loading") is True,
            )
        )
    elif kind == "custom":
        state.custom_tools[flat] = tool
        request.tools.append(
            Tool(
                name=flat,
                description=_custom_description(description, tool.get("format")),
                input_schema={
                    "type": "object",
                    "properties": {"input": _INPUT_PARAMETER},
                    "required": ["input"],
                },
                defer_loading=tool.get("defer_loading") is True,
            )
        )
    else:
        raise InvalidRequestError(f"{path}.type: must be 'function' or 'custom' in a namespace")


def _custom_description(description: str | None, fmt: Any) -> str | None:
    """A free-text tool's grammar, told to models that can only call JSON functions."""
    if not isinstance(fmt, dict) or fmt.get("type") != "grammar":
        return description
    definition = fmt.get("definition")
    if not isinstance(definition, str) or not definition:
        return description
    syntax = fmt.get("syntax") if isinstance(fmt.get("syntax"), str) else "lark"
    rule = f"The `input` argument must match this {syntax} grammar:\n{definition}"
    return f"{description}\n\n{rule}" if description else rule


def decode_tool_choice(choice: Any, parallel: Any) -> ToolChoice | None:
    if parallel is not None and not isinstance(parallel, bool):
        raise InvalidRequestError("parallel_tool_calls: must be a boolean")
    if choice is None:
        return ToolChoice("auto", parallel=parallel) if parallel is not None else None
    if isinstance(choice, str):
        mode = _TOOL_CHOICE_MODES.get(choice)
        if mode is None:
            raise InvalidRequestError("tool_choice: must be auto, none, required or an object")
        return ToolChoice(mode, parallel=parallel)
    if not isinstance(choice, dict) or not isinstance(choice.get("type"), str):
        raise InvalidRequestError("tool_choice: must be auto, none, required or an object")
    kind = choice["type"]
    if kind in ("function", "custom"):
        name = _str(choice, "name", "tool_choice")
        return ToolChoice("tool", flat_name(name, choice.get("namespace")), parallel)
    if kind == "allowed_tools":
        log.info("tool_choice allowed_tools: the subset is not enforced, all tools stay available")
        return ToolChoice("any" if choice.get("mode") == "required" else "auto", parallel=parallel)
    log.info("tool_choice %s names a hosted tool; sending auto", kind)
    return ToolChoice("auto", parallel=parallel)


def _str(obj: dict[str, Any], key: str, path: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidRequestError(f"{path}.{key}: a non-empty string is required")
    return value
