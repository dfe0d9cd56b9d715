"""``GET /metrics`` and who may read it.

Open to loopback clients (a Prometheus agent or ``curl`` on the gateway's host). From anywhere
else it goes through the gateway's authentication like every other endpoint: with ``[server]
keys`` configured it needs a valid gateway key (``Authorization: Bearer …`` — Prometheus'
``authorization`` scrape setting — or ``x-api-key``); without keys, crosswire listens only on
loopback unless started with ``--insecure-no-auth``, and then ``/metrics`` is as open as the rest.

Behind a reverse proxy on the same host every client looks like loopback: block ``/metrics``
at the proxy, or set ``[metrics] enabled = false``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from crosswire.config import Config
from crosswire.observe.metrics import CONTENT_TYPE
from crosswire.observe.observer import OBSERVER, Observer
from crosswire.server.debug import is_loopback

METRICS_PATH = "/metrics"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def metrics_endpoint(request: web.Request) -> web.Response:
    metrics = request.app[OBSERVER].metrics
    if metrics is None:
        raise web.HTTPNotFound()
    return web.Response(body=metrics.render(), headers={"content-type": CONTENT_TYPE})


@web.middleware
async def loopback_metrics(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer loopback ``GET /metrics`` before the authentication middleware sees it."""
    if request.path == METRICS_PATH and request.method == "GET" and is_loopback(request.remote):
        return await metrics_endpoint(request)
    return await handler(request)


def install(app: web.Application, config: Config) -> Observer:
    """Set up the observer, ``/metrics`` and the log writer's lifecycle on ``app``. Call before
    the security middlewares are installed, so that loopback scrapes need no key."""
    observer = Observer(config)
    app[OBSERVER] = observer
    if observer.metrics is not None:
        app.router.add_get(METRICS_PATH, metrics_endpoint)
        if config.server.keys:
            app.middlewares.append(loopback_metrics)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await observer.start()
        yield
        await observer.close()

    app.cleanup_ctx.append(lifecycle)
    return observer
