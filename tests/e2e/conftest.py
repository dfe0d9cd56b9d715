"""Fixtures for the end-to-end tests: the agent binary (installed once per session), a runner
with a fresh HOME and cwd per test, and a scripted upstream behind an in-process gateway."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.anthropic_upstream import ScriptedAnthropicUpstream, anthropic_gateway_config
from tests.e2e.harness import (
    AnthropicStack,
    ClaudeCode,
    Codex,
    GeminiCli,
    GeminiStack,
    Stack,
    ensure_claude_code,
    ensure_codex,
    ensure_gemini_cli,
    start_recording_gateway,
)
from tests.support.servers import (
    Recorded,
    ScriptedOpenAIUpstream,
    openai_gateway_config,
    start_gateway,
)


@pytest.fixture(scope="session")
def claude_code_bin() -> Path:
    """The native Claude Code binary, installed once into ``.cache/npm-agents/``."""
    return ensure_claude_code()


@pytest.fixture
def claude_code(claude_code_bin: Path, tmp_path: Path) -> ClaudeCode:
    return ClaudeCode(claude_code_bin, tmp_path)


@pytest.fixture(scope="session")
def codex_bin() -> Path:
    """The native Codex CLI binary, installed once into ``.cache/npm-agents/``."""
    return ensure_codex()


@pytest.fixture
def codex(codex_bin: Path, tmp_path: Path) -> Codex:
    return Codex(codex_bin, tmp_path)


@pytest.fixture(scope="session")
def gemini_cli_script() -> Path:
    """Gemini CLI's JS bundle, installed once into ``.cache/npm-agents/``."""
    return ensure_gemini_cli()


@pytest.fixture
def gemini_cli(gemini_cli_script: Path, tmp_path: Path) -> GeminiCli:
    return GeminiCli(gemini_cli_script, tmp_path)


@pytest.fixture
def gateway_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """The in-process gateway's log at DEBUG (pytest prints it under "Captured log" on failure)."""
    caplog.set_level(logging.DEBUG, logger="crosswire")
    return caplog


@pytest.fixture
def make_stack(gateway_logs: pytest.LogCaptureFixture) -> Iterator[Callable[..., Stack]]:
    """``make_stack(profile=..., capabilities=...)``: a scripted upstream behind a gateway."""
    started: list[Stack] = []

    def make(profile: str = "openai", capabilities: str = '["thinking", "image_in"]') -> Stack:
        upstream = ScriptedOpenAIUpstream().start()
        try:
            config = openai_gateway_config(
                upstream.base_url, profile=profile, capabilities=capabilities
            )
            gateway = start_gateway(config)
        except BaseException:
            upstream.stop()
            raise
        stack = Stack(upstream, gateway)
        started.append(stack)
        return stack

    yield make
    for stack in started:
        stack.gateway.stop()
        stack.upstream.stop()


@pytest.fixture
def make_anthropic_stack(
    gateway_logs: pytest.LogCaptureFixture,
) -> Iterator[Callable[..., AnthropicStack]]:
    """``make_anthropic_stack(extra=...)``: a scripted Anthropic Messages upstream behind a
    gateway whose one provider has ``type = "anthropic"``."""
    started: list[AnthropicStack] = []

    def make(extra: str = "") -> AnthropicStack:
        upstream = ScriptedAnthropicUpstream().start()
        try:
            gateway = start_gateway(anthropic_gateway_config(upstream.base_url, extra=extra))
        except BaseException:
            upstream.stop()
            raise
        stack = AnthropicStack(upstream, gateway)
        started.append(stack)
        return stack

    yield make
    for stack in started:
        stack.gateway.stop()
        stack.upstream.stop()


@pytest.fixture
def make_gemini_stack(
    gateway_logs: pytest.LogCaptureFixture,
) -> Iterator[Callable[..., GeminiStack]]:
    """``make_gemini_stack(profile=..., capabilities=...)``: a scripted OpenAI Chat upstream
    behind a gateway that records the (Gemini) client's requests too."""
    started: list[GeminiStack] = []

    def make(
        profile: str = "openai", capabilities: str = '["thinking", "image_in"]'
    ) -> GeminiStack:
        upstream = ScriptedOpenAIUpstream().start()
        clients: list[Recorded] = []
        try:
            config = openai_gateway_config(
                upstream.base_url, profile=profile, capabilities=capabilities
            )
            gateway = start_recording_gateway(config, clients)
        except BaseException:
            upstream.stop()
            raise
        stack = GeminiStack(upstream, gateway, clients)
        started.append(stack)
        return stack

    yield make
    for stack in started:
        stack.gateway.stop()
        stack.upstream.stop()
