"""One backend for every HTTP upstream: POST, then read a JSON body or an SSE stream and let
the format's adapter turn it into canonical form."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp

from crosswire import jsonutil
from crosswire.canonical import (
    Event,
    GatewayError,
    Request,
    Response,
    StreamError,
    UpstreamError,
    UpstreamTimeoutError,
)
from crosswire.canonical.synthesis import events_from_response
from crosswire.formats.base import StreamDecoder
from crosswire.formats.sse import SSEParser
from crosswire.routing import Target
from crosswire.upstream.adapter import UpstreamAdapter
from crosswire.upstream.http import post
from crosswire.upstream.pool import UpstreamPool

DONE = b"[DONE]"


class HTTPBackend:
    def __init__(self, pool: UpstreamPool, adapter: UpstreamAdapter) -> None:
        self.pool = pool
        self.adapter = adapter

    async def complete(self, request: Request, target: Target) -> Response:
        url, body, headers = self.adapter.call(request, target)
        async with post(self.pool, url, body, headers, self.adapter.decode_error) as response:
            try:
                raw = await response.read()
            except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
                raise UpstreamTimeoutError("upstream timed out while answering") from exc
            except aiohttp.ClientError as exc:
                raise UpstreamError("upstream connection failed while answering") from exc
        return self.adapter.decode_response(_json(raw), target)

    async def stream(self, request: Request, target: Target) -> AsyncIterator[list[Event]]:
        url, body, headers = self.adapter.call(request, target)
        del request  # a long stream should not keep the whole conversation alive
        async with post(self.pool, url, body, headers, self.adapter.decode_error) as response:
            del body
            if "text/event-stream" not in response.headers.get("content-type", ""):
                # A server that ignored the stream flag: answer from the whole body.
                response_obj = self.adapter.decode_response(_json(await response.read()), target)
                yield events_from_response(response_obj)
                return
            async for batch in _relay(response, self.adapter.stream_decoder(target)):
                yield batch


def _json(raw: bytes) -> object:
    try:
        return jsonutil.loads(raw)
    except jsonutil.DecodeError as exc:
        raise UpstreamError("upstream answered with invalid JSON") from exc


async def _relay(
    response: aiohttp.ClientResponse, decoder: StreamDecoder
) -> AsyncIterator[list[Event]]:
    """SSE bytes → decoded payloads → canonical events, one batch per network read."""
    parser = SSEParser()
    failure: GatewayError | None = None
    try:
        async for chunk in response.content.iter_any():
            batch: list[Event] = []
            for sse in parser.feed(chunk):
                if sse.data == DONE:
                    yield batch + decoder.finish()
                    return
                try:
                    payload = jsonutil.loads(sse.data)
                except jsonutil.DecodeError:
                    failure = UpstreamError("upstream sent malformed stream data")
                    break
                batch += decoder.feed(payload)
                if batch and isinstance(batch[-1], StreamError):
                    yield batch
                    return
            if failure is not None:
                yield [*batch, *_failed(decoder, failure)]
                return
            if batch:
                yield batch
    except (TimeoutError, aiohttp.ServerTimeoutError):
        yield _failed(decoder, UpstreamTimeoutError("upstream went silent mid-stream"))
        return
    except aiohttp.ClientError:
        yield _failed(decoder, UpstreamError("upstream connection failed mid-stream"))
        return
    tail: list[Event] = []
    for sse in parser.flush():
        if sse.data != DONE:
            with contextlib.suppress(jsonutil.DecodeError):
                tail += decoder.feed(jsonutil.loads(sse.data))
    yield tail + decoder.finish()


def _failed(decoder: StreamDecoder, error: GatewayError) -> list[Event]:
    """Whatever the decoder still owes (a ``MessageStart`` if nothing came yet), then the error."""
    events = decoder.feed({})
    return [*events, StreamError(error)]
