"""Pacing and cooldown through the real gateway, against upstreams that enforce their limits.

The burst test runs in real time (~2 minutes: 100 requests at 40 rpm need three windows); the
others take a second or two.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.limited_upstream import LimitedUpstream
from tests.support.servers import Reply, ScriptedOpenAIUpstream, ThreadedApp, start_gateway

MESSAGE = {"model": "main", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
ANTHROPIC = {"anthropic-version": "2023-06-01", "x-api-key": "client-key"}


def config(upstream_url: str, limits: str, server: str = "") -> str:
    return f"""
default_model = "main"
[server]
retries = 0
{server}
[providers.up]
type = "openai"
base_url = "{upstream_url}"
api_key = "sk-upstream-secret-key-0001"
{limits}
[models.main]
provider = "up"
model = "upstream-model"
max_context_size = 200000
"""


@pytest.fixture
def gateway_for() -> Iterator[list[ThreadedApp]]:
    started: list[ThreadedApp] = []
    yield started
    for app in started:
        app.stop()


def send(url: str, count: int, timeout: float = 30.0) -> list[httpx.Response]:
    """``count`` Anthropic Messages requests at once, one thread each."""
    with (
        httpx.Client(
            base_url=url, timeout=timeout, limits=httpx.Limits(max_connections=count)
        ) as http,
        ThreadPoolExecutor(count) as pool,
    ):
        return list(
            pool.map(
                lambda _: http.post("/v1/messages", json=MESSAGE, headers=ANTHROPIC),
                range(count),
            )
        )


@pytest.mark.slow
def test_a_burst_of_100_at_40_rpm_gets_zero_upstream_429s(gateway_for: list[ThreadedApp]) -> None:
    upstream = LimitedUpstream(rpm=40).start()
    try:
        gateway = start_gateway(config(upstream.base_url, "rpm = 40\nmax_queue_wait = 300"))
        gateway_for.append(gateway)
        started = time.monotonic()
        responses = send(gateway.url, 100, timeout=300)
        elapsed = time.monotonic() - started
    finally:
        upstream.stop()
    assert [r.status_code for r in responses] == [200] * 100, responses[-1].text
    assert upstream.rejected == 0
    assert len(upstream.accepted) == 100
    assert upstream.max_in_any_window() <= 40
    assert 120 < elapsed < 200  # three windows: now, a minute later, two minutes later


def test_never_more_than_max_concurrency_in_flight(gateway_for: list[ThreadedApp]) -> None:
    upstream = LimitedUpstream(hold=0.3).start()
    try:
        gateway = start_gateway(config(upstream.base_url, "max_concurrency = 3"))
        gateway_for.append(gateway)
        responses = send(gateway.url, 12)
    finally:
        upstream.stop()
    assert [r.status_code for r in responses] == [200] * 12
    assert upstream.peak_in_flight == 3


def test_a_wait_over_the_bound_is_a_429_with_retry_after_in_the_clients_format(
    gateway_for: list[ThreadedApp],
) -> None:
    upstream = LimitedUpstream(rpm=1).start()
    try:
        gateway = start_gateway(config(upstream.base_url, "rpm = 1\nmax_queue_wait = 5"))
        gateway_for.append(gateway)
        with httpx.Client(base_url=gateway.url, timeout=10) as http:
            ok = http.post("/v1/messages", json=MESSAGE, headers=ANTHROPIC)
            started = time.monotonic()
            refused = http.post("/v1/messages", json=MESSAGE, headers=ANTHROPIC)
            waited = time.monotonic() - started
            chat = http.post(
                "/v1/chat/completions",
                json={"model": "main", "messages": [{"role": "user", "content": "hi"}]},
                headers={"authorization": "Bearer client-key"},
            )
    finally:
        upstream.stop()
    assert ok.status_code == 200
    assert waited < 2  # refused at once, not after waiting in vain
    assert refused.status_code == 429
    assert 50 <= int(refused.headers["retry-after"]) <= 61
    assert refused.json()["type"] == "error"
    assert refused.json()["error"]["type"] == "rate_limit_error"
    assert chat.status_code == 429
    assert int(chat.headers["retry-after"]) >= 50
    assert chat.json()["error"]["type"] in {"rate_limit_error", "rate_limit_exceeded", "requests"}
    assert len(upstream.accepted) == 1 and upstream.rejected == 0


def test_an_open_circuit_refuses_fast_without_calling_the_upstream(
    gateway_for: list[ThreadedApp],
) -> None:
    upstream = ScriptedOpenAIUpstream().start()
    upstream.default = Reply(
        status=503, json_body={"error": {"message": "down", "type": "server_error"}}
    )
    try:
        gateway = start_gateway(
            config(upstream.base_url, "", "cooldown_after = 2\ncooldown_seconds = 1.0")
        )
        gateway_for.append(gateway)
        with httpx.Client(base_url=gateway.url, timeout=10) as http:
            failures = [
                http.post("/v1/messages", json=MESSAGE, headers=ANTHROPIC) for _ in range(2)
            ]
            seen = len(upstream.requests)
            started = time.monotonic()
            cooling = [http.post("/v1/messages", json=MESSAGE, headers=ANTHROPIC) for _ in range(5)]
            fast = time.monotonic() - started
            assert len(upstream.requests) == seen  # none reached the upstream
            time.sleep(1.1)
            upstream.default = Reply.text("recovered")
            probe = http.post("/v1/messages", json=MESSAGE, headers=ANTHROPIC)
            after = http.post("/v1/messages", json=MESSAGE, headers=ANTHROPIC)
    finally:
        upstream.stop()
    assert all(r.status_code >= 500 for r in failures)
    assert all(r.status_code in {429, 503, 529} for r in cooling), [r.status_code for r in cooling]
    assert all(r.json()["type"] == "error" for r in cooling)
    assert fast < 1.0
    assert probe.status_code == 200 and after.status_code == 200
