"""The machinery every scripted upstream shares: an aiohttp app in a thread, request recording,
validation with a loud HTTP 400, and writing the answer as JSON or as an SSE stream.

A format subclass provides:

- ``routes``: ``(method, path)`` pairs to serve (aiohttp path syntax);
- :meth:`check_request`: path, query and auth headers;
- :meth:`parse`: the body, structurally validated, as a neutral :class:`Seen`;
- :meth:`render` / :meth:`stream_frames`: an :class:`Answer` in the format's own wire shape;
- :meth:`error_body`: the format's error envelope.
"""

from __future__ import annotations

import asyncio
import json
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any, ClassVar

from aiohttp import web

from tests.support.servers import ThreadedApp

from .scenarios import CLIENT_KEY, UPSTREAM_KEYS, Answer, Expectation, Invalid, Seen, answer


@dataclass
class Received:
    """One request an upstream received, and what became of it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any
    status: int = 0
    stream: bool | None = None
    """Whether the request asked for a stream (``None`` if it could not be parsed)."""
    error: str | None = None
    """The validation failure the upstream answered 400 with, if any."""
    ended: threading.Event = field(default_factory=threading.Event, repr=False)


class ScriptedUpstream:
    format: ClassVar[str]
    routes: ClassVar[tuple[tuple[str, str], ...]]

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.failures: list[str] = []
        self.expectation: Expectation | None = None
        app = web.Application(client_max_size=64 * 1024 * 1024)
        for method, path in self.routes:
            app.router.add_route(method, path, self._handle)
        app.router.add_route("*", "/{tail:.*}", self._wrong_endpoint)
        self.server = ThreadedApp(app)

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def api_key(self) -> str:
        return UPSTREAM_KEYS[self.format]

    def start(self) -> ScriptedUpstream:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def expect(self, expectation: Expectation | None) -> None:
        """Start a test: forget earlier requests and failures."""
        self.requests.clear()
        self.failures.clear()
        self.expectation = expectation

    # --- per-format hooks -----------------------------------------------------------------

    def check_request(self, request: web.Request) -> None:
        raise NotImplementedError

    def parse(self, request: web.Request, body: dict[str, Any]) -> Seen:
        raise NotImplementedError

    def render(self, answer: Answer, seen: Seen) -> dict[str, Any]:
        raise NotImplementedError

    def stream_frames(self, answer: Answer, seen: Seen) -> list[bytes]:
        raise NotImplementedError

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        raise NotImplementedError

    # --- shared checks --------------------------------------------------------------------

    def check_no_client_key(self, request: web.Request) -> None:
        for name, value in request.headers.items():
            if CLIENT_KEY in value:
                raise Invalid(f"header {name} carries the client's key {CLIENT_KEY!r}")
        if CLIENT_KEY in request.query_string:
            raise Invalid("the query string carries the client's key")

    # --- the handlers ---------------------------------------------------------------------

    async def _wrong_endpoint(self, request: web.Request) -> web.Response:
        served = ", ".join(f"{m} {p}" for m, p in self.routes)
        message = (
            f"[scripted {self.format} upstream] no such endpoint: {request.method} "
            f"{request.path} (this upstream serves {served})"
        )
        received = Received(
            request.method, request.path, request.query_string, dict(request.headers), None
        )
        received.status, received.error = 404, message
        received.ended.set()
        self.requests.append(received)
        self.failures.append(message)
        return web.json_response(self.error_body(404, message), status=404)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        received = Received(
            request.method, request.path, request.query_string, dict(request.headers), body
        )
        self.requests.append(received)
        try:
            try:
                self.check_no_client_key(request)
                self.check_request(request)
                if not isinstance(body, dict):
                    raise Invalid("the body is not a JSON object")
                seen = self.parse(request, body)
                received.stream = seen.stream
                if self.expectation is None:
                    raise Invalid("no matrix test is running, yet a request arrived")
                reply = answer(seen, self.expectation, self.format)
            except Invalid as exc:
                message = f"[scripted {self.format} upstream] {exc}"
                received.error = message
                received.status = 400
                self.failures.append(message)
                return web.json_response(self.error_body(400, message), status=400)
            except Exception as exc:  # a bug in the scripted upstream itself: say so
                message = (
                    f"[scripted {self.format} upstream] HARNESS BUG {type(exc).__name__}: {exc}\n"
                    + traceback.format_exc(limit=-3)
                )
                received.error = message
                received.status = 500
                self.failures.append(message)
                return web.json_response(self.error_body(500, message), status=500)
            received.status = 200
            if not seen.stream:
                return web.json_response(self.render(reply, seen))
            return await self._write_stream(request, self.stream_frames(reply, seen))
        finally:
            received.ended.set()

    async def _write_stream(self, request: web.Request, frames: list[bytes]) -> web.StreamResponse:
        response = web.StreamResponse(
            status=200, headers={"content-type": "text/event-stream", "cache-control": "no-cache"}
        )
        await response.prepare(request)
        try:
            for frame in frames:
                await response.write(frame)
            await response.write_eof()
        except (ConnectionError, asyncio.CancelledError):
            raise
        return response


def sse(data: dict[str, Any], event: str | None = None, crlf: bool = False) -> bytes:
    """One SSE frame; ``event`` names it (Anthropic, Responses), ``crlf`` ends it Gemini's way."""
    end = b"\r\n\r\n" if crlf else b"\n\n"
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + json.dumps(data, separators=(",", ":")).encode() + end


def halves(text: str) -> list[str]:
    """``text`` in two pieces, so every stream carries more than one delta per block."""
    cut = max(1, len(text) // 2)
    return [text[:cut], text[cut:]] if len(text) > 1 else [text]


def require(ok: bool, message: str) -> None:
    if not ok:
        raise Invalid(message)


def require_type(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise Invalid(f"{where}: expected {names}, got {type(value).__name__} {value!r:.80}")
    return value


def require_keys(obj: dict[str, Any], allowed: set[str] | frozenset[str], where: str) -> None:
    unknown = sorted(set(obj) - set(allowed))
    if unknown:
        raise Invalid(f"{where}: unknown field(s) {unknown}")
