"""Servers for tests, each on its own event loop in a background thread, so synchronous SDK
clients (``anthropic.Anthropic``, ``openai.OpenAI``) and subprocess agents can call them.

- :class:`ScriptedOpenAIUpstream`: an OpenAI Chat Completions server that answers from a
  script of :class:`Reply` objects (or a function of the request) and records every request
  it receives, headers included, so tests assert what the upstream got.
- :func:`start_gateway`: crosswire itself, from a TOML config string.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from crosswire.config import loads_config
from crosswire.server import create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThreadedApp:
    """Run an aiohttp application on 127.0.0.1 in a daemon thread."""

    def __init__(self, app: web.Application, port: int | None = None) -> None:
        self.app = app
        self.port = port or free_port()
        self.loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ThreadedApp:
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("test server did not start")
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._runner = web.AppRunner(self.app, handler_cancellation=True, access_log=None)
        self.loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        self.loop.run_until_complete(site.start())
        self._started.set()
        self.loop.run_forever()

    def stop(self) -> None:
        if self._runner is not None:
            future = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop)
            future.result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


@dataclass
class Reply:
    """One scripted upstream answer."""

    status: int = 200
    json_body: Any = None
    """A JSON answer (non-streamed, or an error)."""
    chunks: list[Any] | None = None
    """A streamed answer: each item is a chunk dict (sent as ``data: {json}``), or raw
    ``bytes`` written as they are (to split frames, UTF-8 characters, send garbage)."""
    done: bool = True
    """Send ``data: [DONE]`` after the chunks."""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait between chunks."""

    @staticmethod
    def text(text: str, **usage: int) -> Reply:
        return Reply(json_body=chat_completion(text, **usage))


def chat_completion(
    text: str | None = None,
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    reasoning: str | None = None,
    finish_reason: str | None = None,
    prompt_tokens: int = 10,
    completion_tokens: int = 5,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "upstream-model",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": finish_reason or ("tool_calls" if tool_calls else "stop"),
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def chunk(
    delta: dict[str, Any] | None = None, finish_reason: str | None = None, **extra: Any
) -> dict[str, Any]:
    """One ``chat.completion.chunk``; ``chunk(usage=...)`` with no delta gives the usage chunk."""
    body: dict[str, Any] = {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "upstream-model",
        "choices": []
        if delta is None and finish_reason is None
        else [{"index": 0, "delta": delta or {}, "finish_reason": finish_reason}],
    }
    body.update(extra)
    return body


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any
    outcome: str = "pending"
    """``pending`` while answering, ``completed`` once the whole reply was written,
    ``disconnected`` when the client went away first (a write failed or the handler was
    cancelled)."""
    ended: threading.Event = field(default_factory=threading.Event, repr=False)
    """Set when the reply is over, whatever the outcome."""


class ScriptedOpenAIUpstream:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.script: list[Reply | Callable[[Any], Reply]] = []
        self.default: Reply | Callable[[Any], Reply] = Reply.text("default reply")
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._handle)
        self.server = ThreadedApp(app)

    @property
    def base_url(self) -> str:
        return self.server.url + "/v1"

    def start(self) -> ScriptedOpenAIUpstream:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def reset(self, *replies: Reply | Callable[[Any], Reply]) -> None:
        self.requests.clear()
        self.script = list(replies)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        recorded = Recorded(request.path, dict(request.headers), body)
        self.requests.append(recorded)
        reply = self.script.pop(0) if self.script else self.default
        if callable(reply):
            reply = reply(body)
        try:
            response = await self._answer(request, reply)
        except (ConnectionError, asyncio.CancelledError):
            recorded.outcome = "disconnected"
            raise
        else:
            recorded.outcome = "completed"
        finally:
            recorded.ended.set()
        return response

    async def _answer(self, request: web.Request, reply: Reply) -> web.StreamResponse:
        if reply.chunks is None:
            return web.json_response(reply.json_body, status=reply.status, headers=reply.headers)
        response = web.StreamResponse(
            status=reply.status,
            headers={"content-type": "text/event-stream", **reply.headers},
        )
        await response.prepare(request)
        for item in reply.chunks:
            if reply.delay:
                await asyncio.sleep(reply.delay)
            data = (
                item if isinstance(item, bytes) else b"data: " + json.dumps(item).encode() + b"\n\n"
            )
            await response.write(data)
        if reply.done:
            await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


def start_gateway(config_toml: str) -> ThreadedApp:
    config = loads_config(config_toml)
    return ThreadedApp(create_app(config)).start()


def openai_gateway_config(
    upstream_url: str,
    *,
    profile: str = "openai",
    capabilities: str = '["thinking", "image_in"]',
    extra: str = "",
) -> str:
    """A config with one OpenAI-format provider at ``upstream_url`` and a catch-all route."""
    return f"""
default_model = "main"
[server]
ping_interval = 0.5
log_level = "debug"
retries = 0  # these gateways show error mapping; tests/resilience covers retries
cooldown_after = 1000  # ... and cooldowns
[providers.up]
type = "openai"
base_url = "{upstream_url}"
api_key = "sk-upstream-secret-key-0001"
profile = "{profile}"
[models.main]
provider = "up"
model = "upstream-model"
max_context_size = 200000
capabilities = {capabilities}
{extra}
"""
