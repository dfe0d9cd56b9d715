"""One bounded aiohttp connection pool for all upstream traffic."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp


@dataclass(frozen=True, slots=True)
class PoolSettings:
    connect_timeout: float = 10.0
    idle_timeout: float = 300.0
    """Longest silence allowed between two chunks of an upstream answer (long thinking)."""
    max_connections: int = 2048
    max_connections_per_host: int = 1024


class UpstreamPool:
    def __init__(self, settings: PoolSettings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.settings.max_connections,
                limit_per_host=self.settings.max_connections_per_host,
                ttl_dns_cache=300,
                keepalive_timeout=60,
            )
            timeout = aiohttp.ClientTimeout(
                total=None,
                connect=None,
                sock_connect=self.settings.connect_timeout,
                sock_read=self.settings.idle_timeout,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=timeout,
                auto_decompress=True,
                trust_env=False,
                skip_auto_headers=("User-Agent",),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
