"""The same-format fast path: a client whose format the upstream speaks, with no quirks in the
way, is relayed untranslated (model rewritten, unknown fields kept, bytes back as they came)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
from aiohttp import web

from tests.support.servers import (
    Reply,
    ScriptedOpenAIUpstream,
    ThreadedApp,
    chat_completion,
    chunk,
    start_gateway,
)


@pytest.fixture(scope="module")
def chat_upstream() -> Iterator[ScriptedOpenAIUpstream]:
    upstream = ScriptedOpenAIUpstream().start()
    yield upstream
    upstream.stop()


class AnthropicEcho:
    """A minimal api.anthropic.com stand-in that records bodies and headers."""

    def __init__(self) -> None:
        self.seen: list[tuple[dict[str, str], Any]] = []
        app = web.Application()
        app.router.add_post("/v1/messages", self.handle)
        self.server = ThreadedApp(app).start()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.seen.append((dict(request.headers), body))
        return web.json_response(
            {
                "id": "msg_upstream",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": [{"type": "text", "text": "relayed"}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 3, "output_tokens": 1},
                "upstream_only_field": {"kept": True},
            }
        )


def _config(chat_url: str, anthropic_url: str, passthrough: str = "true") -> str:
    return f"""
[providers.plain]
type = "openai"
base_url = "{chat_url}"
api_key = "sk-upstream-plain-key-0001"
passthrough = {passthrough}
[providers.claude]
type = "anthropic"
base_url = "{anthropic_url}"
api_key = "sk-ant-upstream-key-0001"
profile = "anthropic"
[models.chat]
provider = "plain"
model = "served-model"
max_context_size = 100000
[models.claude]
provider = "claude"
model = "claude-upstream-name"
max_context_size = 200000
"""


@pytest.fixture(scope="module")
def anthropic_upstream() -> Iterator[AnthropicEcho]:
    upstream = AnthropicEcho()
    yield upstream
    upstream.server.stop()


def test_chat_client_to_plain_openai_upstream_is_relayed_as_is(
    chat_upstream: ScriptedOpenAIUpstream, anthropic_upstream: AnthropicEcho
) -> None:
    gateway = start_gateway(_config(chat_upstream.base_url, anthropic_upstream.server.url))
    try:
        chat_upstream.reset(Reply(json_body={**chat_completion("hi"), "vendor_extra": 7}))
        client = openai.OpenAI(base_url=gateway.url + "/v1", api_key="client-key", max_retries=0)
        raw = client.chat.completions.with_raw_response.create(
            model="chat",
            messages=[{"role": "user", "content": "hello"}],
            logit_bias={"50256": -100},
            extra_body={"vendor_knob": {"a": 1}},
        )
        completion = raw.parse()
        [seen] = chat_upstream.requests
        assert raw.headers["x-crosswire-passthrough"] == "1"
        assert seen.body["model"] == "served-model"
        assert seen.body["vendor_knob"] == {"a": 1}  # unknown fields pass through
        assert seen.body["logit_bias"] == {"50256": -100}
        assert seen.headers["Authorization"] == "Bearer sk-upstream-plain-key-0001"
        assert "client-key" not in json.dumps(seen.headers)
        assert completion.choices[0].message.content == "hi"
        assert completion.model == "chat"  # the client's name, as after translation
        assert completion.model_extra is not None and completion.model_extra["vendor_extra"] == 7
    finally:
        gateway.stop()


def test_streams_are_relayed_byte_for_byte(
    chat_upstream: ScriptedOpenAIUpstream, anthropic_upstream: AnthropicEcho
) -> None:
    gateway = start_gateway(_config(chat_upstream.base_url, anthropic_upstream.server.url))
    try:
        chat_upstream.reset(
            Reply(chunks=[chunk({"role": "assistant", "content": "a"}), chunk({}, "stop")])
        )
        client = openai.OpenAI(base_url=gateway.url + "/v1", api_key="client-key", max_retries=0)
        stream = client.chat.completions.create(
            model="chat", messages=[{"role": "user", "content": "x"}], stream=True
        )
        chunks = list(stream)
        assert [c.choices[0].delta.content for c in chunks if c.choices] == ["a", None]
        assert chunks[0].model == "upstream-model"  # streamed bytes are not rewritten
        assert chat_upstream.requests[0].body["stream"] is True
        assert "stream_options" not in chat_upstream.requests[0].body  # not added: as-is
    finally:
        gateway.stop()


def test_passthrough_can_be_switched_off(
    chat_upstream: ScriptedOpenAIUpstream, anthropic_upstream: AnthropicEcho
) -> None:
    config = _config(chat_upstream.base_url, anthropic_upstream.server.url, passthrough="false")
    gateway = start_gateway(config)
    try:
        chat_upstream.reset(Reply.text("translated"))
        client = openai.OpenAI(base_url=gateway.url + "/v1", api_key="client-key", max_retries=0)
        raw = client.chat.completions.with_raw_response.create(
            model="chat",
            messages=[{"role": "user", "content": "hello"}],
            extra_body={"vendor_knob": 1},
        )
        assert "x-crosswire-passthrough" not in raw.headers
        assert "vendor_knob" not in chat_upstream.requests[0].body
        assert raw.parse().choices[0].message.content == "translated"
    finally:
        gateway.stop()


def test_anthropic_client_to_first_party_anthropic_is_relayed_as_is(
    chat_upstream: ScriptedOpenAIUpstream, anthropic_upstream: AnthropicEcho
) -> None:
    gateway = start_gateway(_config(chat_upstream.base_url, anthropic_upstream.server.url))
    try:
        client = anthropic.Anthropic(base_url=gateway.url, api_key="client-key", max_retries=0)
        raw = client.messages.with_raw_response.create(
            model="claude",
            max_tokens=10,
            messages=[{"role": "user", "content": "hi"}],
            extra_body={"context_management": {"edits": []}},
        )
        message = raw.parse()
        headers, body = anthropic_upstream.seen[-1]
        assert raw.headers["x-crosswire-passthrough"] == "1"
        assert body["model"] == "claude-upstream-name"
        assert body["context_management"] == {"edits": []}
        assert headers["x-api-key"] == "sk-ant-upstream-key-0001"
        assert "client-key" not in json.dumps(headers)
        assert message.content[0].text == "relayed"  # type: ignore[union-attr]
        assert message.model == "claude"
    finally:
        gateway.stop()


def test_quirky_profiles_are_translated(anthropic_upstream: AnthropicEcho) -> None:
    upstream = ScriptedOpenAIUpstream().start()
    config = f"""
[providers.kimi]
type = "kimi"
base_url = "{upstream.base_url}"
api_key = "sk-kimi-upstream-0001"
[models.k]
provider = "kimi"
model = "kimi-k2.6"
max_context_size = 100000
capabilities = ["thinking"]
"""
    gateway = start_gateway(config)
    try:
        upstream.reset(Reply.text("ok"))
        client = openai.OpenAI(base_url=gateway.url + "/v1", api_key="client-key", max_retries=0)
        raw = client.chat.completions.with_raw_response.create(
            model="k", messages=[{"role": "user", "content": "x"}], temperature=0.2
        )
        assert "x-crosswire-passthrough" not in raw.headers
        assert "temperature" not in upstream.requests[0].body  # Kimi fixes it server-side
        assert upstream.requests[0].body["thinking"] == {"type": "disabled"}
    finally:
        gateway.stop()
        upstream.stop()
