"""The canonical response, stop reasons and usage."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from crosswire.canonical.messages import ContentPart


class StopReason(StrEnum):
    END_TURN = "end_turn"
    MAX_TOKENS = "max_tokens"
    STOP_SEQUENCE = "stop_sequence"
    TOOL_USE = "tool_use"
    REFUSAL = "refusal"
    PAUSE_TURN = "pause_turn"
    CONTEXT_WINDOW_EXCEEDED = "model_context_window_exceeded"


@dataclass(slots=True)
class Usage:
    input_tokens: int = 0
    """All input tokens, cached ones included (OpenAI's ``prompt_tokens`` sense)."""
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    """All output tokens, reasoning included."""
    reasoning_tokens: int | None = None
    """The reasoning share of ``output_tokens`` when the upstream says."""

    @property
    def uncached_input_tokens(self) -> int:
        """Anthropic's ``input_tokens``: input minus cache reads and writes."""
        return max(0, self.input_tokens - self.cache_read_tokens - self.cache_write_tokens)


@dataclass(slots=True)
class Response:
    id: str
    model: str
    parts: list[ContentPart] = field(default_factory=list)
    stop_reason: StopReason = StopReason.END_TURN
    stop_sequence: str | None = None
    usage: Usage = field(default_factory=Usage)
