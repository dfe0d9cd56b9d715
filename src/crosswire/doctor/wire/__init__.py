"""The probes' client side: one module per client wire format, each building requests as that
format's official SDK would and reading answers back (see :mod:`.base`)."""

from __future__ import annotations

from crosswire.doctor.wire.anthropic import AnthropicWire
from crosswire.doctor.wire.base import Ask, ProbeFailure, Reply, ToolCall, WireFormat
from crosswire.doctor.wire.gemini import GeminiWire
from crosswire.doctor.wire.openai_chat import OpenAIChatWire
from crosswire.doctor.wire.openai_responses import OpenAIResponsesWire

WIRES: dict[str, WireFormat] = {
    w.name: w for w in (AnthropicWire(), OpenAIChatWire(), OpenAIResponsesWire(), GeminiWire())
}
"""Every client format, by name, in display order."""

__all__ = ["WIRES", "Ask", "ProbeFailure", "Reply", "ToolCall", "WireFormat"]
