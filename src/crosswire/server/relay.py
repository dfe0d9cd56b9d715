"""Format-independent request plumbing: body reading, streaming relay, request log line."""

from __future__ import annotations

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
from crosswire.server.state import STATE

log = logging.getLogger("crosswire.access")


def request_id() -> str:
    return "req_" + uuid.uuid4().hex[:24]


async def read_json(request: web.Request) -> Any:
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise RequestTooLargeError(
            f"request body is larger than the gateway's limit ({request.client_max_size} bytes)"
        ) from exc
    if not raw:
        raise InvalidRequestError("request body is empty; a JSON object is required")
    try:
        return jsonutil.loads(raw)
    except jsonutil.DecodeError as exc:
        raise InvalidRequestError(f"request body is not valid JSON: {exc}") from exc


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
    """Pull the first batch (errors there become HTTP errors), then relay chunk by chunk.

    ``await write`` applies back-pressure from the client to the upstream read loop; when the
    client goes away the write fails and closing ``events`` closes the upstream request.
    """
    state = request.app[STATE]
    stop: MessageStop | None = None
    try:
        first: list[Event] = await anext(events, [])
        error = _early_error(first)
        if error is not None:
            raise error
        response = web.StreamResponse(
            headers={
                "content-type": "text/event-stream; charset=utf-8",
                "cache-control": "no-cache",
                **headers,
            }
        )
        await response.prepare(request)
        stream = state.keepalive.register(response, ping)
        try:
            batch = first
            while True:
                if batch and isinstance(batch[-1], MessageStop):
                    stop = batch[-1]
                await stream.write(b"".join([encode(e) for e in batch]))
                batch = await anext(events, None)  # type: ignore[arg-type]
                if batch is None:
                    break
        except ConnectionResetError:
            log.info("client disconnected mid-stream; upstream request cancelled")
        finally:
            state.keepalive.unregister(stream)
        return response, stop
    finally:
        await events.aclose()  # type: ignore[attr-defined]


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
