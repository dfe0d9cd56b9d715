"""The real ``openai`` SDK (``client.responses``) against the gateway, in process, in front of a
scripted Responses upstream: the whole Responses-to-Responses path over HTTP.

The gateway app gets its ``/v1/responses`` route and the ``openai_responses`` backend here,
the way the server and ``upstream/backend.py`` are to register them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

from crosswire import jsonutil
from crosswire.config import Config, ModelConfig, ProviderConfig
from crosswire.formats.openai_responses import CLIENT
from crosswire.server.app import create_app
from crosswire.server.handlers import generation_handler
from crosswire.upstream import backend as backends
from crosswire.upstream.http_backend import HTTPBackend
from crosswire.upstream.openai_responses import OpenAIResponsesAdapter
from crosswire.upstream.pool import UpstreamPool

from .test_upstream_decoders import openai_stream, response_body


class Upstream:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.status = 200

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.bodies.append(body)
        self.headers.append(dict(request.headers))
        if self.status != 200:
            error = {
                "error": {
                    "message": "You exceeded your current quota.",
                    "type": "insufficient_quota",
                    "code": "insufficient_quota",
                }
            }
            return web.json_response(error, status=self.status)
        if not body.get("stream"):
            return web.json_response(response_body())
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        for event in openai_stream():
            frame = f"event: {event['type']}\ndata: ".encode() + jsonutil.dumps(event) + b"\n\n"
            await response.write(frame)
        await response.write_eof()
        return response


@pytest_asyncio.fixture(loop_scope="function")
async def servers(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[Upstream, str]]:
    upstream = Upstream()
    upstream_app = web.Application()
    upstream_app.router.add_post("/v1/responses", upstream.handle)
    async with TestServer(upstream_app) as up:

        def factory(pool: UpstreamPool) -> backends.Backend:
            return HTTPBackend(pool, OpenAIResponsesAdapter())

        monkeypatch.setitem(backends.BACKENDS, "openai_responses", factory)
        provider = ProviderConfig(
            name="oai",
            type="openai_responses",
            base_url=str(up.make_url("/v1")),
            api_key="sk-upstream",
            passthrough=False,  # exercise the Responses codec both ways, not the relay
        )
        model = ModelConfig(
            alias="gpt-up",
            provider="oai",
            model="gpt-5.1-codex",
            max_context_size=400000,
            capabilities=frozenset({"thinking"}),
        )
        config = Config(
            default_model="gpt-up", providers={"oai": provider}, models={"gpt-up": model}
        )
        app = create_app(config)
        app.router.add_post("/v1/responses", generation_handler(CLIENT))
        async with TestServer(app) as gateway:
            yield upstream, str(gateway.make_url("/v1"))


def client(base_url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=base_url, api_key="client-key", max_retries=0)


async def test_sdk_stream_through_the_gateway(servers: tuple[Upstream, str]) -> None:
    upstream, base_url = servers
    async with client(base_url).responses.stream(
        model="gpt-up",
        input="fix the test",
        reasoning={"effort": "high", "summary": "auto"},
        include=["reasoning.encrypted_content"],
        store=False,
    ) as stream:
        kinds = [event.type async for event in stream]
        final = await stream.get_final_response()
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert [o.type for o in final.output] == [
        "reasoning",
        "message",
        "function_call",
        "function_call",
    ]
    reasoning = final.output[0]
    assert reasoning.type == "reasoning"
    assert (reasoning.id, reasoning.encrypted_content) == ("rs_1", "gAAAAABo-upstream-state")
    assert final.output_text == "I'll run both."
    call = final.output[3]
    assert call.type == "function_call"
    assert (call.call_id, call.name, call.arguments) == (
        "call_B",
        "mcp__github__get_issue",
        '{"number":12}',
    )
    assert final.usage is not None and final.usage.input_tokens_details.cached_tokens == 4096
    assert final.model == "gpt-up"
    (sent,) = upstream.bodies
    assert sent["model"] == "gpt-5.1-codex"
    assert sent["store"] is False and sent["stream"] is True
    assert sent["include"] == ["reasoning.encrypted_content"]
    assert sent["reasoning"] == {"effort": "high", "summary": "auto"}
    assert upstream.headers[0]["Authorization"] == "Bearer sk-upstream"

    # the SDK user replays the output by value with store=false: the reasoning goes back whole
    history = [item.model_dump(mode="json", exclude_none=True) for item in final.output]
    outputs = [
        {"type": "function_call_output", "call_id": "call_A", "output": "a.py"},
        {"type": "function_call_output", "call_id": "call_B", "output": "issue"},
    ]
    await client(base_url).responses.create(
        model="gpt-up",
        input=[{"role": "user", "content": "fix the test"}, *history, *outputs],  # type: ignore[list-item]
        reasoning={"effort": "high"},
        store=False,
    )
    replayed = upstream.bodies[1]["input"][1]
    assert replayed == {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [{"type": "summary_text", "text": "**Plan**\n\nRun tests.\n\n**Check issue**"}],
        "encrypted_content": "gAAAAABo-upstream-state",
    }


async def test_sdk_non_stream_and_errors(servers: tuple[Upstream, str]) -> None:
    upstream, base_url = servers
    response = await client(base_url).responses.create(model="anything", input="hi")
    assert response.status == "completed"
    assert [o.type for o in response.output] == [
        "reasoning",
        "message",
        "function_call",
        "function_call",
    ]
    upstream.status = 429
    with pytest.raises(openai.RateLimitError) as info:
        await client(base_url).responses.create(model="anything", input="hi")
    assert info.value.code == "insufficient_quota"
    assert info.value.response.headers["x-should-retry"] == "false"
    with pytest.raises(openai.BadRequestError, match="stateless"):
        await client(base_url).responses.create(
            model="anything", input="hi", previous_response_id="resp_1"
        )
