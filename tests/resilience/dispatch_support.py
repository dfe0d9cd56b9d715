"""Gateways for the dispatcher tests: a primary OpenAI-format provider, an OpenAI-format
fallback and an Anthropic-format fallback, each a scripted upstream, with the ``[server]``
retry settings a test asks for. A fresh gateway per test keeps breaker and budget state apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tests.support.servers import ScriptedOpenAIUpstream, ThreadedApp, free_port, start_gateway
from tests.support.upstreams import AnthropicUpstream
from tests.support.upstreams.scenarios import UPSTREAM_KEYS, UPSTREAM_MODELS


@dataclass
class Upstreams:
    primary: ScriptedOpenAIUpstream
    backup: ScriptedOpenAIUpstream
    claude: AnthropicUpstream


def dispatch_config(
    ups: Upstreams,
    *,
    fallbacks: str = '["backup"]',
    primary_url: str | None = None,
    server: str = "",
    cooldown_after: int = 1000,
    retries: int = 0,
    retry_budget: float = 0.2,
) -> str:
    return f"""
default_model = "main"
[server]
ping_interval = 5.0
idle_timeout = 1.0
retries = {retries}
retry_budget = {retry_budget}
cooldown_after = {cooldown_after}
{server}
[providers.primary]
type = "openai"
base_url = "{primary_url or ups.primary.base_url}"
api_key = "sk-primary-secret-key-0001"
profile = "openai"
[providers.backup]
type = "openai"
base_url = "{ups.backup.base_url}"
api_key = "sk-backup-secret-key-0002"
profile = "openai"
[providers.claude]
type = "anthropic"
base_url = "{ups.claude.url}"
api_key = "{UPSTREAM_KEYS["anthropic"]}"
profile = "anthropic"
[models.main]
provider = "primary"
model = "primary-model"
max_context_size = 200000
fallbacks = {fallbacks}
[models.backup]
provider = "backup"
model = "backup-model"
max_context_size = 200000
[models.claude]
provider = "claude"
model = "{UPSTREAM_MODELS["anthropic"]}"
max_context_size = 200000
"""


@contextmanager
def gateway_for(ups: Upstreams, **kwargs: Any) -> Iterator[ThreadedApp]:
    app = start_gateway(dispatch_config(ups, **kwargs))
    try:
        yield app
    finally:
        app.stop()


def refused_url() -> str:
    """A base URL nobody listens on (connection refused)."""
    return f"http://127.0.0.1:{free_port()}/v1"
