"""What every handler shares: the config, the upstream pool, backends, keep-alives."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from crosswire.config import Config, ProviderConfig
from crosswire.server.keepalive import KeepAlive
from crosswire.upstream import Backend, UpstreamPool, backend_for


@dataclass
class GatewayState:
    config: Config
    pool: UpstreamPool
    keepalive: KeepAlive
    _backends: dict[str, Backend] = field(default_factory=dict)

    def backend(self, provider: ProviderConfig) -> Backend:
        backend = self._backends.get(provider.type)
        if backend is None:
            backend = self._backends[provider.type] = backend_for(provider.type, self.pool)
        return backend


STATE = web.AppKey("crosswire_state", GatewayState)
