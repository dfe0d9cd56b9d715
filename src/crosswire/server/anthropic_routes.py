"""Anthropic Messages endpoints: ``/v1/messages`` (``?beta=true`` too), ``count_tokens``."""

from __future__ import annotations

import logging

from aiohttp import web

from crosswire.canonical import GatewayError, UpstreamServerError
from crosswire.formats import anthropic
from crosswire.server.handlers import error_response, generation_handler
from crosswire.server.relay import read_json, request_id
from crosswire.tokens import estimate_request_tokens

log = logging.getLogger(__name__)


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
        return error_response(anthropic.CLIENT, error, rid)
    except Exception:
        log.exception("internal error counting tokens")
        return error_response(anthropic.CLIENT, UpstreamServerError("internal gateway error"), rid)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/messages", generation_handler(anthropic.CLIENT))
    app.router.add_post("/v1/messages/count_tokens", count_tokens)
