"""What every client driver returns and exposes, so one test body drives all four SDKs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from tests.support.upstreams.scenarios import TOOL_DESCRIPTION, TOOL_NAME, TOOL_SCHEMA

__all__ = [
    "TOOL_DESCRIPTION",
    "TOOL_NAME",
    "TOOL_SCHEMA",
    "Conversation",
    "Driver",
    "ToolCall",
    "TurnResult",
]


@dataclass(frozen=True)
class ToolCall:
    id: str | None
    """The call id as the client SDK shows it (Gemini: ``functionCall.id``, often ``None``)."""
    name: str
    args: dict[str, Any]


@dataclass
class TurnResult:
    """One assistant turn, normalised from the client SDK's own objects."""

    text: str
    tool_calls: list[ToolCall]
    thinking: str
    """Thinking / reasoning text in the client format's native carrier ("" if none)."""
    opaque: bool
    """Opaque thinking state present (signature / encrypted_content / thought_signature)."""
    stop: str | None
    """The native stop / finish reason."""
    usage: tuple[int | None, int | None] = (None, None)
    """(input tokens, output tokens) as the client format reports them, normalised: Anthropic
    input + cache reads/writes; Gemini candidates + thoughts."""
    events: list[str] = field(default_factory=list)
    """Streamed event / delta kinds seen, in order (stream mode only)."""
    raw: Any = None


@dataclass
class Conversation:
    model: str
    history: list[Any] = field(default_factory=list)
    """The conversation in the client format's own shape, as a real client keeps it."""


class Driver(Protocol):
    format: str

    def new(self, model: str, prompt: str, image: bool) -> Conversation:
        """A conversation whose first user turn is ``prompt`` (plus the PNG if ``image``)."""
        ...

    def run_turn(
        self, conv: Conversation, *, tools: bool, thinking: bool, stream: bool
    ) -> TurnResult:
        """Send the conversation; append the assistant turn to it exactly as the SDK gave it."""
        ...

    def append_tool_results(self, conv: Conversation, results: list[tuple[ToolCall, str]]) -> None:
        """Answer every call of the last turn, in one client turn, in the format's own shape."""
        ...


def check_streamed(kind: str, streamed: str, final: str) -> None:
    if streamed != final:
        raise AssertionError(f"streamed {kind} {streamed!r} differs from the final {final!r}")
