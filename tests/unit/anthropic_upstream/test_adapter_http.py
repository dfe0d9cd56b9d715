"""The Anthropic adapter behind the generic HTTP backend, against an in-process fake server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from crosswire.canonical import (
    Event,
    Message,
    MessageStop,
    OverloadedError,
    QuotaExceededError,
    Request,
    StopReason,
    TextPart,
    ToolCallPart,
)
from crosswire.upstream.anthropic import AnthropicAdapter
from crosswire.upstream.http_backend import HTTPBackend
from crosswire.upstream.pool import PoolSettings, UpstreamPool

from ..helpers import assert_grammar, collect
from .support import target
from .test_response_decoder import REPLY
from .test_stream_decoder import RECORDED

Answer = tuple[int, bytes, dict[str, str]]


class FakeAnthropic:
    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self.seen: list[tuple[str, dict[str, str], Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append((request.path, dict(request.headers), await request.json()))
        status, body, headers = self.answers.pop(0)
        return web.Response(status=status, body=body, headers=headers)


@asynccontextmanager
async def fake_server() -> AsyncIterator[tuple[FakeAnthropic, str]]:
    """A fake Anthropic endpoint on a free port (in the test's own event loop)."""
    server = FakeAnthropic()
    app = web.Application()
    app.router.add_post("/anthropic/v1/messages", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield server, f"http://127.0.0.1:{port}/anthropic"
    finally:
        await runner.cleanup()


async def backend_call(base_url: str, stream: bool) -> Any:
    pool = UpstreamPool(PoolSettings())
    backend = HTTPBackend(pool, AnthropicAdapter())
    request = Request(model="claude-x", messages=[Message("user", [TextPart("weather?")])])
    request.stream = stream
    tgt = target(base_url, model="up-model", profile="anthropic")
    try:
        if not stream:
            return await backend.complete(request, tgt)
        events: list[Event] = []
        async for batch in backend.stream(request, tgt):
            events += batch
        return events
    finally:
        await pool.close()


async def test_streamed_answer() -> None:
    async with fake_server() as (server, base_url):
        server.answers.append((200, RECORDED, {"content-type": "text/event-stream"}))
        events = await backend_call(base_url, stream=True)
    assert_grammar(events)
    assert [p.get("kind") for p in collect(events)] == ["thinking", "TextPart", "tool"]
    assert isinstance(events[-1], MessageStop) and events[-1].stop_reason is StopReason.TOOL_USE
    path, headers, body = server.seen[0]
    assert path == "/anthropic/v1/messages"
    assert headers["x-api-key"] == "sk-test-key" and headers["anthropic-version"] == "2023-06-01"
    assert body["stream"] is True and body["model"] == "up-model"


async def test_whole_answer() -> None:
    async with fake_server() as (server, base_url):
        answer = (200, json.dumps(REPLY).encode(), {"content-type": "application/json"})
        server.answers.append(answer)
        response = await backend_call(base_url, stream=False)
    assert response.model == "up-model"
    assert isinstance(response.parts[-1], ToolCallPart)


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (529, b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
         {"retry-after": "3"}, OverloadedError),
        (429, b'{"type":"error","error":{"type":"rate_limit_error","message":"spend limit hit"}}',
         {}, QuotaExceededError),
    ],
)  # fmt: skip
async def test_http_errors(
    status: int,
    body: bytes,
    headers: dict[str, str],
    expected: type[Exception],
) -> None:
    async with fake_server() as (server, base_url):
        server.answers.append((status, body, {"content-type": "application/json", **headers}))
        with pytest.raises(expected) as caught:
            await backend_call(base_url, stream=True)
    if headers:
        assert getattr(caught.value, "retry_after", None) == 3.0
