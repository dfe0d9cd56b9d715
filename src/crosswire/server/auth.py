"""Gateway keys: who may use the gateway, which models, how fast.

Two middlewares, registered by :func:`crosswire.server.app.create_app` when ``[server] keys``
is set:

- :func:`authenticate` — before the body is read: the key from ``x-api-key``,
  ``Authorization: Bearer``, ``x-goog-api-key`` or ``?key=`` (whatever the client format),
  compared by SHA-256 digest with :func:`hmac.compare_digest` against *every* configured key
  (no early exit). Missing or wrong → 401 in the client's own error format.
- :func:`enforce_scopes` — after :mod:`crosswire.server.limits_input` has read and checked the
  body: the key's ``models`` (403) and its ``rpm`` / ``tpm`` (429 with ``retry-after``), counted
  in the same shared state as provider pacing (``[server] state``: memory or Redis).

The client's key is never forwarded upstream: handlers forward only an allow-list of headers
(:data:`crosswire.server.handlers.FORWARDED_HEADERS`) and backends never copy the query string.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from fnmatch import fnmatchcase

from aiohttp import web
from aiohttp.typedefs import Middleware

from crosswire.canonical import (
    AuthenticationError,
    GatewayError,
    PermissionDeniedError,
    RateLimitError,
)
from crosswire.config import Config, GatewayKey
from crosswire.config.security import key_digest
from crosswire.formats.base import ClientCodec
from crosswire.limits.state import Rule, SharedState
from crosswire.routing.resolve import target_named
from crosswire.server.relay import request_id

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CodecFor = Callable[[web.Request], ClientCodec]

GATEWAY_KEY = web.RequestKey("crosswire_gateway_key", GatewayKey)
REQUESTED_MODEL = web.RequestKey("crosswire_requested_model", str)
"""The client's model name, set by the input guard when the body names one."""
ESTIMATED_TOKENS = web.RequestKey("crosswire_estimated_tokens", int)
OPEN_PATHS = frozenset({"/health"})
"""Paths answered without a key (load-balancer health checks)."""
_NO_KEY = bytes(32)


def presented_key(request: web.Request) -> str | None:
    """The key the client sent, in whichever place its SDK puts it."""
    headers = request.headers
    for name in ("x-api-key", "x-goog-api-key"):
        value = headers.get(name)
        if value:
            return value.strip()
    auth = headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.query.get("key") or None


def find_key(keys: tuple[GatewayKey, ...], presented: str | None) -> GatewayKey | None:
    """The configured key matching ``presented``, comparing every digest in constant time."""
    digest = key_digest(presented) if presented else _NO_KEY
    found: GatewayKey | None = None
    for key in keys:
        if hmac.compare_digest(key.digest, digest) and presented:
            found = key
    return found


def error_answer(
    codec: ClientCodec, error: GatewayError, status: int | None = None
) -> web.Response:
    """``error`` in the client's envelope; ``status`` overrides the codec's (e.g. 408)."""
    rid = request_id()
    code, body, headers = codec.encode_error(error, rid)
    headers["request-id"] = rid
    return web.Response(status=status or code, body=body, headers=headers)


def authenticate(keys: tuple[GatewayKey, ...], codec_for: CodecFor) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in OPEN_PATHS:
            return await handler(request)
        presented = presented_key(request)
        key = find_key(keys, presented)
        if key is None:
            what = "a valid gateway key" if presented else "a gateway key"
            error = AuthenticationError(
                f"this crosswire gateway requires {what} (x-api-key, Authorization: Bearer, "
                "x-goog-api-key or ?key=)"
            )
            return error_answer(codec_for(request), error)
        request[GATEWAY_KEY] = key
        return await handler(request)

    return middleware


def model_allowed(config: Config, key: GatewayKey, requested: str) -> bool:
    """Whether ``key`` may use ``requested``: the name itself, or the alias it names or routes
    to, matches one of the key's ``models`` (globs allowed)."""
    if not key.models:
        return True
    names = {requested, *_aliases_of(config, requested)}
    return any(fnmatchcase(n.lower(), p.lower()) for n in names for p in key.models)


def _aliases_of(config: Config, requested: str) -> list[str]:
    target = target_named(config, requested, None)
    if target is not None:
        return [target.alias]
    lowered = requested.lower()
    for route in config.routes:
        if route.matches(lowered):
            return [route.alias]
    return [config.default_model] if config.default_model else []


def enforce_scopes(config: Config, state: SharedState, codec_for: CodecFor) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        key = request.get(GATEWAY_KEY)
        if key is None or request.method != "POST":
            return await handler(request)
        requested = request.get(REQUESTED_MODEL)
        if key.models and requested is not None and not model_allowed(config, key, requested):
            denied = PermissionDeniedError(
                f"gateway key {key.name!r} may not use model {requested!r}"
            )
            return error_answer(codec_for(request), denied)
        if key.rpm is not None or key.tpm is not None:
            tokens = request.get(ESTIMATED_TOKENS, 0)
            rule = Rule(key.rpm, key.tpm)
            verdict = await state.take(f"gateway-key:{key.name}", rule, tokens, "")
            if not verdict.granted:
                limited = RateLimitError(
                    f"gateway key {key.name!r} is over its rpm/tpm limit",
                    retry_after=verdict.wait,
                )
                return error_answer(codec_for(request), limited)
        return await handler(request)

    return middleware
