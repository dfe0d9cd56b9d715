"""upstream/gemini.py: URLs, credentials and a real HTTP round trip through HTTPBackend."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from crosswire.canonical import (
    AuthenticationError,
    Event,
    GatewayError,
    Message,
    MessageStop,
    RateLimitError,
    Request,
    StopReason,
    TextPart,
)
from crosswire.config import ModelConfig, ProviderConfig
from crosswire.routing import Target
from crosswire.upstream.gemini import GoogleGenAIAdapter, VertexAIAdapter
from crosswire.upstream.http_backend import HTTPBackend
from crosswire.upstream.pool import PoolSettings, UpstreamPool

from ..helpers import assert_grammar, collect

KEY = "AIzaSyTESTKEY0123456789"


def target(
    provider_type: str = "google-genai", model: str = "gemini-2.5-flash", **kw: Any
) -> Target:
    provider = ProviderConfig(name="g", type=provider_type, **kw)
    model_config = ModelConfig(
        alias="gem", provider="g", model=model, max_context_size=1_000_000, max_output_size=65536
    )
    return Target("gem", model_config, provider, "alias")


def request(stream: bool = False, max_tokens: int | None = None) -> Request:
    return Request(
        model="claude-x",
        messages=[Message("user", [TextPart("hi")])],
        stream=stream,
        max_tokens=max_tokens,
    )


def test_developer_api_url_and_key_header() -> None:
    adapter = GoogleGenAIAdapter()
    url, body, headers = adapter.call(request(), target(api_key=KEY))
    assert url == (
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
    )
    assert KEY not in url
    assert headers["x-goog-api-key"] == KEY and "authorization" not in headers
    assert json.loads(body) == {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    url, _, _ = adapter.call(request(stream=True), target(api_key=KEY, base_url="http://h/v1beta/"))
    assert url == "http://h/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"


def test_custom_headers_and_output_cap() -> None:
    t = target(api_key=KEY, custom_headers={"x-team": "a"}, model="models/gemini-2.5-pro")
    url, body, headers = GoogleGenAIAdapter().call(request(max_tokens=128000), t)
    assert "/models/gemini-2.5-pro:" in url
    assert headers["x-team"] == "a"
    assert json.loads(body)["generationConfig"] == {"maxOutputTokens": 65536}


def test_vertex_project_and_location_from_env() -> None:
    t = target(
        "vertexai", api_key="ya29.token",
        env={"GOOGLE_CLOUD_PROJECT": "proj-1", "GOOGLE_CLOUD_LOCATION": "us-central1"},
    )  # fmt: skip
    url, _, headers = VertexAIAdapter().call(request(stream=True), t)
    assert url == (
        "https://us-central1-aiplatform.googleapis.com/v1/projects/proj-1/locations/us-central1"
        "/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    )
    assert headers["authorization"] == "Bearer ya29.token"
    assert headers["x-goog-user-project"] == "proj-1"
    global_url, _, _ = VertexAIAdapter().call(
        request(), target("vertexai", api_key="t", env={"GOOGLE_CLOUD_PROJECT": "p"})
    )
    assert global_url.startswith(
        "https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/google/"
    )


def test_vertex_from_base_url_and_express_mode() -> None:
    base = "https://europe-west4-aiplatform.googleapis.com/v1/projects/p9/locations/europe-west4"
    url, _, headers = VertexAIAdapter().call(
        request(), target("vertexai", api_key="tok", base_url=base)
    )
    assert url == f"{base}/publishers/google/models/gemini-2.5-flash:generateContent"
    assert headers["x-goog-user-project"] == "p9"
    url, _, headers = VertexAIAdapter().call(request(), target("vertexai", api_key=KEY))
    assert url == (
        "https://aiplatform.googleapis.com/v1/publishers/google/models/gemini-2.5-flash"
        ":generateContent"
    )
    assert headers["x-goog-api-key"] == KEY and "authorization" not in headers
    assert KEY not in url


def test_vertex_without_a_project_is_a_clear_error() -> None:
    with pytest.raises(GatewayError, match="GOOGLE_CLOUD_PROJECT"):
        VertexAIAdapter().call(request(), target("vertexai", api_key="ya29.token"))


def test_vertex_relays_labels_from_gemini_clients() -> None:
    req = request()
    req.client_format, req.extra = "gemini", {"labels": {"team": "a"}}
    t = target("vertexai", api_key="t", env={"GOOGLE_CLOUD_PROJECT": "p"})
    assert json.loads(VertexAIAdapter().call(req, t)[1])["labels"] == {"team": "a"}
    assert "labels" not in json.loads(GoogleGenAIAdapter().call(req, target(api_key=KEY))[1])


# --------------------------------------------------------------------------- over HTTP

STREAM_BODY = (
    b'data: {"candidates": [{"content": {"parts": [{"text": "Let me "}],"role": "model"},'
    b'"index": 0}],"modelVersion": "gemini-2.5-flash","responseId": "r-1"}\r\n\r\n'
    b'data: {"candidates": [{"content": {"parts": [{"text": "check."},{"functionCall": '
    b'{"name": "Bash","args": {"command": "ls"}},"thoughtSignature": "AAAA"}],"role": "model"},'
    b'"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 10,'
    b'"candidatesTokenCount": 5,"totalTokenCount": 21,"thoughtsTokenCount": 6},'
    b'"modelVersion": "gemini-2.5-flash","responseId": "r-1"}\r\n\r\n'
)


@asynccontextmanager
async def fake_gemini() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    async def handle(req: web.Request) -> web.StreamResponse:
        seen.append({"path": req.path_qs, "headers": dict(req.headers), "body": await req.json()})
        if req.headers.get("x-goog-api-key") != KEY:
            error = {"error": {"code": 400, "message": "API key not valid.",
                               "status": "INVALID_ARGUMENT",
                               "details": [{"reason": "API_KEY_INVALID"}]}}  # fmt: skip
            return web.json_response(error, status=400)
        if req.match_info["model"] == "busy":
            error = {"error": {"code": 429, "message": "slow", "status": "RESOURCE_EXHAUSTED",
                               "details": [{"retryDelay": "7s"}]}}  # fmt: skip
            return web.json_response(error, status=429)
        if req.match_info["method"] == "streamGenerateContent":
            response = web.StreamResponse(headers={"content-type": "text/event-stream"})
            await response.prepare(req)
            for piece in (STREAM_BODY[:50], STREAM_BODY[50:131], STREAM_BODY[131:]):
                await response.write(piece)
            return response
        body = {
            "candidates": [{"content": {"role": "model", "parts": [{"text": "hello"}]},
                            "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1,
                              "totalTokenCount": 4},
            "responseId": "r-2", "modelVersion": "gemini-2.5-flash",
        }  # fmt: skip
        return web.json_response(body)

    app = web.Application()
    app.router.add_post("/v1beta/models/{model}:{method}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/v1beta", seen
    finally:
        await runner.cleanup()


async def test_http_round_trip() -> None:
    async with fake_gemini() as (base, seen):
        await _round_trip(base, seen)


async def _round_trip(base: str, seen: list[dict[str, Any]]) -> None:
    pool = UpstreamPool(PoolSettings(connect_timeout=5, idle_timeout=5))
    backend = HTTPBackend(pool, GoogleGenAIAdapter())
    try:
        response = await backend.complete(request(), target(api_key=KEY, base_url=base))
        assert response.parts == [TextPart("hello")] and response.id == "r-2"
        events: list[Event] = []
        async for batch in backend.stream(request(stream=True), target(api_key=KEY, base_url=base)):
            events += batch
        assert_grammar(events)
        parts = collect(events)
        assert [p["kind"] for p in parts] == ["TextPart", "thinking", "tool"]
        assert parts[0]["text"] == "Let me check." and parts[1]["signature"] == "AAAA"
        stop = events[-1]
        assert isinstance(stop, MessageStop) and stop.stop_reason is StopReason.TOOL_USE
        assert stop.usage.output_tokens == 11 and stop.usage.reasoning_tokens == 6
        with pytest.raises(AuthenticationError):
            await backend.complete(request(), target(api_key="AIzaWRONG", base_url=base))
        busy = target(api_key=KEY, base_url=base, model="busy")
        with pytest.raises(RateLimitError) as caught:
            await backend.complete(request(), busy)
        assert caught.value.retry_after == 7.0
    finally:
        await pool.close()
    assert seen[0]["path"] == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert seen[1]["path"] == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    assert all(KEY not in s["path"] for s in seen)
    assert seen[0]["headers"]["x-goog-api-key"] == KEY
