"""Backend for OpenAI Chat Completions upstreams (types ``openai`` and ``kimi``)."""

from __future__ import annotations

import contextlib
import logging
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
from crosswire.formats import openai_chat
from crosswire.formats.openai_chat.fields import DEFAULT_REASONING_KEYS
from crosswire.formats.sse import SSEParser
from crosswire.providers import get_profile, prepare_chat_body
from crosswire.providers.profile import ModelTraits
from crosswire.routing import Target
from crosswire.upstream.http import post
from crosswire.upstream.pool import UpstreamPool

log = logging.getLogger(__name__)
USER_AGENT = "crosswire/0.1"


def _decode_error(status: int, body: bytes, retry_after: float | None) -> GatewayError:
    return openai_chat.decode_error(status, body, retry_after)


class OpenAIChatBackend:
    def __init__(self, pool: UpstreamPool) -> None:
        self.pool = pool

    def _prepare(self, request: Request, target: Target) -> tuple[str, bytes, dict[str, str]]:
        model = target.model
        traits = ModelTraits(
            model=model.model,
            capabilities=model.capabilities,
            max_output_size=model.max_output_size,
            reasoning_key=model.reasoning_key,
            max_tokens_field=model.max_tokens_field,
        )
        body = prepare_chat_body(request, traits, get_profile(target.provider.profile_name))
        provider = target.provider
        headers = {"content-type": "application/json", "user-agent": USER_AGENT}
        if provider.api_key:
            headers["authorization"] = f"Bearer {provider.api_key}"
        headers.update(provider.custom_headers)
        url = provider.base_url.rstrip("/") + "/chat/completions"
        return url, jsonutil.dumps(body), headers

    def _reasoning_keys(self, target: Target) -> tuple[str, ...]:
        key = target.model.reasoning_key
        return (key, *DEFAULT_REASONING_KEYS) if key else DEFAULT_REASONING_KEYS

    async def complete(self, request: Request, target: Target) -> Response:
        url, body, headers = self._prepare(request, target)
        async with post(self.pool, url, body, headers, _decode_error) as response:
            try:
                raw = await response.read()
            except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
                raise UpstreamTimeoutError("upstream timed out while answering") from exc
        try:
            payload = jsonutil.loads(raw)
        except jsonutil.DecodeError as exc:
            raise UpstreamError("upstream answered with invalid JSON") from exc
        return openai_chat.decode_response(payload, self._reasoning_keys(target))

    async def stream(self, request: Request, target: Target) -> AsyncIterator[list[Event]]:
        url, body, headers = self._prepare(request, target)
        keys = self._reasoning_keys(target)
        async with post(self.pool, url, body, headers, _decode_error) as response:
            if "text/event-stream" not in response.headers.get("content-type", ""):
                # A server that ignored stream=true: answer from the whole body.
                payload = jsonutil.loads(await response.read())
                yield events_from_response(openai_chat.decode_response(payload, keys))
                return
            async for batch in _events(response, openai_chat.StreamDecoder(keys)):
                yield batch


async def _events(
    response: aiohttp.ClientResponse, decoder: openai_chat.StreamDecoder
) -> AsyncIterator[list[Event]]:
    parser = SSEParser()
    try:
        async for chunk in response.content.iter_any():
            batch: list[Event] = []
            for sse in parser.feed(chunk):
                if sse.data == b"[DONE]":
                    batch += decoder.finish()
                    yield batch
                    return
                try:
                    payload = jsonutil.loads(sse.data)
                except jsonutil.DecodeError:
                    batch += decoder.feed({})
                    batch.append(StreamError(UpstreamError("upstream sent malformed stream data")))
                    yield batch
                    return
                batch += decoder.feed(payload)
                if batch and isinstance(batch[-1], StreamError):
                    yield batch
                    return
            if batch:
                yield batch
    except (TimeoutError, aiohttp.ServerTimeoutError):
        yield [
            *decoder.feed({}),
            StreamError(UpstreamTimeoutError("upstream went silent mid-stream")),
        ]
        return
    except aiohttp.ClientError:
        yield [
            *decoder.feed({}),
            StreamError(UpstreamError("upstream connection failed mid-stream")),
        ]
        return
    tail: list[Event] = []
    for sse in parser.flush():
        if sse.data != b"[DONE]":
            with contextlib.suppress(jsonutil.DecodeError):
                tail += decoder.feed(jsonutil.loads(sse.data))
    yield tail + decoder.finish()
