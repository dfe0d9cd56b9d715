"""Format-independent request plumbing: body reading, streaming relay, request log line."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from crosswire import jsonutil
from crosswire.canonical import (
    Event,
    GatewayError,
    InvalidRequestError,
    MessageStart,
    MessageStop,
    RequestTooLargeError,
    StreamError,
)
from crosswire.server.keepalive import KeepAlive, LiveStream
from crosswire.server.state import STATE

log = logging.getLogger("crosswire.access")


def request_id() -> str:
    return "req_" + uuid.uuid4().hex[:24]


DECODED_BODY = web.RequestKey("crosswire_decoded_body", object)
"""Where the input-limits middleware leaves the body it already read and decoded."""


async def read_json(request: web.Request) -> Any:
    """The body, decoded. Read from the stream rather than ``request.read()``, which would keep
    a copy of the raw bytes alive on the request for as long as a long stream lasts."""
    if DECODED_BODY in request:
        return request.pop(DECODED_BODY)
    raw = await read_body(request)
    if not raw:
        raise InvalidRequestError("request body is empty; a JSON object is required")
    try:
        return jsonutil.loads(raw)
    except jsonutil.DecodeError as exc:
        raise InvalidRequestError(f"request body is not valid JSON: {exc}") from exc


async def read_body(request: web.Request) -> bytes:
    limit = request.client_max_size
    too_large = RequestTooLargeError(
        f"request body is larger than the gateway's limit ({limit} bytes)"
    )
    length = request.content_length
    if length is not None and length > limit:
        raise too_large
    if request.content.at_eof() and request.body_exists:
        return await request.read()  # a middleware read it already: aiohttp kept a copy
    if length is not None:
        try:
            return await request.content.readexactly(length)
        except asyncio.IncompleteReadError as exc:
            raise InvalidRequestError("request body ended before its Content-Length") from exc
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.readany():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _early_error(batch: list[Event]) -> GatewayError | None:
    """An error in the first batch, before any content: still answerable as an HTTP error."""
    for event in batch:
        if isinstance(event, StreamError):
            return event.error
        if not isinstance(event, MessageStart):
            return None
    return None


async def relay_stream(
    request: web.Request,
    events: AsyncIterator[list[Event]],
    encode: Callable[[Event], bytes],
    *,
    ping: bytes,
    headers: dict[str, str],
) -> tuple[web.StreamResponse, MessageStop | None]:
    """Relay an upstream stream to the client, chunk by chunk.

    The first batch is awaited before answering, for up to one ping interval: an error there
    is still a plain HTTP error the client can retry. An upstream slower than that to say
    anything gets the response started and pinged, so idle-cutting proxies keep the request.
    ``await write`` applies back-pressure from the client to the upstream read loop; when the
    client goes away the write fails and closing ``events`` closes the upstream request.
    """
    state = request.app[STATE]
    first_batch = asyncio.ensure_future(anext(events, []))
    response: web.StreamResponse | None = None
    stream: LiveStream | None = None
    stop: MessageStop | None = None
    try:
        interval = state.keepalive.interval
        if interval > 0 and not first_batch.done():
            await asyncio.wait((first_batch,), timeout=interval)
        if not first_batch.done():
            response, stream = await _start(request, headers, ping, state.keepalive)
            await stream.write(ping)
        first: list[Event] = await first_batch
        if response is None:
            error = _early_error(first)
            if error is not None:
                raise error
            response, stream = await _start(request, headers, ping, state.keepalive)
        assert stream is not None
        batch: list[Event] | None = first
        while batch is not None:
            if batch and isinstance(batch[-1], MessageStop):
                stop = batch[-1]
            await stream.write(b"".join([encode(e) for e in batch]))
            batch = await anext(events, None)
        return response, stop
    except ConnectionResetError:
        log.info("client disconnected mid-stream; upstream request cancelled")
        assert response is not None
        return response, stop
    finally:
        if stream is not None:
            state.keepalive.unregister(stream)
        if not first_batch.done():
            first_batch.cancel()
            with contextlib.suppress(BaseException):
                await first_batch
        await events.aclose()  # type: ignore[attr-defined]


async def _start(
    request: web.Request, headers: dict[str, str], ping: bytes, keepalive: KeepAlive
) -> tuple[web.StreamResponse, LiveStream]:
    response = web.StreamResponse(
        headers={
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache",
            **headers,
        }
    )
    await response.prepare(request)
    return response, keepalive.register(response, ping)


def log_request(
    request: web.Request, client_model: str, route: str, status: int, started: float, **extra: Any
) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    took = (time.perf_counter() - started) * 1000
    details = " ".join(f"{k}={v}" for k, v in extra.items() if v is not None)
    log.info(
        "%s %s model=%s route=%s status=%d %.1fms %s",
        request.method, request.path, client_model, route, status, took, details,
    )  # fmt: skip
