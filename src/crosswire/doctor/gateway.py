"""The gateway the probes talk to: :func:`crosswire.server.create_app` on a free loopback port,
in the doctor's own event loop — the same handlers, codecs, routing and backends clients use.

The config is the user's, with changes that make each probe's verdict about one model:

- no gateway keys (the probes cannot know them; the gateway only listens on 127.0.0.1);
- no ``fallbacks`` (a broken model must not pass through its fallback; each fallback is a
  model of its own and is probed too);
- no retries and no cooldown (a failure is reported as it happened, and one broken path does
  not put the provider in cooldown for the probes after it).

Provider pacing (``rpm``, ``tpm``, ``max_concurrency``) stays, so probing respects it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from aiohttp import web

from crosswire.config import Config
from crosswire.server import create_app

LOOPBACK = "127.0.0.1"
NO_COOLDOWN = 1_000_000


def probe_config(config: Config) -> Config:
    """``config`` as the probing gateway runs it (see the module docstring)."""
    server = replace(
        config.server, host=LOOPBACK, port=0, keys=(), retries=0, cooldown_after=NO_COOLDOWN
    )
    models = {alias: replace(m, fallbacks=()) for alias, m in config.models.items()}
    return replace(config, server=server, models=models)


@asynccontextmanager
async def running_gateway(config: Config) -> AsyncIterator[str]:
    """Serve :func:`probe_config` of ``config``; yields the base URL (``http://127.0.0.1:N``)."""
    runner = web.AppRunner(create_app(probe_config(config)), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, LOOPBACK, 0)
        await site.start()
        port = runner.addresses[0][1]
        yield f"http://{LOOPBACK}:{port}"
    finally:
        await runner.cleanup()
