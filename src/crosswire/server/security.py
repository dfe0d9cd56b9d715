"""Wire the exposure defences into an app: gateway keys, their scopes, input limits, and the
opt-in debug endpoint. One call from :func:`crosswire.server.app.create_app`.

Order of the middlewares (after ``errors_in_client_format``): authenticate (headers only, so an
unauthenticated client cannot make the gateway read a 32 MiB body) → read and check the body →
the key's model and rate scopes → the handler.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from crosswire.config import Config
from crosswire.limits.state import open_state
from crosswire.server import debug
from crosswire.server.auth import CodecFor, authenticate, enforce_scopes
from crosswire.server.limits_input import guard_body


def install_security(app: web.Application, config: Config, codec_for: CodecFor) -> None:
    server = config.server
    if server.keys:
        app.middlewares.append(authenticate(server.keys, codec_for))
    app.middlewares.append(guard_body(server, codec_for))
    if any(k.models or k.rpm is not None or k.tpm is not None for k in server.keys):
        state = open_state(server.state)
        app.middlewares.append(enforce_scopes(config, state, codec_for))

        async def close_state(app: web.Application) -> AsyncIterator[None]:
            yield
            await state.close()

        app.cleanup_ctx.append(close_state)
    if server.debug_endpoints:
        debug.add_routes(app)
