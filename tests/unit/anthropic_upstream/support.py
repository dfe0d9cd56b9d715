"""Targets and requests shared by the Anthropic-upstream tests."""

from __future__ import annotations

from typing import Any

from crosswire import jsonutil
from crosswire.canonical import Message, Request, TextPart
from crosswire.config import ModelConfig, ProviderConfig
from crosswire.routing import Target
from crosswire.upstream.anthropic import AnthropicAdapter

ANTHROPIC_URL = "https://api.anthropic.com"
MOONSHOT_URL = "https://api.moonshot.ai/anthropic"
KIMI_CODE_URL = "https://api.kimi.com/coding"
CLAUDE_CODE_UA = "claude-cli/2.1.330 (external, sdk-cli)"
CLAUDE_CODE_BETAS = (
    "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,"
    "effort-2025-11-24"
)


def target(
    base_url: str = ANTHROPIC_URL,
    *,
    model: str = "claude-sonnet-4-5",
    profile: str | None = None,
    max_output_size: int | None = None,
    capabilities: frozenset[str] = frozenset(),
    custom_headers: dict[str, str] | None = None,
) -> Target:
    provider = ProviderConfig(
        name="up",
        type="anthropic",
        base_url=base_url,
        api_key="sk-test-key",
        profile=profile,
        custom_headers=custom_headers or {},
    )
    config = ModelConfig(
        alias="m",
        provider="up",
        model=model,
        max_context_size=200000,
        max_output_size=max_output_size,
        capabilities=capabilities,
    )
    return Target("m", config, provider, "alias")


def call(request: Request, tgt: Target | None = None) -> tuple[str, dict[str, Any], dict[str, str]]:
    """URL, decoded body and headers the adapter produces."""
    url, body, headers = AnthropicAdapter().call(request, tgt or target())
    return url, jsonutil.loads(body), headers


def body_for(request: Request, tgt: Target | None = None) -> dict[str, Any]:
    return call(request, tgt)[1]


def user(text: str) -> Message:
    return Message("user", [TextPart(text)])
