"""Anthropic Messages endpoints: ``/v1/messages`` (``?beta=true`` too), ``count_tokens``."""

from __future__ import annotations

import logging
import time

from aiohttp import web

from crosswire import jsonutil
from crosswire.canonical import GatewayError, UpstreamServerError
from crosswire.formats import anthropic
from crosswire.formats.anthropic.response_encoder import PING
from crosswire.routing import resolve
from crosswire.server.relay import log_request, read_json, relay_stream, request_id
from crosswire.server.state import STATE
from crosswire.tokens import estimate_request_tokens

log = logging.getLogger(__name__)


def error_response(error: GatewayError, rid: str) -> web.Response:
    status, body, headers = anthropic.encode_error(error, rid)
    headers["request-id"] = rid
    return web.Response(status=status, body=body, headers=headers)


async def messages(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    started = time.perf_counter()
    rid = request_id()
    client_model, route = "?", "-"
    try:
        body = await read_json(request)
        canonical = anthropic.decode_request(body)
        client_model = canonical.model
        target = resolve(state.config, canonical.model)
        route = f"{target.alias}({target.rule})"
        backend = state.backend(target.provider)
        headers = {"request-id": rid, "x-crosswire-route": route}
        omitted = canonical.thinking.display == "omitted"
        if canonical.stream:
            encoder = anthropic.StreamEncoder(canonical.model, thinking_omitted=omitted)
            response, stop = await relay_stream(
                request, backend.stream(canonical, target), encoder.encode,
                ping=PING, headers=headers,
            )  # fmt: skip
            usage = stop.usage if stop else None
            log_request(
                request, client_model, route, 200, started, stream=True,
                stop=stop.stop_reason.value if stop else "aborted",
                tokens_in=usage.input_tokens if usage else None,
                tokens_out=usage.output_tokens if usage else None,
            )  # fmt: skip
            return response
        result = await backend.complete(canonical, target)
        payload = anthropic.encode_response(result, canonical.model, thinking_omitted=omitted)
        log_request(
            request, client_model, route, 200, started, stream=False,
            stop=result.stop_reason.value, tokens_in=result.usage.input_tokens,
            tokens_out=result.usage.output_tokens,
        )  # fmt: skip
        return web.Response(
            body=jsonutil.dumps(payload), content_type="application/json", headers=headers
        )
    except GatewayError as error:
        log_request(request, client_model, route, error.status, started, error=error.kind)
        return error_response(error, rid)
    except Exception:
        log.exception("internal error serving %s", request.path)
        return error_response(UpstreamServerError("internal gateway error"), rid)


async def count_tokens(request: web.Request) -> web.Response:
    rid = request_id()
    try:
        body = await read_json(request)
        if isinstance(body, dict):
            body.setdefault("max_tokens", 1)
        canonical = anthropic.decode_request(body)
        tokens = estimate_request_tokens(canonical)
        return web.json_response({"input_tokens": tokens}, headers={"request-id": rid})
    except GatewayError as error:
        return error_response(error, rid)
    except Exception:
        log.exception("internal error counting tokens")
        return error_response(UpstreamServerError("internal gateway error"), rid)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/messages", messages)
    app.router.add_post("/v1/messages/count_tokens", count_tokens)
