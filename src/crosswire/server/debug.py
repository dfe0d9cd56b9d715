"""``GET /debug/tasks`` (``[server] debug_endpoints = true``): the gateway's asyncio task count,
for soak tests. Answered to loopback clients only; 404 to anyone else."""

from __future__ import annotations

import asyncio
import ipaddress

from aiohttp import web


def is_loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote.split("%")[0]).is_loopback
    except ValueError:
        return False


async def debug_tasks(request: web.Request) -> web.Response:
    if not is_loopback(request.remote):
        raise web.HTTPNotFound()
    return web.json_response({"tasks": len(asyncio.all_tasks())})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/debug/tasks", debug_tasks)
