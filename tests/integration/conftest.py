"""Fixtures for the integration tests: one scripted OpenAI upstream and a few gateways in front
of it (default ``openai`` profile, ``kimi``, ``nim``), started once per session.

Each test gets the shared upstream through the ``upstream`` fixture, which clears its script
and recorded requests first, so tests stay independent while servers start only once.
"""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import httpx2 as httpx
import pytest

from tests.support.servers import (
    ScriptedOpenAIUpstream,
    ThreadedApp,
    openai_gateway_config,
    start_gateway,
)


@pytest.fixture(scope="session")
def upstream_server() -> Iterator[ScriptedOpenAIUpstream]:
    server = ScriptedOpenAIUpstream().start()
    yield server
    server.stop()


@pytest.fixture
def upstream(upstream_server: ScriptedOpenAIUpstream) -> Iterator[ScriptedOpenAIUpstream]:
    upstream_server.reset()
    yield upstream_server
    upstream_server.reset()


def _gateway(upstream: ScriptedOpenAIUpstream, **kwargs: str) -> Iterator[ThreadedApp]:
    app = start_gateway(openai_gateway_config(upstream.base_url, **kwargs))
    yield app
    app.stop()


@pytest.fixture(scope="session")
def gateway(upstream_server: ScriptedOpenAIUpstream) -> Iterator[ThreadedApp]:
    yield from _gateway(upstream_server)


@pytest.fixture(scope="session")
def kimi_gateway(upstream_server: ScriptedOpenAIUpstream) -> Iterator[ThreadedApp]:
    yield from _gateway(upstream_server, profile="kimi")


@pytest.fixture(scope="session")
def nim_gateway(upstream_server: ScriptedOpenAIUpstream) -> Iterator[ThreadedApp]:
    yield from _gateway(upstream_server, profile="nim")


def _client(app: ThreadedApp) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=app.url, api_key="client-key", max_retries=0, timeout=20)


@pytest.fixture(scope="session")
def client(gateway: ThreadedApp) -> anthropic.Anthropic:
    return _client(gateway)


@pytest.fixture(scope="session")
def kimi_client(kimi_gateway: ThreadedApp) -> anthropic.Anthropic:
    return _client(kimi_gateway)


@pytest.fixture(scope="session")
def nim_client(nim_gateway: ThreadedApp) -> anthropic.Anthropic:
    return _client(nim_gateway)


@pytest.fixture(scope="session")
def raw(gateway: ThreadedApp) -> Iterator[httpx.Client]:
    """A plain HTTP client on the default gateway, for what the SDK hides (frames, headers)."""
    with httpx.Client(base_url=gateway.url, timeout=20) as http:
        yield http
