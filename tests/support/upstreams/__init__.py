"""Scripted upstream servers, one per wire format, sharing one scenario vocabulary
(:mod:`.scenarios`). Each records what it receives, validates it the way its real API would
(plus the running scenario's expectations), and answers HTTP 400 naming the problem when a
check fails. See :mod:`.base` for what a format provides.
"""

from __future__ import annotations

from .anthropic import AnthropicUpstream
from .base import Received, ScriptedUpstream
from .gemini import GeminiUpstream
from .openai_chat import ChatUpstream
from .openai_responses import ResponsesUpstream
from .scenarios import FORMATS, SCENARIOS, Expectation, Invalid, Scenario

UPSTREAM_CLASSES: dict[str, type[ScriptedUpstream]] = {
    "openai_chat": ChatUpstream,
    "anthropic": AnthropicUpstream,
    "openai_responses": ResponsesUpstream,
    "gemini": GeminiUpstream,
}

__all__ = [
    "FORMATS",
    "SCENARIOS",
    "UPSTREAM_CLASSES",
    "AnthropicUpstream",
    "ChatUpstream",
    "Expectation",
    "GeminiUpstream",
    "Invalid",
    "Received",
    "ResponsesUpstream",
    "Scenario",
    "ScriptedUpstream",
]
