"""Messages and the content parts they are made of.

Every part is a small slotted dataclass. Opaque provider state (Anthropic thinking signatures,
encrypted reasoning, Gemini thought signatures) travels in ``signature`` together with
``origin``, the wire format that produced it; codecs send it back only to that format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["user", "assistant"]


@dataclass(slots=True)
class TextPart:
    text: str
    """The text; never ``None``, possibly empty while streaming."""
    cache_control: dict[str, Any] | None = None
    """Anthropic prompt-cache breakpoint, kept for Anthropic upstreams, dropped elsewhere."""


@dataclass(slots=True)
class ImagePart:
    media_type: str | None = None
    """MIME type such as ``image/png``; ``None`` for a URL of unknown type."""
    data: str | None = None
    """Base64 payload (no ``data:`` prefix) when the image is inline."""
    url: str | None = None
    """http(s) URL when the image is referenced rather than inline."""
    cache_control: dict[str, Any] | None = None

    def as_data_url(self) -> str:
        """The image as an http(s) URL or a ``data:`` URL, as OpenAI formats want it."""
        if self.url is not None:
            return self.url
        return f"data:{self.media_type or 'image/png'};base64,{self.data or ''}"


@dataclass(slots=True)
class DocumentPart:
    media_type: str | None = None
    """``application/pdf`` or ``text/plain``."""
    data: str | None = None
    """Base64 payload for binary documents."""
    url: str | None = None
    text: str | None = None
    """Plain-text documents carry their text here instead of ``data``."""
    title: str | None = None
    cache_control: dict[str, Any] | None = None


@dataclass(slots=True)
class ToolCallPart:
    id: str
    """The call id as the upstream issued it (sanitised only at the client edge)."""
    name: str
    arguments: str
    """The arguments as JSON text, exactly as produced; may be invalid JSON after truncation."""


@dataclass(slots=True)
class ToolResultPart:
    tool_call_id: str
    content: list[TextPart | ImagePart | DocumentPart] = field(default_factory=list)
    """What the tool returned: text, and images or documents where the client sent them."""
    is_error: bool = False
    """The tool failed; only Anthropic carries this natively, others get it as text."""
    name: str | None = None
    """The tool's name when known (Gemini needs it)."""
    cache_control: dict[str, Any] | None = None


@dataclass(slots=True)
class ThinkingPart:
    text: str
    """The reasoning text (a summary on some providers, empty when display is omitted)."""
    signature: str | None = None
    """Opaque provider state proving the thinking; replayed only to ``origin``."""
    origin: str | None = None
    """The wire format that produced this thinking (``anthropic``, ``openai_chat``, …)."""


@dataclass(slots=True)
class RedactedThinkingPart:
    data: str
    """Encrypted thinking; meaningful only to ``origin``."""
    origin: str | None = None


@dataclass(slots=True)
class OpaquePart:
    """A block with no canonical meaning (server-tool traffic, unknown block types).

    Same-format upstreams get it back verbatim; other formats drop it with a log line.
    """

    origin: str
    block: dict[str, Any]


ContentPart = (
    TextPart
    | ImagePart
    | DocumentPart
    | ToolCallPart
    | ToolResultPart
    | ThinkingPart
    | RedactedThinkingPart
    | OpaquePart
)


@dataclass(slots=True)
class Message:
    role: Role
    parts: list[ContentPart] = field(default_factory=list)

    def text(self) -> str:
        """All text parts joined, for logs, routing and token estimates."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))
