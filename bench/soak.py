"""Soak: bounded mixed load on a real ``crosswire serve`` process for a few minutes, watching
its RSS, open file descriptors and asyncio tasks for leaks. Not a test; run by hand:

    .venv/bin/python bench/soak.py --minutes 3

The mix (per request, at random, seeded): the four client formats, streamed or not; 10% of
clients abort after the first chunk; the chaos upstream (in this process) answers 429, 500,
a stall longer than the gateway's idle timeout, a reset mid-stream, or SSE garbage, each ~5%
of the time, otherwise a normal stream or completion. The gateway runs with
``debug_endpoints = true`` (``GET /debug/tasks``); RSS and fds come from ``/proc/<pid>``.
Writes ``bench/results/<date>-soak.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import logging
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
KEY = "soak-gateway-key-0000000001"
CHAOS = [
    ("ok", 70),
    ("429", 5),
    ("500", 5),
    ("stall", 5),
    ("reset", 5),
    ("garbage", 5),
    ("slow", 5),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}  # fmt: skip
    return b"data: " + json.dumps(body).encode() + b"\n\n"


class ChaosUpstream:
    def __init__(self, seed: int, only: str | None = None) -> None:
        self.rng = random.Random(seed)
        self.only = only
        self.outcomes: Counter[str] = Counter()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        kind = self.only or self.rng.choices([k for k, _ in CHAOS], [w for _, w in CHAOS])[0]
        self.outcomes[kind] += 1
        if kind == "429":
            return web.json_response({"error": {"message": "slow down"}}, status=429,
                                     headers={"retry-after": "0"})  # fmt: skip
        if kind == "500":
            return web.json_response({"error": {"message": "boom"}}, status=500)
        if not body.get("stream"):
            if kind == "garbage":
                return web.Response(body=b"{not json", content_type="application/json")
            message = {"role": "assistant", "content": "soak " * 40}
            return web.json_response({
                "id": "c", "object": "chat.completion", "created": 1, "model": "m",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 40, "total_tokens": 50},
            })  # fmt: skip
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        with contextlib.suppress(ConnectionError):  # the gateway's client went away
            await self._stream(request, response, kind)
        return response

    async def _stream(self, request: web.Request, response: web.StreamResponse, kind: str) -> None:
        await response.prepare(request)
        await response.write(_chunk({"role": "assistant", "content": ""}))
        for i in range(20):
            if kind == "stall" and i == 5:
                await asyncio.sleep(4)  # > the gateway's idle_timeout (2 s)
            if kind == "reset" and i == 8:
                assert request.transport is not None
                request.transport.abort()
                return
            if kind == "garbage" and i == 3:
                await response.write(b"data: {garbage\n\n\xff\xfe\n\n")
            await response.write(_chunk({"content": f"token{i} "}))
            await asyncio.sleep(0.05 if kind == "slow" else 0.005)
        await response.write(_chunk({}, "stop") + b"data: [DONE]\n\n")


REQUESTS = {
    "anthropic": ("/v1/messages", {"model": "main", "max_tokens": 64,
                  "messages": [{"role": "user", "content": "hi"}]}),
    "openai_chat": ("/v1/chat/completions", {"model": "main",
                    "messages": [{"role": "user", "content": "hi"}]}),
    "openai_responses": ("/v1/responses", {"model": "main", "input": "hi"}),
    "gemini": ("/v1beta/models/main:generateContent",
               {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}),
}  # fmt: skip


async def one_request(
    session: aiohttp.ClientSession, base: str, rng: random.Random, stats: Counter[str]
) -> None:
    fmt = rng.choice(list(REQUESTS))
    path, body = REQUESTS[fmt]
    body = dict(body)
    stream = rng.random() < 0.7
    if stream:
        if fmt == "gemini":
            path = "/v1beta/models/main:streamGenerateContent?alt=sse"
        else:
            body["stream"] = True
    abort = stream and rng.random() < 0.1
    headers = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
    try:
        async with session.post(base + path, json=body, headers=headers) as response:
            if abort:
                await response.content.readany()
                response.close()
                stats["aborted"] += 1
                return
            await response.read()
            stats[f"{response.status}"] += 1
    except (TimeoutError, aiohttp.ClientError) as exc:
        stats[f"client-error:{type(exc).__name__}:{fmt}:{'stream' if stream else 'complete'}"] += 1


def sample(pid: int, tasks: int) -> dict[str, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    return {"rss_mib": rss_kb / 1024, "fds": len(os.listdir(f"/proc/{pid}/fd")), "tasks": tasks}


async def debug_tasks(session: aiohttp.ClientSession, base: str) -> int:
    headers = {"x-api-key": KEY}
    async with session.get(base + "/debug/tasks", headers=headers) as response:
        return int((await response.json())["tasks"])


async def soak(args: argparse.Namespace) -> dict[str, Any]:
    chaos = ChaosUpstream(args.seed, args.only)
    app = web.Application()
    app.router.add_post("/v1/chat/completions", chaos.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    up_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", up_port).start()
    gw_port = free_port()
    config = f"""
default_model = "main"
[server]
port = {gw_port}
idle_timeout = 2.0
log_level = "{args.log_level}"
debug_endpoints = true
keys = ["{KEY}"]
[providers.chaos]
type = "openai"
base_url = "http://127.0.0.1:{up_port}/v1"
[models.main]
provider = "chaos"
model = "m"
max_context_size = 100000
"""
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(config)
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115  (closed below, after reading it)
    proc = subprocess.Popen(
        [sys.executable, "-m", "crosswire", "serve", "--config", f.name],
        stdout=subprocess.DEVNULL, stderr=log, cwd=ROOT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{gw_port}"
    rng = random.Random(args.seed)
    stats: Counter[str] = Counter()
    samples: list[tuple[float, dict[str, float]]] = []
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=args.concurrency * 2)
    try:
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            for _ in range(100):
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(base + "/health") as r:
                        if r.status == 200:
                            break
                await asyncio.sleep(0.1)
            deadline = time.monotonic() + args.minutes * 60
            started = time.monotonic()

            async def worker() -> None:
                while time.monotonic() < deadline:
                    await one_request(session, base, rng, stats)

            workers = [asyncio.create_task(worker()) for _ in range(args.concurrency)]
            try:
                while time.monotonic() < deadline:
                    tasks = await debug_tasks(session, base)
                    samples.append((time.monotonic() - started, sample(proc.pid, tasks)))
                    await asyncio.sleep(args.every)
                await asyncio.gather(*workers)
            finally:
                for task in workers:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
            await asyncio.sleep(3)  # let aborted streams and stalls wind down
            tasks = await debug_tasks(session, base)
            samples.append((time.monotonic() - started, sample(proc.pid, tasks)))
    finally:
        proc.terminate()
        proc.wait(10)
        await runner.cleanup()
        os.unlink(f.name)
    log.seek(0)
    gateway_log = log.read()
    log.close()
    if args.gateway_log:
        Path(args.gateway_log).write_text(gateway_log)
    errors = sum(" ERROR " in line for line in gateway_log.splitlines())
    return {"samples": samples, "stats": stats, "chaos": chaos.outcomes, "errors": errors,
            "tracebacks": gateway_log.count("Traceback")}  # fmt: skip


def report(args: argparse.Namespace, result: dict[str, Any]) -> str:
    samples = result["samples"]
    warm = samples[1] if len(samples) > 2 else samples[0]
    mid = samples[len(samples) // 2]
    end = samples[-1]
    rows = [("start (after first interval)", warm), ("middle", mid), ("end (load stopped)", end)]
    lines = [
        f"# Soak — {datetime.date.today().isoformat()}",
        "",
        f"`python bench/soak.py --minutes {args.minutes} --concurrency {args.concurrency} "
        f"--seed {args.seed}` on {os.cpu_count()} CPUs, Python {sys.version.split()[0]}.",
        "One `crosswire serve` process (gateway keys on, `idle_timeout = 2`), a chaos OpenAI "
        "upstream, all four client formats, 70% streamed, 10% of streams aborted by the client.",
        "",
        "| when | t (s) | RSS (MiB) | open fds | asyncio tasks |",
        "|---|---|---|---|---|",
    ]
    for name, (t, s) in rows:
        lines.append(
            f"| {name} | {t:.0f} | {s['rss_mib']:.1f} | {s['fds']:.0f} | {s['tasks']:.0f} |"
        )
    rss = [s["rss_mib"] for _, s in samples[1:]] or [samples[0][1]["rss_mib"]]
    lines += [
        "",
        f"RSS over {len(samples)} samples (every {args.every:g} s, after the first): "
        f"min {min(rss):.1f}, median {statistics.median(rss):.1f}, max {max(rss):.1f} MiB.",
        "",
        "All samples (t, RSS MiB, fds, tasks): "
        + ", ".join(
            f"({t:.0f}, {s['rss_mib']:.1f}, {s['fds']:.0f}, {s['tasks']:.0f})" for t, s in samples
        ),
        "",
        f"Client outcomes: {dict(sorted(result['stats'].items()))}.",
        f"Upstream chaos: {dict(sorted(result['chaos'].items()))}.",
        f"Gateway log: {result['errors']} ERROR lines, {result['tracebacks']} tracebacks.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--only", default=None, help="one upstream behaviour (diagnosis)")
    parser.add_argument("--log-level", default="warning", help="the gateway's log level")
    parser.add_argument("--gateway-log", default=None, help="also copy the gateway's log here")
    parser.add_argument(
        "--out", default=None, help="report path (default bench/results/<date>-soak.md)"
    )
    args = parser.parse_args()
    logging.getLogger("aiohttp").setLevel(logging.CRITICAL)  # the chaos upstream's own noise
    result = asyncio.run(soak(args))
    text = report(args, result)
    out = Path(
        args.out or ROOT / "bench" / "results" / f"{datetime.date.today().isoformat()}-soak.md"
    )
    out.write_text(text)
    print(text)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
