"""Credentials: the client's key stays at the gateway, the upstream key stays upstream."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anthropic
import httpx2 as httpx
import pytest

from tests.support.servers import Reply, ScriptedOpenAIUpstream, ThreadedApp

from ._helpers import ANTHROPIC_HEADERS, MODEL, UPSTREAM_KEY, text_chunks

REQUEST: dict[str, Any] = {
    "model": MODEL,
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "hi"}],
}


def _assert_only_upstream_key(headers: dict[str, str], client_secret: str) -> None:
    lowered = {k.lower(): v for k, v in headers.items()}
    assert lowered["authorization"] == f"Bearer {UPSTREAM_KEY}"
    assert "x-api-key" not in lowered
    assert "anthropic-version" not in lowered
    assert not any(client_secret in v for v in lowered.values())


def test_client_x_api_key_never_reaches_upstream(
    gateway: ThreadedApp, upstream: ScriptedOpenAIUpstream
) -> None:
    upstream.reset(Reply.text("one"), Reply(chunks=text_chunks("two")))
    client = anthropic.Anthropic(
        base_url=gateway.url, api_key="sk-ant-client-secret-1234", max_retries=0
    )

    message = client.messages.create(**REQUEST)
    with client.messages.stream(**REQUEST) as stream:
        streamed = stream.get_final_message()

    assert message.content[0].text == "one"
    assert streamed.content[0].text == "two"
    assert len(upstream.requests) == 2
    for seen in upstream.requests:
        _assert_only_upstream_key(seen.headers, "sk-ant-client-secret-1234")


def test_client_bearer_token_never_reaches_upstream(
    gateway: ThreadedApp, upstream: ScriptedOpenAIUpstream
) -> None:
    """Claude Code with ``ANTHROPIC_AUTH_TOKEN`` sends ``Authorization: Bearer …``."""
    upstream.reset(Reply.text("ok"))
    client = anthropic.Anthropic(
        base_url=gateway.url, api_key=None, auth_token="client-bearer-token-5678", max_retries=0
    )

    message = client.messages.create(**REQUEST)

    assert message.content[0].text == "ok"
    [seen] = upstream.requests
    _assert_only_upstream_key(seen.headers, "client-bearer-token-5678")


def _exchanges(
    raw: httpx.Client, upstream: ScriptedOpenAIUpstream
) -> list[tuple[str, Callable[[], httpx.Response]]]:
    def post(body: Any = REQUEST, reply: Reply | None = None, **extra: Any) -> httpx.Response:
        if reply is not None:
            upstream.reset(reply)
        return raw.post("/v1/messages", json={**body, **extra}, headers=ANTHROPIC_HEADERS)

    return [
        ("text", lambda: post(reply=Reply.text("fine"))),
        ("stream", lambda: post(reply=Reply(chunks=text_chunks("fi", "ne")), stream=True)),
        (
            "429",
            lambda: post(
                reply=Reply(
                    status=429,
                    json_body={"error": {"message": "slow down", "code": "rate_limit"}},
                    headers={"retry-after": "3"},
                )
            ),
        ),
        (
            "401",
            lambda: post(
                reply=Reply(
                    status=401,
                    json_body={"error": {"message": "Incorrect API key provided: sk-upstr***0001"}},
                )
            ),
        ),
        ("bad-json", lambda: raw.post("/v1/messages", content=b"{", headers=ANTHROPIC_HEADERS)),
        ("models", lambda: raw.get("/v1/models", headers=ANTHROPIC_HEADERS)),
        ("models-openai", lambda: raw.get("/v1/models")),
        ("health", lambda: raw.get("/health")),
        (
            "count",
            lambda: raw.post("/v1/messages/count_tokens", json=REQUEST, headers=ANTHROPIC_HEADERS),
        ),
    ]


def test_upstream_key_never_in_gateway_responses(
    raw: httpx.Client, upstream: ScriptedOpenAIUpstream
) -> None:
    for name, exchange in _exchanges(raw, upstream):
        response = exchange()
        assert UPSTREAM_KEY not in response.text, name
        assert "upstream-secret" not in response.text, name
        for header, value in response.headers.items():
            assert UPSTREAM_KEY not in value, (name, header)
    assert all(r.headers["Authorization"] == f"Bearer {UPSTREAM_KEY}" for r in upstream.requests)


@pytest.mark.parametrize("streamed", [False, True], ids=["create", "stream"])
def test_upstream_key_quoted_in_upstream_error_is_redacted(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream, streamed: bool
) -> None:
    """Some OpenAI-compatible servers echo the whole key in their 401 message."""
    upstream.reset(
        Reply(
            status=401,
            json_body={"error": {"message": f"Incorrect API key provided: {UPSTREAM_KEY}"}},
        )
    )

    with pytest.raises(anthropic.APIStatusError) as caught:
        if streamed:
            with client.messages.stream(**REQUEST) as stream:
                stream.get_final_message()
        else:
            client.messages.create(**REQUEST)

    assert len(upstream.requests) == 1
    assert caught.value.response.status_code >= 400
    assert UPSTREAM_KEY not in caught.value.response.text
