"""Routing: the rule order (alias, provider/model, scenarios, globs, default), each scenario
chosen on its own, precedence when several apply, the subagent marker stripped, and the chosen
rule in the ``x-crosswire-route`` header. Fast: in-process resolution, plus one scripted
upstream and gateway for the wire checks."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import httpx2 as httpx
import pytest

from crosswire.canonical import (
    ImagePart,
    Message,
    Request,
    ServerTool,
    TextPart,
    ThinkingConfig,
    ToolResultPart,
)
from crosswire.config import Config, loads_config
from crosswire.routing import SCENARIO_ORDER, InputTokens, resolve
from tests.support.servers import ScriptedOpenAIUpstream, ThreadedApp, start_gateway
from tests.support.upstreams.scenarios import PNG_B64 as PNG

MARKER = "<CCR-SUBAGENT-MODEL>sub</CCR-SUBAGENT-MODEL>"


def routing_config(base_url: str = "http://127.0.0.1:9/v1", *, threshold: int = 3000) -> str:
    models = ["main", "fast", "thinker", "big", "search", "vision", "sub", "other"]
    lines = [
        'default_model = "main"',
        "[server]",
        "retries = 0",
        "ping_interval = 0.5",
        "[providers.up]",
        'type = "openai"',
        f'base_url = "{base_url}"',
        'api_key = "sk-upstream-secret-key-0001"',
        'profile = "openai"',
    ]
    for alias in models:
        lines += [
            f"[models.{alias}]",
            'provider = "up"',
            f'model = "{alias}-upstream"',
            "max_context_size = 200000",
            'capabilities = ["thinking", "image_in"]',
        ]
    lines += [
        "[router]",
        'background = "fast"',
        'think = "thinker"',
        'long_context = "big"',
        f"long_context_threshold = {threshold}",
        'web_search = "search"',
        'image = "vision"',
        'subagent = "sub"',
        "[routes]",
        '"gpt-*" = "other"',
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def config() -> Config:
    return loads_config(routing_config())


def request(
    model: str = "claude-sonnet-4-5",
    *,
    text: str = "hello",
    system: str = "",
    image: bool = False,
    image_in_tool_result: bool = False,
    web_search: bool = False,
    thinking: bool = False,
) -> Request:
    parts: list[object] = [TextPart(text)]
    if image:
        parts.append(ImagePart(media_type="image/png", data=PNG))
    if image_in_tool_result:
        parts.append(ToolResultPart("call_1", [ImagePart(media_type="image/png", data=PNG)]))
    return Request(
        model=model,
        messages=[Message("user", parts)],  # type: ignore[arg-type]
        system=[TextPart(system)] if system else [],
        max_tokens=1000,
        server_tools=[ServerTool("web_search_20250305", "web_search", "web_search")]
        if web_search
        else [],
        thinking=ThinkingConfig("enabled", budget_tokens=2000) if thinking else ThinkingConfig(),
    )


LONG = "word " * 4000  # ~4000 tokens, above the threshold of 3000 (an image is 1600)

# (case, request, expected alias, expected rule) — one row per rule, then precedence rows.
ORDER_TABLE = [
    ("alias", request("fast"), "fast", "alias"),
    ("provider/model", request("up/raw-model"), "up/raw-model", "provider"),
    ("long_context", request(text=LONG), "big", "long_context"),
    ("subagent", request(system=f"You are a helper. {MARKER}"), "sub", "subagent"),
    ("web_search", request(web_search=True), "search", "web_search"),
    ("image", request(image=True), "vision", "image"),
    ("image in a tool result", request(image_in_tool_result=True), "vision", "image"),
    ("think", request(thinking=True), "thinker", "think"),
    ("background", request("claude-3-5-HAIKU-20241022"), "fast", "background"),
    ("glob", request("gpt-4o"), "other", "route:gpt-*"),
    ("default", request("unknown-model"), "main", "default"),
    # precedence: the alias and provider/model bypass every scenario
    ("alias beats scenarios", request("fast", text=LONG, thinking=True), "fast", "alias"),
    ("provider beats scenarios", request("up/x", image=True), "up/x", "provider"),
    # each scenario beats the ones after it
    ("long_context > subagent", request(text=LONG, system=MARKER), "big", "long_context"),
    ("subagent > web_search", request(system=MARKER, web_search=True), "sub", "subagent"),
    ("web_search > image", request(web_search=True, image=True), "search", "web_search"),
    ("image > think", request(image=True, thinking=True), "vision", "image"),
    ("think > background", request("claude-haiku-4-5", thinking=True), "thinker", "think"),
    ("background > glob", request("gpt-haiku"), "fast", "background"),
]


@pytest.mark.parametrize(
    ("req", "alias", "rule"),
    [pytest.param(r, a, rule, id=case) for case, r, a, rule in ORDER_TABLE],
)
def test_rule_order(config: Config, req: Request, alias: str, rule: str) -> None:
    target = resolve(config, req, InputTokens(req))
    assert (target.alias, target.rule) == (alias, rule)


def test_documented_scenario_order() -> None:
    assert SCENARIO_ORDER == (
        "long_context", "subagent", "web_search", "image", "think", "background",
    )  # fmt: skip


def test_subagent_marker_names_a_model_and_is_stripped(config: Config) -> None:
    req = request(system="Before.\n<CCR-SUBAGENT-MODEL>thinker</CCR-SUBAGENT-MODEL>\nAfter.")
    target = resolve(config, req)
    assert (target.alias, target.rule) == ("thinker", "subagent")
    assert req.system_text() == "Before.\nAfter."


def test_marker_stripped_even_when_an_alias_wins(config: Config) -> None:
    req = request("main", system=f"{MARKER}Be brief.")
    assert resolve(config, req).rule == "alias"
    assert req.system_text() == "Be brief."


def test_unconfigured_scenarios_are_skipped() -> None:
    config = loads_config(routing_config().split("[router]")[0] + '[routes]\n"gpt-*" = "other"\n')
    req = request("claude-haiku-4-5", text=LONG, image=True, thinking=True)
    tokens = InputTokens(req)
    assert resolve(config, req, tokens).rule == "default"
    assert not tokens.computed  # no long_context route: the input was never counted


def test_small_requests_are_not_counted(config: Config) -> None:
    """The long_context check settles small requests with the cheap bound."""
    req = request(text="short question")
    tokens = InputTokens(req)
    assert resolve(config, req, tokens).rule == "default"
    assert not tokens.computed


# --- on the wire ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wire() -> Iterator[tuple[ScriptedOpenAIUpstream, ThreadedApp]]:
    upstream = ScriptedOpenAIUpstream().start()
    gateway = start_gateway(routing_config(upstream.base_url))
    yield upstream, gateway
    gateway.stop()
    upstream.stop()


@pytest.mark.parametrize(
    ("model", "extra", "route", "upstream_model"),
    [
        ("claude-haiku-4-5", {}, "fast(background)", "fast-upstream"),
        ("claude-sonnet-4-5", {"thinking": {"type": "enabled", "budget_tokens": 2000}},
         "thinker(think)", "thinker-upstream"),
        ("claude-sonnet-4-5", {}, "main(default)", "main-upstream"),
        ("gpt-5", {}, "other(route:gpt-*)", "other-upstream"),
    ],
)  # fmt: skip
def test_route_header_names_the_rule(
    wire: tuple[ScriptedOpenAIUpstream, ThreadedApp],
    model: str,
    extra: dict[str, object],
    route: str,
    upstream_model: str,
) -> None:
    upstream, gateway = wire
    upstream.reset()
    body = {
        "model": model, "max_tokens": 3000,
        "messages": [{"role": "user", "content": "hi"}], **extra,
    }  # fmt: skip
    answer = httpx.post(f"{gateway.url}/v1/messages", json=body, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-crosswire-route"] == route
    assert upstream.requests[0].body["model"] == upstream_model


def test_subagent_marker_never_reaches_the_upstream(
    wire: tuple[ScriptedOpenAIUpstream, ThreadedApp],
) -> None:
    upstream, gateway = wire
    upstream.reset()
    client = anthropic.Anthropic(base_url=gateway.url, api_key="client-key", max_retries=0)
    raw = client.messages.with_raw_response.create(
        model="claude-sonnet-4-5",
        max_tokens=100,
        system=[
            {"type": "text", "text": "You are Claude Code."},
            {"type": "text", "text": f"{MARKER}\nYou review code."},
        ],
        messages=[{"role": "user", "content": "review this"}],
    )
    assert raw.headers["x-crosswire-route"] == "sub(subagent)"
    sent = upstream.requests[0].body
    assert sent["model"] == "sub-upstream"
    system_text = " ".join(
        m["content"] if isinstance(m["content"], str) else str(m["content"])
        for m in sent["messages"]
        if m["role"] == "system"
    )
    assert "CCR-SUBAGENT-MODEL" not in system_text
    assert "You review code." in system_text
