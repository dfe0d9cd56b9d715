"""Pieces of the Responses format shared by its client and upstream sides.

- **Reasoning state.** A reasoning item's replayable state is its ``id`` plus its
  ``encrypted_content``. Canonically it travels as one ``ThinkingPart.signature`` string,
  ``"<id>\\n<encrypted_content>"`` (the id may be empty). Ids and vendor tokens never contain a
  newline, so :func:`split_state` always gets both halves back. The stream decoder starts a
  thinking part with the id alone (``"<id>\\n"``) so a Responses client can be shown the item's
  real id before its state arrives; a state with no encrypted half is never replayed.
- **Namespaced tools.** Codex groups MCP tools in ``namespace`` tools; calls come back as
  ``function_call {namespace, name}``. Canonically such a tool is one flat tool named
  ``<namespace>__<name>`` — Codex's own legacy MCP spelling, kept within its 64-byte limit —
  and :class:`ClientState` remembers how to split the name again for the client.
- **Usage and stop reasons**, both directions.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from crosswire.canonical import Request, StopReason, Usage

FORMAT = "openai_responses"
NAMESPACE_SEPARATOR = "__"
STATE_KEY = "_openai_responses"
"""``Request.extra`` key of the :class:`ClientState` a Responses client request leaves behind."""

# canonical stop reason -> (status, incomplete_details.reason)
STOP_REASON_TO_STATUS: dict[StopReason, tuple[str, str | None]] = {
    StopReason.END_TURN: ("completed", None),
    StopReason.STOP_SEQUENCE: ("completed", None),
    StopReason.TOOL_USE: ("completed", None),
    StopReason.PAUSE_TURN: ("completed", None),
    StopReason.MAX_TOKENS: ("incomplete", "max_output_tokens"),
    StopReason.CONTEXT_WINDOW_EXCEEDED: ("incomplete", "max_output_tokens"),
    StopReason.REFUSAL: ("incomplete", "content_filter"),
}
INCOMPLETE_REASON_TO_CANONICAL: dict[str, StopReason] = {
    "max_output_tokens": StopReason.MAX_TOKENS,
    "content_filter": StopReason.REFUSAL,
}
TOOL_CALL_ITEMS = frozenset({"function_call", "custom_tool_call"})


@dataclass(slots=True)
class ClientState:
    """What a Responses client request needs remembered beyond the canonical request."""

    namespaces: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Flat canonical tool name -> (namespace, name inside it)."""
    custom_tools: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Flat name of each free-text (``custom``) tool -> the client's definition."""
    hosted_tools: list[dict[str, Any]] = field(default_factory=list)
    """Provider-hosted tools (``web_search`` …): only a Responses upstream can run them."""
    echo: dict[str, Any] = field(default_factory=dict)
    """Request fields a Response object repeats back (``tools``, ``tool_choice`` …)."""


def client_state(request: Request) -> ClientState:
    state = request.extra.get(STATE_KEY)
    return state if isinstance(state, ClientState) else ClientState()


def flat_name(name: str, namespace: Any) -> str:
    """``<namespace>__<name>``; older Codex namespaces already end in ``__``."""
    if not isinstance(namespace, str) or not namespace:
        return name
    separator = "" if namespace.endswith(NAMESPACE_SEPARATOR) else NAMESPACE_SEPARATOR
    return f"{namespace}{separator}{name}"


def join_state(item_id: Any, encrypted: str) -> str:
    """A reasoning item's replayable state as one canonical signature."""
    return f"{item_id if isinstance(item_id, str) else ''}\n{encrypted}"


def split_state(signature: str) -> tuple[str | None, str]:
    """(item id or None, encrypted_content) from :func:`join_state`'s output."""
    item_id, newline, encrypted = signature.partition("\n")
    if not newline:
        return None, signature
    return item_id or None, encrypted


def usage_from_wire(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    input_details = raw.get("input_tokens_details")
    output_details = raw.get("output_tokens_details")
    input_details = input_details if isinstance(input_details, dict) else {}
    output_details = output_details if isinstance(output_details, dict) else {}
    reasoning = output_details.get("reasoning_tokens")
    return Usage(
        input_tokens=_int(raw.get("input_tokens")),
        cache_read_tokens=_int(input_details.get("cached_tokens")),
        cache_write_tokens=_int(input_details.get("cache_write_tokens")),
        output_tokens=_int(raw.get("output_tokens")),
        reasoning_tokens=reasoning if isinstance(reasoning, int) else None,
    )


def usage_to_wire(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {
            "cached_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
        },
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens or 0},
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }


def stop_reason(status: Any, incomplete_details: Any, has_tool_calls: bool) -> StopReason:
    """Responses has no finish reason: derive it from the status and the output."""
    if status == "incomplete":
        reason = incomplete_details.get("reason") if isinstance(incomplete_details, dict) else None
        mapped = INCOMPLETE_REASON_TO_CANONICAL.get(reason if isinstance(reason, str) else "")
        if mapped is not None:
            return mapped
    return StopReason.TOOL_USE if has_tool_calls else StopReason.END_TURN


def parse_data_url(url: str) -> tuple[str, str] | None:
    """(media type, base64 payload) of a ``data:<mime>;base64,<data>`` URL, else None."""
    if not url.startswith("data:"):
        return None
    header, comma, data = url[5:].partition(",")
    if not comma or not header.endswith(";base64"):
        return None
    return header[: -len(";base64")] or "application/octet-stream", data


def decode_base64_text(data: str) -> str | None:
    try:
        return base64.b64decode(data, validate=False).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
