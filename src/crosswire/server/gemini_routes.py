"""Gemini endpoints: ``/v1beta/models/{model}:generateContent``, ``:streamGenerateContent``
(``?alt=sse``) and ``:countTokens``. The model and the method share one path segment."""

from __future__ import annotations

import logging

from aiohttp import web

from crosswire.canonical import GatewayError, NotFoundError, UpstreamServerError
from crosswire.formats import gemini
from crosswire.formats.base import ClientContext
from crosswire.server.handlers import error_response, generation_handler
from crosswire.server.relay import read_json, request_id
from crosswire.tokens import estimate_request_tokens

log = logging.getLogger(__name__)

_GENERATE = "generateContent"
_STREAM = "streamGenerateContent"
_COUNT = "countTokens"


def _split(request: web.Request) -> tuple[str, str]:
    model, _, method = request.match_info["target"].rpartition(":")
    return model.removeprefix("models/"), method


def _context(request: web.Request) -> ClientContext:
    model, method = _split(request)
    return ClientContext(
        path_model=model, stream=method == _STREAM, query=request.query, headers=request.headers
    )


_generate = generation_handler(gemini.CLIENT, _context)


async def models_action(request: web.Request) -> web.StreamResponse:
    model, method = _split(request)
    if method in (_GENERATE, _STREAM) and model:
        return await _generate(request)
    rid = request_id()
    if method == _COUNT and model:
        try:
            body = await read_json(request)
            canonical = gemini.decode_count_tokens(body, _context(request))
            return web.json_response({"totalTokens": estimate_request_tokens(canonical)})
        except GatewayError as error:
            return error_response(gemini.CLIENT, error, rid)
        except Exception:
            log.exception("internal error counting tokens")
            return error_response(gemini.CLIENT, UpstreamServerError("internal gateway error"), rid)
    missing = NotFoundError(f"unknown Gemini method {method!r} (generateContent, "
                            "streamGenerateContent and countTokens are served)")  # fmt: skip
    return error_response(gemini.CLIENT, missing, rid)


def add_routes(app: web.Application) -> None:
    for version in ("v1beta", "v1"):
        app.router.add_post(f"/{version}/models/{{target}}", models_action)
