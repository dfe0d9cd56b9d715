"""Responses output items and the Response object, as the client encoder writes them.

Item ids are derived from the response id (``msg_<base>_<n>``), so one answer always gets the
same ids. A reasoning item's ``encrypted_content`` is this format's own state when the thinking
came from a Responses upstream (with that upstream's item id), and a sealed ``cw1.`` token
(:mod:`crosswire.formats.opaque`) when it came from any other format.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from crosswire.canonical import ThinkingPart, ToolCallPart, Usage
from crosswire.canonical.arguments import arguments_object
from crosswire.formats.opaque import seal
from crosswire.formats.openai_responses.fields import (
    FORMAT,
    ClientState,
    split_state,
    usage_to_wire,
)


def response_id(upstream_id: str | None) -> str:
    if upstream_id and upstream_id.startswith("resp_"):
        return upstream_id
    return "resp_" + uuid.uuid4().hex


class ItemIds:
    """Output item ids for one response: ``<prefix>_<response id base>_<n>``."""

    __slots__ = ("_base", "_count")

    def __init__(self, response_id: str) -> None:
        self._base = response_id.removeprefix("resp_")
        self._count = 0

    def new(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}_{self._base}_{self._count}"


def message_item(item_id: str, text: str, status: str = "completed") -> dict[str, Any]:
    content = [output_text(text)] if status != "in_progress" else []
    return {
        "id": item_id,
        "type": "message",
        "role": "assistant",
        "status": status,
        "content": content,
    }


def output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": []}


def reasoning_id(part: ThinkingPart) -> str | None:
    """The upstream's own item id, for thinking that came from a Responses upstream."""
    if part.origin == FORMAT and part.signature:
        return split_state(part.signature)[0]
    return None


def reasoning_item(item_id: str, part: ThinkingPart) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": item_id,
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": part.text}] if part.text else [],
    }
    encrypted = encrypted_content(part)
    if encrypted:
        item["encrypted_content"] = encrypted
    return item


def encrypted_content(part: ThinkingPart) -> str:
    if part.origin == FORMAT:
        return split_state(part.signature)[1] if part.signature else ""
    if not part.signature:
        return ""  # unsigned reasoning text: the summary carries all there is
    return seal(part, native=FORMAT, include_text=False)


def call_item(
    item_id: str, part: ToolCallPart, state: ClientState, status: str = "completed"
) -> dict[str, Any]:
    """A ``function_call`` item, or a ``custom_tool_call`` for a free-text tool."""
    namespace, name = state.namespaces.get(part.name, (None, part.name))
    item: dict[str, Any]
    if part.name in state.custom_tools:
        item = {
            "id": item_id,
            "type": "custom_tool_call",
            "call_id": part.id,
            "name": name,
            "input": custom_input(part.arguments) if status != "in_progress" else "",
        }
    else:
        item = {
            "id": item_id,
            "type": "function_call",
            "status": status,
            "call_id": part.id,
            "name": name,
            "arguments": (part.arguments or "{}") if status != "in_progress" else "",
        }
    if namespace:
        item["namespace"] = namespace
    return item


def custom_input(arguments: str) -> str:
    """The free text a model sent as ``{"input": …}`` to a custom tool's function stand-in."""
    value = arguments_object(arguments)
    if isinstance(value.get("input"), str):
        return str(value["input"])
    strings = [v for v in value.values() if isinstance(v, str)]
    return strings[0] if len(strings) == 1 else arguments


def call_prefix(part: ToolCallPart, state: ClientState) -> str:
    return "ctc" if part.name in state.custom_tools else "fc"


def response_object(
    rid: str,
    created_at: int,
    model: str,
    state: ClientState,
    *,
    status: str,
    output: list[dict[str, Any]],
    usage: Usage | None = None,
    incomplete_reason: str | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The Response object, with the request fields OpenAI repeats back."""
    echo = state.echo
    reasoning = echo.get("reasoning")
    reasoning = reasoning if isinstance(reasoning, dict) else {}
    return {
        "id": rid,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "error": error,
        "incomplete_details": {"reason": incomplete_reason} if incomplete_reason else None,
        "instructions": echo.get("instructions"),
        "max_output_tokens": echo.get("max_output_tokens"),
        "model": model,
        "output": output,
        "parallel_tool_calls": echo.get("parallel_tool_calls", True),
        "previous_response_id": None,
        "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")},
        "store": False,
        "temperature": echo.get("temperature"),
        "text": echo.get("text") or {"format": {"type": "text"}},
        "tool_choice": echo.get("tool_choice", "auto"),
        "tools": echo.get("tools", []),
        "top_p": echo.get("top_p"),
        "truncation": echo.get("truncation", "disabled"),
        "usage": usage_to_wire(usage) if usage is not None else None,
        "metadata": echo.get("metadata") or {},
        **{k: echo[k] for k in ("prompt_cache_key", "safety_identifier", "user") if k in echo},
    }


def now() -> int:
    return int(time.time())
