"""The same-format fast path: when the client and the upstream speak the same format and the
upstream has no quirks, the client's body goes upstream as it came (only ``model`` rewritten,
unknown fields kept) and the upstream's bytes come back as they are, with no decode/encode.

It applies when the upstream adapter's format equals the client codec's and the adapter offers
``passthrough(request, target) -> (url, headers) | None`` (``None``: quirks apply, translate):
Chat Completions to the plain ``openai``/``openai_official`` profiles, Anthropic to
api.anthropic.com, Responses to any Responses upstream. Gemini is always translated: its SDKs
send snake_case fields and schemas Gemini rejects, which the codec normalises. A provider can
opt out with ``passthrough = false``.
Headers are always the provider's own: the client's credentials never go upstream.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from crosswire import jsonutil
from crosswire.canonical import GatewayError, Request, UpstreamError, UpstreamTimeoutError
from crosswire.routing import Target
from crosswire.server.state import STATE
from crosswire.upstream.adapter import UpstreamAdapter
from crosswire.upstream.http import scrub_secrets

log = logging.getLogger(__name__)

# Response headers worth relaying from the upstream.
_RELAYED_HEADERS = ("content-type", "retry-after", "retry-after-ms", "x-should-retry")
# Where each format names the model in a non-streamed answer.
_MODEL_FIELD = {"gemini": "modelVersion"}
# How each format's stream says it is finished: a relayed stream that ends without it was cut
# off, and the client is told so rather than left with a truncated answer that looks whole.
_TERMINATORS: dict[str, tuple[bytes, ...]] = {
    "openai_chat": (b"data: [DONE]",),
    "anthropic": (b"event: message_stop", b'"type":"message_stop"', b'"type": "message_stop"'),
    "openai_responses": (b"response.completed", b"response.incomplete", b"response.failed"),
}
_TAIL = 64
# Statuses some client formats do not know: Anthropic's 529 is a 503 to OpenAI clients.
_STATUS_FOR_CLIENT = {("openai_chat", 529): 503, ("openai_responses", 529): 503}


@dataclass(frozen=True, slots=True)
class AsIs:
    """Where and how to relay a body untranslated."""

    url: str
    headers: dict[str, str]
    adapter: UpstreamAdapter


def passthrough_endpoint(
    client_format: str, backend: object, request: Request, target: Target
) -> AsIs | None:
    adapter: UpstreamAdapter | None = getattr(backend, "adapter", None)
    if adapter is None or adapter.format != client_format or not target.provider.passthrough:
        return None
    offer = getattr(adapter, "passthrough", None)
    endpoint = offer(request, target) if offer is not None else None
    if endpoint is None:
        return None
    return AsIs(endpoint[0], endpoint[1], adapter)


async def relay_as_is(
    request: web.Request,
    body: dict[str, Any],
    client_format: str,
    canonical: Request,
    target: Target,
    as_is: AsIs,
    headers: dict[str, str],
    stream_error: Callable[[GatewayError], bytes],
) -> web.StreamResponse:
    """Relay ``body`` to the upstream and its answer back. A failure after the response
    started (an upstream stall past ``idle_timeout``, a reset) ends the client's stream with
    ``stream_error``'s frame in the client's format, never a hung response."""
    url, upstream_headers = as_is.url, as_is.headers
    if "model" in body:
        body["model"] = target.model.model
    session = request.app[STATE].pool.session
    try:
        async with session.post(url, data=jsonutil.dumps(body), headers=upstream_headers) as up:
            relayed = {k: up.headers[k] for k in _RELAYED_HEADERS if k in up.headers}
            relayed.update(headers)
            status = _STATUS_FOR_CLIENT.get((client_format, up.status), up.status)
            if up.status >= 400 or not canonical.stream:
                raw = await up.read()
                if up.status >= 400:
                    raw = scrub_secrets(raw.decode("utf-8", "replace"), upstream_headers).encode()
                    if "x-should-retry" not in relayed:
                        retryable = as_is.adapter.decode_error(up.status, raw, None).retryable
                        relayed["x-should-retry"] = "true" if retryable else "false"
                else:
                    raw = _renamed(raw, client_format, canonical.model)
                return web.Response(status=status, body=raw, headers=relayed)
            response = web.StreamResponse(status=status, headers=relayed)
            await response.prepare(request)
            terminators = _TERMINATORS.get(client_format, ())
            finished = not terminators
            tail = b""
            try:
                async for chunk in up.content.iter_any():
                    if not finished:
                        window = tail + chunk
                        finished = any(t in window for t in terminators)
                        tail = window[-_TAIL:]
                    await response.write(chunk)
                if not finished:
                    cut = UpstreamError("upstream stream ended before it finished")
                    log.warning("relayed stream broke off: %s", cut.message)
                    await response.write(stream_error(cut))
            except ConnectionResetError:
                log.info("client disconnected mid-stream; upstream request cancelled")
            except (TimeoutError, aiohttp.ClientError) as exc:
                failure: GatewayError = (
                    UpstreamTimeoutError("upstream went silent mid-stream")
                    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError)
                    else UpstreamError("upstream connection failed mid-stream")
                )
                log.warning("relayed stream broke off: %s", failure.message)
                with contextlib.suppress(ConnectionResetError):
                    await response.write(stream_error(failure))
            return response
    except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
        raise UpstreamTimeoutError("upstream timed out") from exc
    except aiohttp.ClientError as exc:
        raise UpstreamError(f"upstream failed: {type(exc).__name__}") from exc


def _renamed(raw: bytes, client_format: str, client_model: str) -> bytes:
    """The client's model name in a non-streamed answer, as after translation."""
    try:
        payload = jsonutil.loads(raw)
    except jsonutil.DecodeError as exc:
        raise UpstreamError("upstream answered with invalid JSON") from exc
    field = _MODEL_FIELD.get(client_format, "model")
    if isinstance(payload, dict) and field in payload:
        payload[field] = client_model
        return jsonutil.dumps(payload)
    return raw
