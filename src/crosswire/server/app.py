"""Build the aiohttp application."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from crosswire import __version__, limits
from crosswire.canonical import (
    GatewayError,
    InvalidRequestError,
    NotFoundError,
    RequestTooLargeError,
)
from crosswire.config import Config
from crosswire.formats import anthropic, gemini, openai_chat, openai_responses
from crosswire.formats.base import ClientCodec
from crosswire.observe import http as observe_http
from crosswire.server import anthropic_routes, gemini_routes
from crosswire.server.handlers import generation_handler
from crosswire.server.keepalive import KeepAlive
from crosswire.server.relay import request_id
from crosswire.server.retry_policy import RetryBudget
from crosswire.server.security import install_security
from crosswire.server.state import STATE, GatewayState
from crosswire.upstream import UpstreamPool
from crosswire.upstream.pool import PoolSettings

_CREATED = "2025-01-01T00:00:00Z"


async def health(request: web.Request) -> web.Response:
    config = request.app[STATE].config
    return web.json_response(
        {"status": "ok", "version": __version__, "models": sorted(config.models)}
    )


async def list_models(request: web.Request) -> web.Response:
    """Anthropic's shape when the client speaks Anthropic, OpenAI's otherwise."""
    config = request.app[STATE].config
    names = sorted(config.models)
    if "anthropic-version" in request.headers or "x-api-key" in request.headers:
        data = [
            {"type": "model", "id": n, "display_name": n, "created_at": _CREATED} for n in names
        ]
        return web.json_response(
            {
                "data": data,
                "has_more": False,
                "first_id": names[0] if names else None,
                "last_id": names[-1] if names else None,
            }
        )
    created = int(time.time())
    data_oa = [
        {"id": n, "object": "model", "created": created, "owned_by": config.models[n].provider}
        for n in names
    ]
    return web.json_response({"object": "list", "data": data_oa})


def client_codec_for(request: web.Request) -> ClientCodec:
    """The client format a request to an unknown path most likely speaks, for its error."""
    path = request.path
    gemini_path = path.startswith("/v1beta/") or (
        request.method == "POST" and path.startswith("/v1/models/")
    )
    if gemini_path or "x-goog-api-key" in request.headers:
        return gemini.CLIENT
    if "anthropic-version" in request.headers or path.startswith("/v1/messages"):
        return anthropic.CLIENT
    if "/responses" in path:
        return openai_responses.CLIENT
    if "/chat/completions" in path or "authorization" in request.headers:
        return openai_chat.CLIENT
    return anthropic.CLIENT


@web.middleware
async def errors_in_client_format(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """aiohttp's own 404/405/413 pages are plain text; clients get their own JSON envelope."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        error: GatewayError
        if exc.status == 404:
            error = NotFoundError(f"no such endpoint: {request.method} {request.path}")
        elif exc.status == 413:
            error = RequestTooLargeError("request body is too large")
        else:
            error = InvalidRequestError(f"{exc.reason}: {request.method} {request.path}")
        status, body, headers = client_codec_for(request).encode_error(error, request_id())
        return web.Response(
            status=exc.status if exc.status != 413 else status, body=body, headers=headers
        )


def create_app(config: Config) -> web.Application:
    server = config.server
    app = web.Application(
        client_max_size=server.max_body_bytes, middlewares=[errors_in_client_format]
    )
    observe_http.install(app, config)  # before security: loopback scrapes need no key
    install_security(app, config, client_codec_for)
    pool = UpstreamPool(
        PoolSettings(
            connect_timeout=server.connect_timeout,
            idle_timeout=server.idle_timeout,
            max_connections=server.max_connections,
            max_connections_per_host=server.max_connections_per_host,
        )
    )
    limiter, breaker = limits.build(config)
    state = GatewayState(
        config=config,
        pool=pool,
        keepalive=KeepAlive(server.ping_interval),
        limiter=limiter,
        breaker=breaker,
        retry_budget=RetryBudget(server.retry_budget),
    )
    app[STATE] = state
    app.router.add_get("/health", health)
    app.router.add_get("/v1/models", list_models)
    anthropic_routes.add_routes(app)
    gemini_routes.add_routes(app)
    for path in ("/v1/chat/completions", "/chat/completions"):
        app.router.add_post(path, generation_handler(openai_chat.CLIENT))
    for path in ("/v1/responses", "/responses"):
        app.router.add_post(path, generation_handler(openai_responses.CLIENT))

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        yield
        await state.keepalive.close()
        await limiter.close()
        await pool.close()

    app.cleanup_ctx.append(lifecycle)
    return app
