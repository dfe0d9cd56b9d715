"""No leaks under faults: a few hundred mixed faulty requests — every chaos fault, both client
formats, all three routes (translated to Chat, translated to Anthropic, same-format relay),
streamed and not, a third of the streams hung up on by the client after the first bytes —
then, after a short settle, the gateway is back where it started:

a. the asyncio tasks on the gateway's loop number the baseline (+ :data:`TASK_SLACK`),
   counted with ``asyncio.all_tasks()`` run on that loop (``run_coroutine_threadsafe``);
b. the process's open file descriptors (``/proc/self/fd``) number the baseline plus two per
   idle keep-alive connection the upstream pool gained (its socket and the chaos server's
   end of it, both in this process) (+ :data:`FD_SLACK`);
c. the upstream connector has no connection checked out and keeps no more idle ones than
   requests ever ran at once. This reads aiohttp's private ``BaseConnector._acquired`` (the
   set of connections in use) and ``BaseConnector._conns`` (idle keep-alive connections per
   host): stable across aiohttp 3.x, and acceptable in a test;
d. no upstream request is left open (the chaos upstream answers none any more: every stall
   the gateway gave up on was hung up on), and the gateway still answers normally.

The gateway runs in this process (``start_gateway``). About 4 s.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest

from crosswire.server.state import STATE
from tests.support.chaos_upstream import FAULTS, ChaosUpstream, ErrorLogWatch, chaos_gateway_config
from tests.support.servers import ThreadedApp, start_gateway

REQUESTS = 300
WORKERS = 24
TASK_SLACK = 2
FD_SLACK = 6
SETTLE = 5.0
"""Longest wait for the gateway to wind down after the storm."""
ERROR_STATUSES = {429, 500, 502, 503, 504, 529}
ROUTES = (
    ("/v1/messages", "chat"), ("/v1/messages", "claude"),
    ("/v1/chat/completions", "chat"), ("/v1/chat/completions", "chat-tr"),
    ("/v1/chat/completions", "claude"),
)  # fmt: skip


@dataclass(frozen=True)
class Job:
    path: str
    model: str
    fault: str
    stream: bool
    hang_up: bool
    """Close the connection after the first bytes of the answer."""


@dataclass(frozen=True)
class Gauges:
    tasks: int
    fds: int
    idle: int
    """Idle keep-alive connections in the upstream pool."""
    acquired: int
    """Upstream connections checked out (a request using them, or leaked)."""


@pytest.fixture(scope="module")
def chaos() -> Iterator[ChaosUpstream]:
    upstream = ChaosUpstream(stall=2.0).start()
    yield upstream
    upstream.stop()


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    """One client for all threads, without keep-alive: each request has its own connection,
    closed when it ends, so the gateway keeps no client connection between requests."""
    with httpx.Client(timeout=10, limits=httpx.Limits(max_keepalive_connections=0)) as shared:
        yield shared


@pytest.fixture(scope="module")
def gateway(chaos: ChaosUpstream) -> Iterator[ThreadedApp]:
    app = start_gateway(chaos_gateway_config(chaos, idle_timeout=0.25, ping_interval=0.1))
    yield app
    app.stop()


def _jobs() -> list[Job]:
    rng = random.Random(8)
    jobs = []
    for n in range(REQUESTS):
        path, model = ROUTES[n % len(ROUTES)]
        fault = FAULTS[rng.randrange(len(FAULTS))]
        stream = fault == "long" or rng.random() < 0.6
        hang_up = fault == "long" or (stream and rng.random() < 0.33)
        jobs.append(Job(path, model, fault, stream, hang_up))
    return jobs


def _run(client: httpx.Client, url: str, job: Job) -> None:
    body = {
        "model": job.model, "max_tokens": 64, "stream": job.stream,
        "messages": [{"role": "user", "content": f"chaos:{job.fault}"}],
    }  # fmt: skip
    headers = {"anthropic-version": "2023-06-01"}
    if job.hang_up:
        with client.stream("POST", url + job.path, json=body, headers=headers) as response:
            next(response.iter_raw(), None)
        return  # leaving the block closes the connection mid-answer
    response = client.post(url + job.path, json=body, headers=headers)
    assert response.status_code == 200 or response.status_code in ERROR_STATUSES, response.text
    assert "Traceback" not in response.text


def _gauges(app: ThreadedApp) -> Gauges:
    async def measure() -> Gauges:
        connector = app.app[STATE].pool.session.connector
        assert connector is not None
        idle = sum(len(conns) for conns in connector._conns.values())
        return Gauges(
            len(asyncio.all_tasks()), len(os.listdir("/proc/self/fd")), idle,
            len(connector._acquired),
        )  # fmt: skip

    return asyncio.run_coroutine_threadsafe(measure(), app.loop).result(5)


def _settled(app: ThreadedApp, chaos: ChaosUpstream, base: Gauges) -> Gauges:
    deadline = time.monotonic() + SETTLE
    while True:
        now = _gauges(app)
        quiet = now.acquired == 0 and chaos.in_flight == 0
        if (quiet and now.tasks <= base.tasks + TASK_SLACK) or time.monotonic() > deadline:
            return now
        time.sleep(0.05)


def test_no_task_fd_or_connection_leak(
    gateway: ThreadedApp, chaos: ChaosUpstream, client: httpx.Client
) -> None:
    for path, model in ROUTES:  # warm up: pool, keep-alive pinger, every backend
        for stream in (False, True):
            _run(client, gateway.url, Job(path, model, "ok", stream, hang_up=False))
    base = _settled(gateway, chaos, _gauges(gateway))
    jobs = _jobs()
    assert sum(j.hang_up for j in jobs) > 50 and len({j.fault for j in jobs}) == len(FAULTS)

    with ErrorLogWatch() as watch, ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(lambda job: _run(client, gateway.url, job), jobs))
        after = _settled(gateway, chaos, base)
    assert not watch.records

    assert chaos.in_flight == 0, "upstream requests left open"
    assert sum(hit.outcome == "disconnected" for hit in chaos.hits) > 20  # hang-ups reached it
    assert after.acquired == 0, "upstream connections checked out after the storm"
    assert after.idle <= WORKERS, f"{after.idle} idle upstream connections for {WORKERS} clients"
    assert after.tasks <= base.tasks + TASK_SLACK, (base, after)
    pooled = max(0, after.idle - base.idle)
    assert after.fds <= base.fds + 2 * pooled + FD_SLACK, (base, after)

    for path, model in ROUTES:  # and it still works
        for stream in (False, True):
            _run(client, gateway.url, Job(path, model, "ok", stream, hang_up=False))
    assert len(chaos.hits) >= REQUESTS
