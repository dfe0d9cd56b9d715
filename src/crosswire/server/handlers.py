"""The one generation handler every client format uses: decode → route → backend → encode."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from crosswire import jsonutil
from crosswire.canonical import GatewayError, Request, StreamError, UpstreamServerError
from crosswire.formats.base import ClientCodec, ClientContext
from crosswire.observe import OBSERVER
from crosswire.routing import InputTokens, Target, fit_max_tokens, reroute_for_context, resolve
from crosswire.routing.scenarios import has_subagent_marker
from crosswire.server import dispatch
from crosswire.server.passthrough import AsIs, passthrough_endpoint, relay_as_is
from crosswire.server.relay import log_request, read_json, relay_stream, request_id
from crosswire.server.state import STATE, GatewayState

log = logging.getLogger(__name__)

# Client headers an upstream may see (Kimi Code allow-lists coding-agent user agents; Anthropic
# upstreams want the client's betas). Credentials are never in this list.
FORWARDED_HEADERS = ("user-agent", "anthropic-beta", "anthropic-version")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ContextOf = Callable[[web.Request], ClientContext]


def default_context(request: web.Request) -> ClientContext:
    return ClientContext(query=request.query, headers=request.headers)


def error_response(codec: ClientCodec, error: GatewayError, rid: str) -> web.Response:
    status, body, headers = codec.encode_error(error, rid)
    headers["request-id"] = rid
    return web.Response(status=status, body=body, headers=headers)


def _as_is(
    codec: ClientCodec, state: GatewayState, request: Request, target: Target, tokens: InputTokens
) -> AsIs | None:
    """Where to relay untranslated, when that is possible: a model with fallbacks goes through
    the dispatcher (fallbacks need the canonical request), and so does a request whose
    ``max_tokens`` the context guard must change (the untranslated body would keep it)."""
    if target.model.fallbacks:
        return None
    if fit_max_tokens(target.model, request.max_tokens, tokens) != request.max_tokens:
        return None
    return passthrough_endpoint(codec.name, state.backend(target.provider), request, target)


def generation_handler(codec: ClientCodec, context_of: ContextOf = default_context) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        state = request.app[STATE]
        started = time.perf_counter()
        rid = request_id()
        client_model, route = "?", "-"
        observer = request.app[OBSERVER]
        record = observer.record(codec.name, rid)
        try:
            body = await read_json(request)
            canonical = codec.decode_request(body, context_of(request))
            client_model = record.client_model = canonical.model
            record.stream = canonical.stream
            observer.attach(record, request_body=body)
            for name in FORWARDED_HEADERS:
                value = request.headers.get(name)
                if value:
                    canonical.client_headers[name] = value
            tokens = InputTokens(canonical)
            marked = has_subagent_marker(canonical)  # stripped by resolve: no as-is relay
            target = resolve(state.config, canonical, tokens)
            target = reroute_for_context(state.config, target, canonical.max_tokens, tokens)
            route = f"{target.alias}({target.rule})"
            record.routed(target.alias, target.rule, target.provider.name, target.model.model)
            headers = {"request-id": rid, "x-crosswire-route": route}
            endpoint = None if marked else _as_is(codec, state, canonical, target, tokens)
            if endpoint is not None and isinstance(body, dict):
                headers["x-crosswire-passthrough"] = "1"
                as_is_body: dict[str, Any] = body
                request_model = canonical
                record.relay = "as-is"
                response = await dispatch.as_is(
                    state, target, dispatch.limiter_cost(target, tokens, canonical.max_tokens),
                    lambda: relay_as_is(
                        request, as_is_body, codec.name, request_model, target, endpoint, headers,
                        lambda err: codec.stream_encoder(request_model).encode(StreamError(err)),
                    ),
                    record,
                )  # fmt: skip
                log_request(request, client_model, route, response.status, started, relay="as-is")
                observer.finish(record, response.status)
                return response
            del body  # decoded; the canonical request is all that is needed from here
            if canonical.stream:
                encoder = codec.stream_encoder(canonical)
                events = dispatch.stream(state, canonical, target, tokens, record)
                del canonical, tokens  # the stream outlives the request: let it go once sent
                response, stop = await relay_stream(
                    request, events, encoder.encode, ping=codec.ping, headers=headers
                )
                usage = stop.usage if stop else None
                record.usage(usage)
                aborted = stop is None and record.error_kind is None
                observer.finish(record, 200, "aborted" if aborted else None)
                log_request(
                    request, client_model, route, 200, started, stream=True,
                    stop=stop.stop_reason.value if stop else "aborted",
                    tokens_in=usage.input_tokens if usage else None,
                    tokens_out=usage.output_tokens if usage else None,
                )  # fmt: skip
                return response
            result = await dispatch.complete(state, canonical, target, tokens, record)
            payload = codec.encode_response(result, canonical)
            record.usage(result.usage)
            observer.attach(record, response=payload)
            log_request(
                request, client_model, route, 200, started, stream=False,
                stop=result.stop_reason.value, tokens_in=result.usage.input_tokens,
                tokens_out=result.usage.output_tokens,
            )  # fmt: skip
            answer = web.Response(
                body=jsonutil.dumps(payload), content_type="application/json", headers=headers
            )
            observer.finish(record, 200)
            return answer
        except GatewayError as error:
            log_request(request, client_model, route, error.status, started, error=error.kind)
            observer.finish(record, error.status, error.kind)
            return error_response(codec, error, rid)
        except asyncio.CancelledError:  # the client went away before its answer
            observer.finish(record, 499, "cancelled")
            raise
        except Exception:
            log.exception("internal error serving %s", request.path)
            observer.finish(record, 500, "internal")
            return error_response(codec, UpstreamServerError("internal gateway error"), rid)

    return handle
