"""One Claude Code-like request through the Anthropic adapter, per flavour: URL, headers, body."""

from __future__ import annotations

from typing import Any

import pytest

from crosswire.canonical import (
    Message,
    NotFoundError,
    Request,
    TextPart,
    ThinkingConfig,
    ThinkingPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
)
from crosswire.upstream.anthropic import flavour_for, messages_url

from .support import (
    ANTHROPIC_URL,
    CLAUDE_CODE_BETAS,
    CLAUDE_CODE_UA,
    KIMI_CODE_URL,
    MOONSHOT_URL,
    call,
    target,
)

BASH_ID = "functions_Bash_0_a97d1507"  # tool_id("functions.Bash:0")
BILLING = {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.330;"}
CONTEXT_MANAGEMENT = {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]}
BASH_SCHEMA = {"type": "object", "properties": {"command": {"type": "string"}}}
QUERY_SCHEMA = {"type": "object", "properties": {"sql": {"type": "string"}}}


def claude_code_request() -> Request:
    return Request(
        model="claude-opus-4-7",
        client_format="anthropic",
        system=[TextPart("You are helpful.", {"type": "ephemeral"})],
        messages=[
            Message("user", [TextPart("List the files.")]),
            Message(
                "assistant",
                [
                    ThinkingPart("I should run ls.", signature="sig-abc==", origin="anthropic"),
                    TextPart("Running ls."),
                    ToolCallPart("functions.Bash:0", "Bash", '{"command":"ls"}'),
                ],
            ),
            Message("user", [ToolResultPart("functions.Bash:0", [TextPart("a.txt\nb.txt")])]),
            Message(
                "assistant",
                [
                    ThinkingPart("reasoning from elsewhere", signature="g-sig", origin="gemini"),
                    TextPart("Two files."),
                ],
            ),
            Message("user", [TextPart("Thanks")]),
        ],
        max_tokens=None,
        temperature=0.7,
        top_k=5,
        stop=["###"],
        stream=True,
        tools=[
            Tool("Bash", "Run a command", BASH_SCHEMA),
            Tool("mcp__db__query", "Query", QUERY_SCHEMA, defer_loading=True),
        ],
        tool_choice=ToolChoice("any", parallel=False),
        thinking=ThinkingConfig(mode="adaptive", effort="high", display="omitted"),
        user_id='{"device_id":"d1"}',
        extra={"context_management": CONTEXT_MANAGEMENT, "_billing_header_block": BILLING},
        client_headers={"user-agent": CLAUDE_CODE_UA, "anthropic-beta": CLAUDE_CODE_BETAS},
    )


def messages(foreign_thinking: bool) -> list[dict[str, Any]]:
    second: list[dict[str, Any]] = [{"type": "text", "text": "Two files."}]
    if foreign_thinking:  # servers that keep unsigned thinking get the text, never the signature
        second.insert(
            0, {"type": "thinking", "thinking": "reasoning from elsewhere", "signature": ""}
        )
    return [
        {"role": "user", "content": [{"type": "text", "text": "List the files."}]},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "I should run ls.", "signature": "sig-abc=="},
                {"type": "text", "text": "Running ls."},
                {"type": "tool_use", "id": BASH_ID, "name": "Bash", "input": {"command": "ls"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": BASH_ID,
                    "content": [{"type": "text", "text": "a.txt\nb.txt"}],
                }
            ],
        },
        {"role": "assistant", "content": second},
        {"role": "user", "content": [{"type": "text", "text": "Thanks"}]},
    ]


ANTHROPIC_BODY = {
    "model": "claude-opus-4-7",
    "max_tokens": 32000,
    "system": [
        BILLING,
        {"type": "text", "text": "You are helpful.", "cache_control": {"type": "ephemeral"}},
    ],
    "messages": messages(foreign_thinking=False),
    "tools": [
        {"name": "Bash", "description": "Run a command", "input_schema": BASH_SCHEMA},
        {
            "name": "mcp__db__query",
            "description": "Query",
            "input_schema": QUERY_SCHEMA,
            "defer_loading": True,
        },
    ],
    "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},  # forced → auto: thinking
    "thinking": {"type": "adaptive", "display": "omitted"},
    "output_config": {"effort": "high"},
    "stop_sequences": ["###"],
    "metadata": {"user_id": '{"device_id":"d1"}'},
    "stream": True,
    "context_management": CONTEXT_MANAGEMENT,
}

COMPATIBLE_BODY = {
    "model": "kimi-k2.6",
    "max_tokens": 32000,
    "system": [
        {"type": "text", "text": "You are helpful.", "cache_control": {"type": "ephemeral"}}
    ],
    "messages": messages(foreign_thinking=True),
    "tools": [
        {"name": "Bash", "description": "Run a command", "input_schema": BASH_SCHEMA},
        {"name": "mcp__db__query", "description": "Query", "input_schema": QUERY_SCHEMA},
    ],
    "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},
    "thinking": {"type": "enabled", "budget_tokens": 16384},  # adaptive + high → a budget
    "stop_sequences": ["###"],
    "stream": True,
}


def test_real_anthropic() -> None:
    url, body, headers = call(claude_code_request(), target(ANTHROPIC_URL, model="claude-opus-4-7"))
    assert url == "https://api.anthropic.com/v1/messages"
    assert body == ANTHROPIC_BODY
    assert list(body)[:4] == ["model", "max_tokens", "system", "messages"]
    assert headers == {
        "content-type": "application/json",
        "anthropic-version": "2023-06-01",
        "user-agent": "crosswire/0.1",
        "x-api-key": "sk-test-key",
        "anthropic-beta": CLAUDE_CODE_BETAS,  # every beta, verbatim
    }


def test_moonshot() -> None:
    url, body, headers = call(claude_code_request(), target(MOONSHOT_URL, model="kimi-k2.6"))
    assert url == "https://api.moonshot.ai/anthropic/v1/messages"
    assert body == COMPATIBLE_BODY  # no temperature/top_k: Kimi fixes sampling
    assert headers == {
        "content-type": "application/json",
        "anthropic-version": "2023-06-01",
        "user-agent": "crosswire/0.1",
        "authorization": "Bearer sk-test-key",
        "anthropic-beta": "interleaved-thinking-2025-05-14",
    }


def test_kimi_code_forwards_the_coding_agent_user_agent() -> None:
    url, body, headers = call(claude_code_request(), target(KIMI_CODE_URL, model="kimi-k2.6"))
    assert url == "https://api.kimi.com/coding/v1/messages"
    assert body == COMPATIBLE_BODY
    assert headers["user-agent"] == CLAUDE_CODE_UA
    assert headers["x-api-key"] == "sk-test-key"
    assert "authorization" not in headers


@pytest.mark.parametrize(
    ("client_ua", "sent"),
    [
        ("KimiCLI/1.12.0", "KimiCLI/1.12.0"),
        ("opencode/0.4 ai-sdk/anthropic", "opencode/0.4 ai-sdk/anthropic"),
        ("python-httpx/0.27", "claude-cli/2.1.0 (external, cli)"),
        ("", "claude-cli/2.1.0 (external, cli)"),
    ],
)
def test_kimi_code_user_agent_allow_list(client_ua: str, sent: str) -> None:
    request = Request(model="m", messages=[Message("user", [TextPart("hi")])])
    if client_ua:
        request.client_headers["user-agent"] = client_ua
    assert call(request, target(KIMI_CODE_URL))[2]["user-agent"] == sent


def test_generic_compatible_server_drops_unsigned_thinking_and_betas() -> None:
    url, body, headers = call(claude_code_request(), target("https://llm.example.com/v1"))
    assert url == "https://llm.example.com/v1/messages"  # a base_url ending in /v1 is not doubled
    assert [b["type"] for b in body["messages"][3]["content"]] == ["text"]
    assert "anthropic-beta" not in headers
    assert "temperature" not in body and "top_k" not in body  # thinking is on
    assert "metadata" not in body and "context_management" not in body


def test_custom_headers_win_and_explicit_profile_wins() -> None:
    tgt = target(
        "https://proxy.internal/anthropic",
        profile="moonshot",
        custom_headers={"authorization": "Bearer other", "x-team": "a"},
    )
    assert flavour_for(tgt.provider).name == "moonshot"
    headers = call(Request(model="m", messages=[Message("user", [TextPart("hi")])]), tgt)[2]
    assert headers["authorization"] == "Bearer other" and headers["x-team"] == "a"


def test_unknown_profile_is_a_clear_error() -> None:
    with pytest.raises(NotFoundError, match=r"unknown profile 'kimi'.*kimi_code"):
        flavour_for(target(profile="kimi").provider)


@pytest.mark.parametrize(
    ("base_url", "flavour"),
    [
        ("https://api.anthropic.com", "anthropic"),
        ("https://api.moonshot.cn/anthropic/", "moonshot"),
        ("https://api.moonshot.ai/anthropic", "moonshot"),
        ("https://api.kimi.com/coding/", "kimi_code"),
        ("http://localhost:8080", "anthropic_compatible"),
    ],
)
def test_flavour_from_host(base_url: str, flavour: str) -> None:
    assert flavour_for(target(base_url).provider).name == flavour


@pytest.mark.parametrize(
    ("base_url", "url"),
    [
        ("https://api.anthropic.com", "https://api.anthropic.com/v1/messages"),
        ("https://api.anthropic.com/", "https://api.anthropic.com/v1/messages"),
        ("https://api.kimi.com/coding/", "https://api.kimi.com/coding/v1/messages"),
        ("https://gw.example.com/anthropic/v1/", "https://gw.example.com/anthropic/v1/messages"),
    ],
)
def test_messages_url(base_url: str, url: str) -> None:
    assert messages_url(base_url) == url


def test_extras_only_from_an_anthropic_client() -> None:
    request = claude_code_request()
    request.client_format = "openai_chat"
    body = call(request, target(ANTHROPIC_URL))[1]
    assert "context_management" not in body
    assert body["system"] == [ANTHROPIC_BODY["system"][1]]  # no billing block either


def test_model_config_caps_and_capabilities() -> None:
    request = claude_code_request()
    request.max_tokens = 64000
    capped = call(request, target(MOONSHOT_URL, max_output_size=8192))[1]
    assert capped["max_tokens"] == 8192
    assert capped["thinking"] == {"type": "enabled", "budget_tokens": 8191}
    no_think = call(request, target(MOONSHOT_URL, capabilities=frozenset({"image_in"})))[1]
    assert no_think["thinking"] == {"type": "disabled"}
    request.thinking = ThinkingConfig()
    always = call(request, target(MOONSHOT_URL, capabilities=frozenset({"always_thinking"})))[1]
    assert always["thinking"] == {"type": "enabled", "budget_tokens": 16384}
