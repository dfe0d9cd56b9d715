"""What every handler shares: the config, the upstream pool, backends, keep-alives, and the
limiter, breaker and retry budget the dispatcher consults."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from crosswire.config import Config, ProviderConfig
from crosswire.limits import Breaker, Limiter
from crosswire.limits.noop import NoopBreaker, NoopLimiter
from crosswire.server.keepalive import KeepAlive
from crosswire.server.retry_policy import RetryBudget
from crosswire.upstream import Backend, UpstreamPool, backend_for


@dataclass
class GatewayState:
    config: Config
    pool: UpstreamPool
    keepalive: KeepAlive
    limiter: Limiter = field(default_factory=NoopLimiter)
    """Pacing and concurrency per provider (see :mod:`crosswire.limits`)."""
    breaker: Breaker = field(default_factory=NoopBreaker)
    """Cooldown of providers that keep failing."""
    retry_budget: RetryBudget = field(default_factory=lambda: RetryBudget(0.2))
    """Retries per provider as a share of requests (``[server] retry_budget``)."""
    _backends: dict[str, Backend] = field(default_factory=dict)

    def backend(self, provider: ProviderConfig) -> Backend:
        backend = self._backends.get(provider.type)
        if backend is None:
            backend = self._backends[provider.type] = backend_for(provider.type, self.pool)
        return backend


STATE = web.AppKey("crosswire_state", GatewayState)
