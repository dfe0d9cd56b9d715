"""Input limits: what a hostile or broken client may not make the gateway do.

:func:`guard_body` (a middleware) reads and decodes every POST body before its handler does
and leaves the decoded body for :func:`crosswire.server.relay.read_json` (no second read, no
second decode, no raw copy kept for the length of a stream), answering in the client's own
error format:

- a body not received within ``[server] body_timeout`` seconds (slowloris) → 408;
- a body larger than ``[server] max_body_bytes`` → 413 (also aiohttp's ``client_max_size``);
- JSON nested deeper than ``max_json_depth``, more than ``max_messages`` messages / input
  items / contents, more than ``max_tools`` tool declarations, or JSON msgspec cannot decode
  (including nesting past the interpreter's recursion limit, which would otherwise be a 500)
  → 400.

Header sizes are the HTTP parser's job: :func:`server_options` gives ``web.run_app`` its
``max_line_size`` / ``max_field_size``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from crosswire import jsonutil
from crosswire.canonical import GatewayError, InvalidRequestError, RequestTooLargeError
from crosswire.config import ServerConfig
from crosswire.server.auth import (
    ESTIMATED_TOKENS,
    REQUESTED_MODEL,
    CodecFor,
    Handler,
    error_answer,
)
from crosswire.server.relay import DECODED_BODY, read_body

LIST_FIELDS = ("messages", "input", "contents")
"""Where each format keeps its conversation: Anthropic / OpenAI Chat, Responses, Gemini."""
TOOL_LISTS = ("functionDeclarations", "function_declarations")
"""Gemini nests its declarations one level down, inside ``tools[]``."""
BYTES_PER_TOKEN = 4
"""For the per-key ``tpm`` estimate, before any decoding (generous, like provider pacing)."""


def server_options(server: ServerConfig) -> dict[str, Any]:
    """HTTP-parser limits for ``web.run_app`` / ``web.AppRunner``."""
    return {"max_line_size": server.max_header_bytes, "max_field_size": server.max_header_bytes}


def guard_body(server: ServerConfig, codec_for: CodecFor) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "POST" or not request.body_exists:
            return await handler(request)
        try:
            raw = await _receive(request, server)
            body = check_body(raw, server) if raw else None
        except GatewayError as error:
            status = 408 if isinstance(error, BodyTimeout) else None
            return error_answer(codec_for(request), error, status)
        if raw:
            request[ESTIMATED_TOKENS] = len(raw) // BYTES_PER_TOKEN
        model = _requested_model(request, body)
        if model is not None:
            request[REQUESTED_MODEL] = model
        if body is not None:
            request[DECODED_BODY] = body
        del body, raw
        return await handler(request)

    return middleware


class BodyTimeout(InvalidRequestError):
    """The body did not arrive in time (answered with HTTP 408)."""


async def _receive(request: web.Request, server: ServerConfig) -> bytes:
    limit = server.max_body_bytes
    length = request.content_length
    if length is not None and length > limit:
        raise RequestTooLargeError(
            f"request body is larger than the gateway's limit ({limit} bytes)"
        )
    try:
        async with asyncio.timeout(server.body_timeout):
            return await read_body(request)
    except TimeoutError:
        raise BodyTimeout(
            f"request body not received within {server.body_timeout:g} seconds"
        ) from None
    except web.HTTPRequestEntityTooLarge:
        raise RequestTooLargeError(
            f"request body is larger than the gateway's limit ({limit} bytes)"
        ) from None


def check_body(raw: bytes, server: ServerConfig) -> Any:
    """The decoded body, or :class:`InvalidRequestError` when it breaks a limit."""
    try:
        body = jsonutil.loads(raw)
    except RecursionError:
        raise InvalidRequestError("request body is not valid JSON: nested too deeply") from None
    except UnicodeDecodeError as exc:
        raise InvalidRequestError(f"request body is not valid UTF-8 ({exc.reason})") from None
    except jsonutil.DecodeError as exc:
        reason = str(exc)
        raise InvalidRequestError(f"request body is not valid JSON: {reason}") from None
    deep = server.max_json_depth
    if raw.count(b"{") + raw.count(b"[") > deep and too_deep(body, deep):
        raise InvalidRequestError(f"request JSON is nested deeper than {deep} levels")
    if isinstance(body, dict):
        _check_counts(body, server)
    return body


class _TooDeep(Exception):
    pass


_CONTAINERS = (dict, list)


def too_deep(obj: Any, limit: int) -> bool:
    """Whether ``obj`` nests containers more than ``limit`` levels deep (a scalar is 0, ``{}``
    is 1). Recursive with an early exit: 8x faster than an explicit stack here, and bounded by
    ``limit`` (a limit past the interpreter's recursion limit counts as too deep)."""
    try:
        _descend(obj, limit)
    except (_TooDeep, RecursionError):
        return True
    return False


def _descend(obj: Any, left: int) -> None:
    if type(obj) not in _CONTAINERS:
        return
    if left == 0:
        raise _TooDeep
    for child in obj.values() if type(obj) is dict else obj:
        if type(child) in _CONTAINERS:
            _descend(child, left - 1)


def _check_counts(body: dict[str, Any], server: ServerConfig) -> None:
    for name in LIST_FIELDS:
        items = body.get(name)
        if isinstance(items, list) and len(items) > server.max_messages:
            raise InvalidRequestError(
                f"{name} has {len(items)} entries; this gateway accepts at most "
                f"{server.max_messages}"
            )
    tools = body.get("tools")
    if isinstance(tools, list):
        count = len(tools)
        for tool in tools:
            if isinstance(tool, dict):
                for name in TOOL_LISTS:
                    nested = tool.get(name)
                    count += len(nested) if isinstance(nested, list) else 0
        if count > server.max_tools:
            raise InvalidRequestError(
                f"the request declares {count} tools; this gateway accepts at most "
                f"{server.max_tools}"
            )


def _requested_model(request: web.Request, body: Any) -> str | None:
    target = request.match_info.get("target")
    if target is not None:  # Gemini: /v1beta/models/{model}:{method}
        return target.rpartition(":")[0].removeprefix("models/") or None
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) else None
