"""The backend interface and the table of backends by provider ``type``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from crosswire.canonical import Event, NotFoundError, Request, Response
from crosswire.routing import Target
from crosswire.upstream.pool import UpstreamPool


class Backend(Protocol):
    async def complete(self, request: Request, target: Target) -> Response: ...

    def stream(self, request: Request, target: Target) -> AsyncIterator[list[Event]]: ...


def backend_for(provider_type: str, pool: UpstreamPool) -> Backend:
    from crosswire.providers.echo import EchoBackend
    from crosswire.upstream.openai_chat import OpenAIChatBackend

    backends: dict[str, type[OpenAIChatBackend] | type[EchoBackend]] = {
        "openai": OpenAIChatBackend,
        "kimi": OpenAIChatBackend,
        "echo": EchoBackend,
    }
    cls = backends.get(provider_type)
    if cls is None:
        raise NotFoundError(
            f"provider type {provider_type!r} is not served yet (available: "
            + ", ".join(sorted(backends))
            + ")"
        )
    return cls(pool)
