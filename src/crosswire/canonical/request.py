"""The canonical request: what the client asked for, independent of its wire format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from crosswire.canonical.messages import Message, TextPart


@dataclass(slots=True)
class Tool:
    name: str
    description: str | None = None
    input_schema: dict[str, Any] = field(default_factory=lambda: {"type": "object"})
    """JSON Schema of the arguments object."""
    strict: bool | None = None
    defer_loading: bool = False
    """Anthropic tool search: the client loads this tool lazily."""
    cache_control: dict[str, Any] | None = None


@dataclass(slots=True)
class ServerTool:
    """A provider-hosted tool (Anthropic ``web_search_20250305``, OpenAI ``web_search`` …)."""

    type: str
    """The versioned type string as the client sent it."""
    name: str
    kind: str
    """Family without version: ``web_search``, ``web_fetch``, ``code_execution`` …"""
    config: dict[str, Any] = field(default_factory=dict)
    origin: str = ""


@dataclass(slots=True)
class ToolChoice:
    mode: Literal["auto", "any", "tool", "none"] = "auto"
    """``any`` = must call some tool; ``tool`` = must call ``name``."""
    name: str | None = None
    parallel: bool | None = None
    """``False`` caps the turn at one call; ``None`` = provider default."""


@dataclass(slots=True)
class ThinkingConfig:
    mode: Literal["off", "enabled", "adaptive"] = "off"
    budget_tokens: int | None = None
    effort: str | None = None
    """low | medium | high | xhigh | max (Anthropic ``output_config.effort``, OpenAI effort)."""
    display: Literal["summarized", "omitted"] | None = None

    @property
    def on(self) -> bool:
        return self.mode != "off"


@dataclass(slots=True)
class Request:
    model: str
    """The model name the client asked for (before routing)."""
    messages: list[Message] = field(default_factory=list)
    system: list[TextPart] = field(default_factory=list)
    """System prompt blocks in order; hoisted from wherever the client put them."""
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: list[str] = field(default_factory=list)
    stream: bool = False
    tools: list[Tool] = field(default_factory=list)
    server_tools: list[ServerTool] = field(default_factory=list)
    tool_choice: ToolChoice | None = None
    thinking: ThinkingConfig = field(default_factory=ThinkingConfig)
    response_format: dict[str, Any] | None = None
    """``{"type": "json_schema", "schema": …}`` or ``{"type": "json_object"}``."""
    user_id: str | None = None
    client_format: str = ""
    """The wire format the client spoke (``anthropic``, ``openai_chat`` …)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Fields with no canonical meaning; relayed only to an upstream of the client's format."""
    client_headers: dict[str, str] = field(default_factory=dict)
    """A few client request headers upstream adapters may forward (``user-agent``,
    ``anthropic-beta``, ``anthropic-version``), lower-cased. Never credentials."""

    def system_text(self, separator: str = "\n") -> str:
        return separator.join(p.text for p in self.system if p.text)
