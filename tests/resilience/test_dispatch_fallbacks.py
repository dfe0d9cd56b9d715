"""Fallbacks before the first byte: a primary that answers 503 or 429, refuses connections,
or stalls before its first byte hands the request to the next model — also one on an upstream
of another format (Anthropic) — while a failure after the first byte stays an in-stream error.
A provider the breaker cooled down is skipped without being called.

Real time: the two stall cases wait out ``idle_timeout = 1.0`` s each; the rest is fast.
"""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import httpx2 as httpx
import openai
import pytest

from tests.resilience.dispatch_support import Upstreams, gateway_for, refused_url
from tests.support.servers import Reply, ScriptedOpenAIUpstream, chunk
from tests.support.upstreams import AnthropicUpstream, Expectation
from tests.support.upstreams.scenarios import SCENARIOS


@pytest.fixture(scope="module")
def servers() -> Iterator[Upstreams]:
    ups = Upstreams(
        ScriptedOpenAIUpstream().start(),
        ScriptedOpenAIUpstream().start(),
        AnthropicUpstream().start(),  # type: ignore[arg-type]
    )
    yield ups
    for server in (ups.primary, ups.backup, ups.claude):
        server.stop()


@pytest.fixture
def ups(servers: Upstreams) -> Iterator[Upstreams]:
    servers.primary.reset()
    servers.backup.reset()
    servers.claude.expect(None)
    yield servers


def _error(status: int, kind: str = "server_error", **headers: str) -> Reply:
    body = {"error": {"message": f"primary says {status}", "type": kind, "code": kind}}
    return Reply(status=status, json_body=body, headers=headers)


def _stream_text(text: str) -> Reply:
    return Reply(
        chunks=[
            chunk({"role": "assistant", "content": text}),
            chunk({}, finish_reason="stop"),
            chunk(usage={"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}),
        ]
    )


def _ask(url: str, stream: bool) -> str:
    client = anthropic.Anthropic(base_url=url, api_key="client-key", max_retries=0, timeout=20)
    kwargs = {
        "model": "main", "max_tokens": 100,
        "messages": [{"role": "user", "content": "hi"}],
    }  # fmt: skip
    if stream:
        with client.messages.stream(**kwargs) as events:  # type: ignore[arg-type]
            message = events.get_final_message()
    else:
        message = client.messages.create(**kwargs)  # type: ignore[arg-type]
    block = message.content[0]
    assert block.type == "text"
    return block.text


FAILURES = {
    "503": lambda: _error(503),
    "429": lambda: _error(429, "rate_limit_exceeded", **{"retry-after": "1"}),
    "stall-before-first-byte": lambda: Reply(
        chunks=[chunk({"role": "assistant", "content": "late"})], delay=3.0
    ),
}


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_primary_fails_backup_answers(ups: Upstreams, failure: str, stream: bool) -> None:
    ups.primary.reset(FAILURES[failure]())
    ups.backup.reset(_stream_text("from backup") if stream else Reply.text("from backup"))
    with gateway_for(ups) as app:
        assert _ask(app.url, stream) == "from backup"
    assert len(ups.primary.requests) == 1
    assert ups.backup.requests[0].body["model"] == "backup-model"


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_connection_refused_falls_back(ups: Upstreams, stream: bool) -> None:
    ups.backup.reset(_stream_text("from backup") if stream else Reply.text("from backup"))
    with gateway_for(ups, primary_url=refused_url()) as app:
        assert _ask(app.url, stream) == "from backup"


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_fallback_on_another_format(ups: Upstreams, stream: bool) -> None:
    """The OpenAI-format primary fails; the Anthropic-format fallback gets the same request,
    re-encoded, and answers an OpenAI client."""
    ups.primary.reset(_error(502))
    ups.claude.expect(Expectation("text", "openai_chat", stream))
    scenario = SCENARIOS["text"]
    with gateway_for(ups, fallbacks='["claude"]') as app:
        client = openai.OpenAI(base_url=f"{app.url}/v1", api_key="client-key", max_retries=0)
        messages = [{"role": "user", "content": scenario.prompt}]
        if stream:
            parts = client.chat.completions.create(
                model="main",
                messages=messages,
                stream=True,  # type: ignore[arg-type]
            )
            text = "".join(p.choices[0].delta.content or "" for p in parts if p.choices)
        else:
            answer = client.chat.completions.create(model="main", messages=messages)  # type: ignore[arg-type]
            text = answer.choices[0].message.content or ""
    assert ups.claude.failures == []
    assert text == "Hello from anthropic"
    assert len(ups.primary.requests) == 1


def test_error_in_first_stream_batch_falls_back(ups: Upstreams) -> None:
    ups.primary.reset(
        Reply(chunks=[{"error": {"message": "no capacity", "type": "server_error"}}], done=False)
    )
    ups.backup.reset(_stream_text("from backup"))
    with gateway_for(ups) as app:
        assert _ask(app.url, stream=True) == "from backup"


def test_failure_after_the_first_byte_is_an_in_stream_error(ups: Upstreams) -> None:
    ups.primary.reset(
        Reply(chunks=[chunk({"role": "assistant", "content": "Hel"}), b"data: {broken\n\n"])
    )
    with gateway_for(ups) as app:
        body = {
            "model": "main", "max_tokens": 100, "stream": True,
            "messages": [{"role": "user", "content": "hi"}],
        }  # fmt: skip
        answer = httpx.post(f"{app.url}/v1/messages", json=body, timeout=10)
    assert answer.status_code == 200
    assert '"text":"Hel"' in answer.text.replace(" ", "")
    assert "event: error" in answer.text
    assert ups.backup.requests == []  # too late to fall back


def test_non_fallback_errors_are_answered_as_they_are(ups: Upstreams) -> None:
    ups.primary.reset(_error(400, "invalid_request_error"))
    with gateway_for(ups) as app, pytest.raises(anthropic.BadRequestError):
        _ask(app.url, stream=False)
    assert ups.backup.requests == []


def test_every_candidate_failing_gives_the_last_error(ups: Upstreams) -> None:
    ups.primary.reset(_error(503))
    ups.backup.reset(_error(500))
    with gateway_for(ups) as app, pytest.raises(anthropic.InternalServerError) as caught:
        _ask(app.url, stream=False)
    assert caught.value.response.headers["x-should-retry"] == "false"


def test_cooled_down_provider_is_skipped(ups: Upstreams) -> None:
    """After one failure (``cooldown_after = 1``) the primary is cooling down: the next request
    goes straight to the fallback without calling it."""
    ups.primary.reset(_error(503), _error(503))
    ups.backup.reset(Reply.text("one"), Reply.text("two"))
    with gateway_for(ups, cooldown_after=1, server="cooldown_seconds = 60.0") as app:
        assert _ask(app.url, stream=False) == "one"
        assert _ask(app.url, stream=False) == "two"
    assert len(ups.primary.requests) == 1
