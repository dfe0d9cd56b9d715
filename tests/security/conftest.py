"""A scripted OpenAI upstream and gateways with keys in front of it, started once per session."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2 as httpx
import pytest

from tests.support.servers import ScriptedOpenAIUpstream, ThreadedApp, start_gateway

from ._formats import GATEWAY_KEY, OTHER_KEY, UPSTREAM_KEY


def keyed_config(upstream_url: str, server_extra: str = "") -> str:
    return f"""
default_model = "main"
[server]
ping_interval = 0.5
log_level = "debug"
max_messages = 50
max_tools = 20
{server_extra}
[server.keys.alpha]
key = "{GATEWAY_KEY}"
[server.keys.bravo]
key = "{OTHER_KEY}"
models = ["main", "claude-*"]
rpm = 3
[providers.up]
type = "openai"
base_url = "{upstream_url}"
api_key = "{UPSTREAM_KEY}"
[models.main]
provider = "up"
model = "upstream-model"
max_context_size = 200000
[models.other]
provider = "up"
model = "other-model"
max_context_size = 200000
[routes]
"claude-*" = "main"
"gpt-*" = "other"
"""


@pytest.fixture(scope="session")
def sec_upstream_server() -> Iterator[ScriptedOpenAIUpstream]:
    server = ScriptedOpenAIUpstream().start()
    yield server
    server.stop()


@pytest.fixture
def sec_upstream(sec_upstream_server: ScriptedOpenAIUpstream) -> Iterator[ScriptedOpenAIUpstream]:
    sec_upstream_server.reset()
    yield sec_upstream_server
    sec_upstream_server.reset()


@pytest.fixture(scope="session")
def keyed_gateway(sec_upstream_server: ScriptedOpenAIUpstream) -> Iterator[ThreadedApp]:
    app = start_gateway(keyed_config(sec_upstream_server.base_url))
    yield app
    app.stop()


@pytest.fixture(scope="session")
def keyed(keyed_gateway: ThreadedApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=keyed_gateway.url, timeout=20) as http:
        yield http
