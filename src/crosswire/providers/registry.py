"""Every built-in profile, by the name config uses (``[providers.X] profile = "…"``)."""

from __future__ import annotations

from typing import Any

from crosswire.canonical import NotFoundError
from crosswire.providers.kimi import KIMI
from crosswire.providers.nim import NIM
from crosswire.providers.profile import Profile

# Anthropic effort -> OpenAI reasoning_effort
_EFFORT_TO_OPENAI = {
    "low": "low",
    "medium": "medium",
    "high": "high",
    "xhigh": "high",
    "max": "high",
}


def _openai_effort(body: dict[str, Any], on: bool, effort: str | None) -> None:
    if on:
        body["reasoning_effort"] = _EFFORT_TO_OPENAI.get(effort or "medium", "medium")


OPENAI = Profile(name="openai")
"""Any OpenAI-compatible server (vLLM, SGLang, LM Studio, Ollama, OpenRouter …)."""

OPENAI_OFFICIAL = Profile(
    name="openai_official",
    max_tokens_field="max_completion_tokens",
    thinking_switch=_openai_effort,
)

DEEPSEEK = Profile(name="deepseek", reasoning_on_tool_calls=True)

PROFILES: dict[str, Profile] = {p.name: p for p in (OPENAI, OPENAI_OFFICIAL, KIMI, NIM, DEEPSEEK)}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise NotFoundError(f"unknown provider profile {name!r} (known: {known})") from None
