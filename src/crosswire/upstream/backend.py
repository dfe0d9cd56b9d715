"""The backend interface and the table of backends by provider ``type``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Protocol

from crosswire.canonical import Event, NotFoundError, Request, Response
from crosswire.routing import Target
from crosswire.upstream.pool import UpstreamPool


class Backend(Protocol):
    async def complete(self, request: Request, target: Target) -> Response: ...

    def stream(self, request: Request, target: Target) -> AsyncIterator[list[Event]]: ...


def _openai_chat(pool: UpstreamPool) -> Backend:
    from crosswire.upstream.http_backend import HTTPBackend
    from crosswire.upstream.openai_chat import OpenAIChatAdapter

    return HTTPBackend(pool, OpenAIChatAdapter())


def _anthropic(pool: UpstreamPool) -> Backend:
    from crosswire.upstream.anthropic import AnthropicAdapter
    from crosswire.upstream.http_backend import HTTPBackend

    return HTTPBackend(pool, AnthropicAdapter())


def _openai_responses(pool: UpstreamPool) -> Backend:
    from crosswire.upstream.http_backend import HTTPBackend
    from crosswire.upstream.openai_responses import OpenAIResponsesAdapter

    return HTTPBackend(pool, OpenAIResponsesAdapter())


def _google_genai(pool: UpstreamPool) -> Backend:
    from crosswire.upstream.gemini import GoogleGenAIAdapter
    from crosswire.upstream.http_backend import HTTPBackend

    return HTTPBackend(pool, GoogleGenAIAdapter())


def _vertexai(pool: UpstreamPool) -> Backend:
    from crosswire.upstream.gemini import VertexAIAdapter
    from crosswire.upstream.http_backend import HTTPBackend

    return HTTPBackend(pool, VertexAIAdapter())


def _echo(pool: UpstreamPool) -> Backend:
    from crosswire.providers.echo import EchoBackend

    return EchoBackend(pool)


# provider type -> backend factory; a new upstream format registers here.
BACKENDS: dict[str, Callable[[UpstreamPool], Backend]] = {
    "openai": _openai_chat,
    "kimi": _openai_chat,
    "anthropic": _anthropic,
    "openai_responses": _openai_responses,
    "google-genai": _google_genai,
    "vertexai": _vertexai,
    "echo": _echo,
}


def backend_for(provider_type: str, pool: UpstreamPool) -> Backend:
    factory = BACKENDS.get(provider_type)
    if factory is None:
        available = ", ".join(sorted(BACKENDS))
        raise NotFoundError(
            f"provider type {provider_type!r} is not served yet (available: {available})"
        )
    return factory(pool)
