"""The context-window guard: ``max_tokens`` capped at ``max_output_size``, clamped to the room
left, a too-big request moved to ``[router] long_context``, and otherwise a context-length
error each client SDK recognises (Anthropic's "prompt is too long" wording, OpenAI's
``context_length_exceeded``). Also: the token estimate is computed at most once, and the cheap
bound never undercounts it. Fast (one scripted upstream, one gateway)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import anthropic
import httpx2 as httpx
import openai
import pytest

from crosswire.canonical import ContextLengthError, Message, Request, TextPart
from crosswire.config import ModelConfig
from crosswire.formats import anthropic as anthropic_format
from crosswire.formats.base import ClientContext
from crosswire.routing import InputTokens, fit_max_tokens
from crosswire.routing.context_guard import OUTPUT_FLOOR
from crosswire.tokens import estimate_request_tokens
from tests.support.servers import ScriptedOpenAIUpstream, ThreadedApp, start_gateway

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "claude_code"


def model(window: int = 10000, output: int | None = None) -> ModelConfig:
    return ModelConfig("m", "up", "m", max_context_size=window, max_output_size=output)


def text_request(words: int, max_tokens: int | None) -> Request:
    return Request("m", [Message("user", [TextPart("word " * words)])], max_tokens=max_tokens)


def test_max_tokens_capped_at_max_output_size() -> None:
    tokens = InputTokens(text_request(10, 50000))
    assert fit_max_tokens(model(200000, output=8192), 50000, tokens) == 8192
    assert not tokens.computed  # plainly fits: never counted


def test_max_tokens_clamped_to_the_room_left() -> None:
    req = text_request(6000, 8000)
    tokens = InputTokens(req)
    room = 10000 - estimate_request_tokens(req)
    assert fit_max_tokens(model(10000), 8000, tokens) == room
    assert room >= OUTPUT_FLOOR


def test_too_little_room_is_a_context_length_error() -> None:
    req = text_request(9500, 4000)
    with pytest.raises(ContextLengthError) as caught:
        fit_max_tokens(model(10000), 4000, InputTokens(req))
    used = estimate_request_tokens(req)
    assert caught.value.message == f"prompt is too long: {used} tokens > {10000 - 1024} maximum"


def test_the_estimate_runs_once() -> None:
    req = text_request(9000, 4000)
    tokens = InputTokens(req)
    first = tokens.estimate
    req.messages.append(Message("user", [TextPart("word " * 5000)]))  # not seen again: cached
    assert tokens.estimate == first
    assert tokens.exceeds(first - 1) and not tokens.exceeds(first)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("messages_*.json")), ids=lambda p: p.stem)
def test_cheap_bound_never_undercounts(path: Path) -> None:
    body = json.loads(path.read_text())
    req = anthropic_format.CLIENT.decode_request(body, ClientContext(query={}, headers={}))
    tokens = InputTokens(req)
    assert tokens.upper_bound >= tokens.estimate


# --- through the gateway ------------------------------------------------------------------

GUARD_CONFIG = """
default_model = "small"
[server]
retries = 0
ping_interval = 0.5
[providers.up]
type = "openai"
base_url = "{url}"
api_key = "sk-upstream-secret-key-0001"
profile = "openai"
[models.small]
provider = "up"
model = "small-upstream"
max_context_size = 8000
max_output_size = 4000
[models.big]
provider = "up"
model = "big-upstream"
max_context_size = 40000
[models.lonely]
provider = "up"
model = "lonely-upstream"
max_context_size = 8000
[router]
long_context = "big"
long_context_threshold = 100000
"""


@pytest.fixture(scope="module")
def gateway() -> Iterator[tuple[ScriptedOpenAIUpstream, ThreadedApp]]:
    upstream = ScriptedOpenAIUpstream().start()
    app = start_gateway(GUARD_CONFIG.format(url=upstream.base_url))
    yield upstream, app
    app.stop()
    upstream.stop()


def _messages(words: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": "word " * words}]


def test_clamped_on_the_wire(gateway: tuple[ScriptedOpenAIUpstream, ThreadedApp]) -> None:
    upstream, app = gateway
    upstream.reset()
    client = anthropic.Anthropic(base_url=app.url, api_key="client-key", max_retries=0)
    raw = client.messages.with_raw_response.create(
        model="small", max_tokens=16000, messages=_messages(10)
    )
    assert raw.headers["x-crosswire-route"] == "small(alias)"
    assert upstream.requests[0].body["max_tokens"] == 4000  # max_output_size
    upstream.reset()  # too big for "big", which is the long_context model itself: clamped
    client.messages.create(model="big", max_tokens=3000, messages=_messages(38000))
    sent = upstream.requests[0].body["max_tokens"]
    assert OUTPUT_FLOOR <= sent < 3000  # the room the window leaves


def test_too_big_moves_to_long_context(gateway: tuple[ScriptedOpenAIUpstream, ThreadedApp]) -> None:
    upstream, app = gateway
    upstream.reset()
    body = {"model": "small", "max_tokens": 4000, "messages": _messages(9000)}
    answer = httpx.post(f"{app.url}/v1/messages", json=body, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-crosswire-route"] == "big(long_context:guard)"
    assert upstream.requests[0].body["model"] == "big-upstream"
    assert upstream.requests[0].body["max_tokens"] == 4000


def test_context_error_in_anthropic_shape(
    gateway: tuple[ScriptedOpenAIUpstream, ThreadedApp],
) -> None:
    upstream, app = gateway
    upstream.reset()
    client = anthropic.Anthropic(base_url=app.url, api_key="client-key", max_retries=0)
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(model="big", max_tokens=1000, messages=_messages(45000))
    error = caught.value
    assert error.body["error"]["type"] == "invalid_request_error"
    message = error.body["error"]["message"]
    assert message.startswith("prompt is too long: ")
    assert message.endswith(f"tokens > {40000 - 1000} maximum")
    assert error.response.headers["x-should-retry"] == "false"
    assert upstream.requests == []


def test_context_error_in_openai_shape(
    gateway: tuple[ScriptedOpenAIUpstream, ThreadedApp],
) -> None:
    upstream, app = gateway
    upstream.reset()
    client = openai.OpenAI(base_url=f"{app.url}/v1", api_key="client-key", max_retries=0)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="lonely", max_tokens=500, messages=_messages(45000))  # type: ignore[arg-type]
    assert caught.value.code == "context_length_exceeded"
    assert "prompt is too long" in caught.value.message
    assert upstream.requests == []
