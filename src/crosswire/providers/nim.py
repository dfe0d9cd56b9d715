"""NVIDIA NIM (build.nvidia.com): OpenAI format, thinking through the chat template."""

from __future__ import annotations

from typing import Any

from crosswire.providers.profile import Profile


def chat_template_thinking(body: dict[str, Any], on: bool, effort: str | None) -> None:
    kwargs = body.setdefault("chat_template_kwargs", {})
    kwargs["thinking"] = on


NIM = Profile(
    name="nim",
    max_output_cap=65536,
    thinking_switch=chat_template_thinking,
    omit_empty_assistant_content=True,
    reasoning_on_tool_calls=True,
)
