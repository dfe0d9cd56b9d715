"""Limits that never limit: the default until pacing and cooldown are configured, and the
stand-ins the dispatcher runs with when :func:`crosswire.limits.build` is not available."""

from __future__ import annotations

from crosswire.config import ProviderConfig


class NoopPermit:
    """A permit that holds nothing."""

    async def release(self) -> None:
        return None


_PERMIT = NoopPermit()


class NoopLimiter:
    """Lets every request through at once."""

    async def acquire(self, provider: ProviderConfig, tokens: int) -> NoopPermit:
        return _PERMIT

    async def close(self) -> None:
        return None


class NoopBreaker:
    """Never opens."""

    async def allow(self, provider: ProviderConfig) -> bool:
        return True

    async def record(self, provider: ProviderConfig, ok: bool) -> None:
        return None
