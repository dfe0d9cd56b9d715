"""A misbehaving upstream for fault-injection tests, plus the gateway config and wire helpers
the ``tests/resilience/test_faults_*`` modules share.

:class:`ChaosUpstream` serves both ``POST /v1/chat/completions`` (OpenAI Chat) and
``POST /v1/messages`` (Anthropic) on one port. What it does to a request is scripted *by the
request itself*: the first ``chaos:<fault>`` found in the body picks the fault (``ok`` when
there is none). Requests therefore script themselves, which keeps hundreds of concurrent
mixed requests in the leak test independent of each other; the marker sits in the user's
message, so it survives translation and the same-format relay alike.

======================= ================================================================
fault                   what the upstream does (stream / non-stream when they differ)
======================= ================================================================
``ok``                  a normal answer ("Hello from chaos")
``long``                a normal answer slowly: :data:`LONG_FRAMES` deltas, 10 ms apart
``status_429``          429 with ``Retry-After: 1`` and the format's error envelope
``status_429_bare``     429 without any retry header
``status_500/502/503``  that status, with the format's error envelope
``status_529``          529 (Anthropic's "overloaded")
``stall_first``         nothing at all (no status line) for :attr:`ChaosUpstream.stall` s
``stall_body``          status and headers, then silence
``stall_mid``           a few frames / half the body, then silence
``reset_mid``           a few frames / half the body, then ``transport.abort()``
``garbage_lines``       non-SSE lines and comments between good frames / a 200 HTML page
``bad_data``            a few frames, then ``data: {not json`` / a 200 body that is not JSON
``bad_data_first``      ``data: <html>…`` as the very first frame / as ``bad_data``
``truncated_json``      a few frames, then half a JSON frame and EOF / half the JSON body
``no_done``             frames, then EOF with no finish / ``[DONE]`` / ``message_stop`` —
                        non-stream: a well-formed JSON answer with no choices / content
======================= ================================================================
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.servers import ThreadedApp, chat_completion, chunk
from tests.support.upstreams.base import sse

FAULTS = (
    "ok", "long", "status_429", "status_429_bare", "status_500", "status_502", "status_503",
    "status_529", "stall_first", "stall_body", "stall_mid", "reset_mid", "garbage_lines",
    "bad_data", "bad_data_first", "truncated_json", "no_done",
)  # fmt: skip
LONG_FRAMES = 300
"""Text deltas of the ``long`` fault (3 s at 10 ms apart): long enough to hang up on."""
UPSTREAM_KEY = "sk-upstream-secret-key-0001"
"""The providers' key (one the session-wide secret scan in ``tests/conftest.py`` knows)."""
_MARKER = re.compile(rb"chaos:([a-z0-9_]+)")
_HEAD = 3
_ABORTED = web.RequestKey("chaos_aborted", bool)
"""Frames sent before a mid-stream fault: the answer has started (text included)."""


@dataclass
class Hit:
    """One request the chaos upstream received, and what became of it."""

    fault: str
    format: str
    stream: bool
    outcome: str = "pending"
    """``completed``, ``disconnected`` (the gateway went away first) or ``aborted`` (we reset)."""
    ended: threading.Event = field(default_factory=threading.Event, repr=False)


class ChaosUpstream:
    """The scripted misbehaving upstream (see the module docstring)."""

    def __init__(self, stall: float = 3.0) -> None:
        self.stall = stall
        """Seconds a stall lasts: longer than any gateway ``idle_timeout`` in the tests."""
        self.hits: list[Hit] = []
        self.queue: list[str] = []
        """Faults for the next requests, taking precedence over their ``chaos:`` markers
        (to fail the first attempts of one request and let a retry through)."""
        self.in_flight = 0
        """Requests being answered right now (a stall the gateway forgot keeps this up)."""
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/messages", self._messages)
        self.server = ThreadedApp(app)

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> ChaosUpstream:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "openai")

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "anthropic")

    async def _serve(self, request: web.Request, fmt: str) -> web.StreamResponse:
        raw = await request.read()
        marker = _MARKER.search(raw)
        fault = marker.group(1).decode() if marker else "ok"
        if self.queue:
            fault = self.queue.pop(0)
        stream = bool(json.loads(raw).get("stream"))
        hit = Hit(fault, fmt, stream)
        self.hits.append(hit)
        self.in_flight += 1
        try:
            response = await self._answer(request, _Wire(fmt), fault, stream)
            hit.outcome = "aborted" if request.get(_ABORTED) else "completed"
            return response
        except ConnectionError:  # the gateway hung up while we wrote: nobody to answer
            hit.outcome = "disconnected"
            return web.Response(status=499)
        except asyncio.CancelledError:  # ... while we waited (aiohttp cancels the handler)
            hit.outcome = "disconnected"
            raise
        finally:
            self.in_flight -= 1
            hit.ended.set()

    async def _answer(
        self, request: web.Request, wire: _Wire, fault: str, stream: bool
    ) -> web.StreamResponse:
        if fault.startswith("status_"):
            status = int(fault.removeprefix("status_").removesuffix("_bare"))
            headers = {"retry-after": "1"} if fault == "status_429" else {}
            return web.json_response(wire.error(status), status=status, headers=headers)
        if fault == "stall_first":
            await asyncio.sleep(self.stall)
            return web.json_response(wire.error(500), status=500)
        if stream:
            return await self._stream(request, wire, fault)
        return await self._body(request, wire, fault)

    async def _stream(self, request: web.Request, wire: _Wire, fault: str) -> web.StreamResponse:
        frames, tail = wire.frames(fault)
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        delay = 0.01 if fault == "long" else 0.0
        for frame in frames:
            if delay:
                await asyncio.sleep(delay)
            await response.write(frame)
        if fault in ("stall_body", "stall_mid"):
            await asyncio.sleep(self.stall)
        elif fault == "reset_mid":
            _abort(request)
            return response
        for frame in tail:
            await response.write(frame)
        await response.write_eof()
        return response

    async def _body(self, request: web.Request, wire: _Wire, fault: str) -> web.StreamResponse:
        body = json.dumps(wire.answer(fault)).encode()
        if fault in ("garbage_lines", "bad_data", "bad_data_first"):
            ctype = "text/html" if fault == "garbage_lines" else "application/json"
            return web.Response(body=b"<html>upstream proxy error</html>", content_type=ctype)
        if fault == "truncated_json":
            return web.Response(body=body[: len(body) // 2], content_type="application/json")
        if fault not in ("stall_body", "stall_mid", "reset_mid"):
            return web.Response(body=body, content_type="application/json")
        response = web.StreamResponse(headers={"content-type": "application/json"})
        response.content_length = len(body)
        await response.prepare(request)
        if fault != "stall_body":
            await response.write(body[: len(body) // 2])
        if fault == "reset_mid":
            _abort(request)
            return response
        await asyncio.sleep(self.stall)
        await response.write(body[len(body) // 2 :])
        await response.write_eof()
        return response


def _abort(request: web.Request) -> None:
    request[_ABORTED] = True
    if request.transport is not None:
        request.transport.abort()


class _Wire:
    """Bodies and SSE frames in one upstream format."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt

    def error(self, status: int) -> dict[str, Any]:
        message = f"chaos upstream says {status}"
        if self.fmt == "anthropic":
            kind = {429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
            return {"type": "error", "error": {"type": kind, "message": message}}
        kind = "rate_limit_exceeded" if status == 429 else "server_error"
        return {"error": {"message": message, "type": kind, "code": kind}}

    def answer(self, fault: str) -> dict[str, Any]:
        if self.fmt == "openai":
            body = chat_completion("Hello from chaos")
            if fault == "no_done":
                body["choices"] = []
            return body
        return {
            "id": "msg_chaos", "type": "message", "role": "assistant", "model": "chaos-model",
            "content": [] if fault == "no_done" else [{"type": "text", "text": "Hello from chaos"}],
            "stop_reason": None if fault == "no_done" else "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 5},
        }  # fmt: skip

    def frames(self, fault: str) -> tuple[list[bytes], list[bytes]]:
        """(frames before the fault strikes, frames after it) for a streamed answer."""
        texts = ["tick "] * LONG_FRAMES if fault == "long" else ["Hello", " from", " chaos"]
        body, end = self._chat(texts) if self.fmt == "openai" else self._anthropic(texts)
        if fault == "stall_body":
            return [], body + end
        if fault in ("stall_mid", "reset_mid"):
            return body[:_HEAD], body[_HEAD:] + end
        if fault == "garbage_lines":
            junk = [b"this line is not sse at all\n\n", b": a comment\n\n", b"retry: 5\nid: 7\n\n"]
            return [
                frame for pair in zip(body, junk * len(body), strict=False) for frame in pair
            ] + end, []
        if fault == "bad_data":
            return [*body[:_HEAD], b"data: {not json\n\n"], body[_HEAD:] + end
        if fault == "bad_data_first":
            return [b"data: <html>502 Bad Gateway</html>\n\n"], body + end
        if fault == "truncated_json":
            return [*body[:_HEAD], body[_HEAD][: len(body[_HEAD]) // 2]], []
        if fault == "no_done":
            return body, []
        return body + end, []

    @staticmethod
    def _chat(texts: list[str]) -> tuple[list[bytes], list[bytes]]:
        def frame(item: dict[str, Any]) -> bytes:
            return b"data: " + json.dumps(item).encode() + b"\n\n"

        body = [frame(chunk({"role": "assistant", "content": ""}))]
        body += [frame(chunk({"content": text})) for text in texts]
        usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        end = [frame(chunk({}, "stop")), frame(chunk(usage=usage)), b"data: [DONE]\n\n"]
        return body, end

    @staticmethod
    def _anthropic(texts: list[str]) -> tuple[list[bytes], list[bytes]]:
        message: dict[str, Any] = {
            "id": "msg_chaos", "type": "message", "role": "assistant", "content": [],
            "model": "chaos-model", "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 1},
        }  # fmt: skip
        body = [
            sse({"type": "message_start", "message": message}, "message_start"),
            sse(
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
                "content_block_start",
            ),
        ]
        body += [
            sse(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": text},
                },
                "content_block_delta",
            )
            for text in texts
        ]
        end = [
            sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
            sse(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": 5},
                },
                "message_delta",
            ),
            sse({"type": "message_stop"}, "message_stop"),
        ]
        return body, end


def chaos_gateway_config(
    chaos: ChaosUpstream,
    *,
    idle_timeout: float = 0.5,
    ping_interval: float = 5.0,
    retries: int = 0,
    cooldown_after: int = 100_000,
    server: str = "",
    extra: str = "",
) -> str:
    """A gateway in front of ``chaos``: short timeouts, no retries and no cooldown by default,
    so every fault reaches the client unmasked. Models:

    - ``chat``: the OpenAI Chat route (Chat clients are relayed as-is, others translated);
    - ``chat-tr``: the same route with ``passthrough = false`` (always translated);
    - ``claude``: the Anthropic route (always translated: not api.anthropic.com).

    ``server`` adds lines to ``[server]``; ``extra`` adds tables at the end.
    """
    base = f'type = "openai"\nbase_url = "{chaos.url}/v1"\napi_key = "{UPSTREAM_KEY}"'
    return f"""
default_model = "chat"
[server]
idle_timeout = {idle_timeout}
connect_timeout = 0.5
ping_interval = {ping_interval}
retries = {retries}
cooldown_after = {cooldown_after}
{server}
[providers.chaos]
{base}
profile = "openai"
[providers.chaos_tr]
{base}
profile = "openai"
passthrough = false
[providers.chaos_anthropic]
type = "anthropic"
base_url = "{chaos.url}"
api_key = "{UPSTREAM_KEY}"
[models.chat]
provider = "chaos"
model = "chaos-model"
max_context_size = 200000
[models.chat-tr]
provider = "chaos_tr"
model = "chaos-model"
max_context_size = 200000
[models.claude]
provider = "chaos_anthropic"
model = "chaos-model"
max_context_size = 200000
{extra}
"""


def sse_events(text: str) -> list[tuple[str | None, str]]:
    """``(event, data)`` of every SSE event in ``text`` that carries data (pings skipped)."""
    out: list[tuple[str | None, str]] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        event, data = None, []
        for line in block.split("\n"):
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        if data:
            out.append((event, "\n".join(data)))
    return out


class ErrorLogWatch(logging.Handler):
    """Collects gateway log records at ERROR and above (``log.exception`` in the handler means
    an unexpected exception: what would have been a 500 with a traceback)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("crosswire"):
            self.records.append(f"{record.name}: {record.getMessage()}")

    def __enter__(self) -> ErrorLogWatch:
        logging.getLogger("crosswire").addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("crosswire").removeHandler(self)


@dataclass(frozen=True)
class Outcome:
    """What a client should get for a fault, once crosswire translated the answer."""

    kind: str | None
    """The canonical error kind (``GatewayError.kind``); ``None`` = a normal answer."""
    in_stream: bool = False
    """The error arrives after the stream started: HTTP 200, then the format's error frame."""


_STATUS_KIND = {
    "status_429": "rate_limit", "status_429_bare": "rate_limit", "status_500": "api_error",
    "status_502": "bad_gateway", "status_503": "overloaded", "status_529": "overloaded",
}  # fmt: skip
_BODY_KIND = {
    "stall_first": "timeout", "stall_body": "timeout", "stall_mid": "timeout",
    "reset_mid": "bad_gateway", "garbage_lines": "bad_gateway", "bad_data": "bad_gateway",
    "bad_data_first": "bad_gateway", "truncated_json": "bad_gateway", "no_done": "bad_gateway",
}  # fmt: skip
_BEFORE_CONTENT = frozenset({"stall_first", "stall_body", "bad_data_first"})
"""Stream faults that strike before any content: still a plain HTTP error."""


def translated_outcome(fault: str, stream: bool, upstream_format: str) -> Outcome:
    """The expected outcome of ``fault`` on a translated route (any client format)."""
    if fault in ("ok", "long") or (stream and fault == "garbage_lines"):
        return Outcome(None)
    if fault in _STATUS_KIND:
        return Outcome(_STATUS_KIND[fault])
    if fault == "no_done" and not stream and upstream_format == "anthropic":
        return Outcome(None)  # a message with no content blocks is still a valid message
    return Outcome(_BODY_KIND[fault], in_stream=stream and fault not in _BEFORE_CONTENT)
