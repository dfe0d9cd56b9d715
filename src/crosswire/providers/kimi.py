"""Moonshot Kimi (K2.5 / K2.6 / K3) on its OpenAI-format endpoint."""

from __future__ import annotations

from typing import Any

from crosswire.canonical import Request
from crosswire.providers.profile import Profile

_EFFORT_TO_KIMI = {"low": "low", "medium": "high", "high": "high", "xhigh": "max", "max": "max"}


def kimi_thinking_switch(body: dict[str, Any], on: bool, effort: str | None) -> None:
    """Top-level ``thinking: {type}``; K3 takes ``reasoning_effort`` instead."""
    if body["model"].startswith("kimi-k3"):
        if on:
            body["reasoning_effort"] = _EFFORT_TO_KIMI.get(effort or "high", "high")
        return
    body["thinking"] = {"type": "enabled" if on else "disabled"}


def typed_properties(body: dict[str, Any], request: Request) -> None:
    """Kimi answers 400 for a schema property without ``type``: infer one."""
    for tool in body.get("tools", ()):
        parameters = tool["function"].get("parameters")
        if isinstance(parameters, dict):
            tool["function"]["parameters"] = _typed(parameters)


def _typed(schema: dict[str, Any]) -> dict[str, Any]:
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return schema
    fixed = {}
    for name, prop in properties.items():
        if isinstance(prop, dict):
            prop = _typed(prop)
            if "items" in prop and isinstance(prop["items"], dict):
                prop = {**prop, "items": _typed(prop["items"])}
            if not any(k in prop for k in ("type", "anyOf", "oneOf", "allOf", "$ref")):
                prop = {**prop, "type": _infer_type(prop)}
        fixed[name] = prop
    return {**schema, "properties": fixed}


def _infer_type(prop: dict[str, Any]) -> str:
    if "properties" in prop:
        return "object"
    if "items" in prop:
        return "array"
    values = prop.get("enum") or ([prop["const"]] if "const" in prop else [])
    if values and all(isinstance(v, bool) for v in values):
        return "boolean"
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "number"
    return "string"


KIMI = Profile(
    name="kimi",
    max_tools=128,
    fixed_sampling=True,
    thinking_switch=kimi_thinking_switch,
    forced_tool_choice_with_thinking=False,
    omit_empty_assistant_content=True,
    reasoning_on_tool_calls=True,
    body_hooks=(typed_properties,),
)
