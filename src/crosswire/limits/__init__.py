"""Pacing, concurrency and cooldown: what keeps agents working when upstreams throttle or fail.

The server asks a :class:`Limiter` for a :class:`Permit` before each upstream attempt and
reports each attempt's outcome to a :class:`Breaker`. Both keep their state in a
:class:`~crosswire.limits.state.SharedState` — in memory for one process, or in Redis so that
several replicas behind a load balancer share one provider's limits.
"""

from __future__ import annotations

from typing import Protocol

from crosswire.config import ProviderConfig


class Permit(Protocol):
    async def release(self) -> None:
        """Give back the concurrency slot (call once, when the upstream answer is over)."""
        ...


class Limiter(Protocol):
    async def acquire(self, provider: ProviderConfig, tokens: int) -> Permit:
        """Wait in the provider's fair (FIFO) queue until its ``rpm``, ``tpm`` and
        ``max_concurrency`` allow one more request of ``tokens`` estimated tokens.

        Raises :class:`~crosswire.canonical.RateLimitError` with ``retry_after`` when the wait
        would exceed the provider's ``max_queue_wait``: the request never reaches the upstream.
        """
        ...

    async def close(self) -> None: ...


class Breaker(Protocol):
    async def allow(self, provider: ProviderConfig) -> bool:
        """False while the provider is cooling down; True again for one recovery probe after
        ``cooldown_seconds``, and for everyone once a probe succeeded."""
        ...

    async def record(self, provider: ProviderConfig, ok: bool) -> None:
        """The outcome of one attempt (a failure = connection error, timeout, 429, 5xx)."""
        ...


from crosswire.limits.factory import build  # noqa: E402  (after the Protocols it returns)

__all__ = ["Breaker", "Limiter", "Permit", "build"]
