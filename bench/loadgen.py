"""Load generator worker for the benchmark, run as its own process by ``bench/run.py``.

It reads one JSON command per line on stdin and answers one JSON line on stdout, so the
orchestrator can read the gateway's CPU counters right before and after each measured run
without the load generator's own CPU being counted in the gateway's process.

Two HTTP/1.1 clients, both keep-alive, one connection per concurrent worker:

- ``raw`` (default): a minimal asyncio Protocol client on uvloop (precomputed request bytes,
  Content-Length and chunked responses). It costs a few tens of microseconds per request, so
  on a 2-core machine it leaves the most CPU to the gateway and adds the least noise;
- ``aiohttp``: ``aiohttp.ClientSession`` (a cross-check; heavier).

Commands (``id`` of a target is chosen by the caller):

- ``{"cmd": "target", "id", "host", "port", "path", "headers", "body_file", "expect"}``:
  define a request; ``expect`` is a byte string every successful body must contain;
- ``{"cmd": "paired", "targets": [a, b], "n", "warmup"}``: concurrency 1, alternating a, b,
  a, b ... (so drift affects both equally); per-target latency and TTFB summaries;
- ``{"cmd": "load", "target", "concurrency", "duration" | "requests"}``: closed-loop load;
  requests/s, latency and TTFB summaries;
- ``{"cmd": "hold", "target", "n", "batch", "ramp"}``: ``n`` concurrent streams (connections
  opened ``batch`` at a time, then the requests sent at once, or spread over ``ramp``
  seconds); reports how many completed and how many were open (first byte received, not yet
  finished) at the same time;
- ``{"cmd": "close"}``: close every connection; ``{"cmd": "quit"}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from dataclasses import dataclass
from typing import Any

REQUEST_ID = re.compile(r"(req|msg)_[0-9a-zA-Z]{8,}")


@dataclass
class Target:
    id: str
    host: str
    port: int
    path: str
    headers: dict[str, str]
    body: bytes
    expect: bytes
    raw: bytes  # the whole request, for the raw client


@dataclass
class Sample:
    ok: bool
    latency_ns: int
    ttfb_ns: int
    error: str = ""


class RawConnection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[tuple[int, int, int, bytes]] | None = None
        self.closed = False
        self._reset()

    def _reset(self) -> None:
        self.t0 = 0
        self.t_first = 0
        self.status = 0
        self.head_done = False
        self.length = -1  # Content-Length; -1 with chunked
        self.chunked = False
        self.body = bytearray()
        self.chunk_left = 0  # bytes of the current chunk still to read (+2 for its CRLF)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"connection lost: {exc}"))

    def request(self, raw: bytes) -> asyncio.Future[tuple[int, int, int, bytes]]:
        assert self.transport is not None
        self._reset()
        self.buf.clear()
        self.waiter = asyncio.get_running_loop().create_future()
        self.t0 = time.perf_counter_ns()
        self.transport.write(raw)
        return self.waiter

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter_ns()
        buf = self.buf
        buf += data
        if not self.head_done:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end]).lower()
            self.status = int(head[9:12])
            i = head.find(b"\r\ncontent-length:")
            if i >= 0:
                j = head.find(b"\r\n", i + 2)
                self.length = int(head[i + 17 : j if j >= 0 else len(head)])
            elif b"\r\ntransfer-encoding: chunked" in head:
                self.chunked = True
            else:
                self.length = 0
            self.head_done = True
            del buf[: end + 4]
        if not self.chunked:
            if buf and not self.t_first:
                self.t_first = now
            if len(buf) >= self.length:
                self.body = buf[: self.length]
                del buf[: self.length]
                self._done(now)
            return
        while True:
            if self.chunk_left:
                take = min(self.chunk_left, len(buf))
                self.body += buf[:take]
                del buf[:take]
                self.chunk_left -= take
                if self.chunk_left:
                    return
                # the chunk's trailing CRLF is part of chunk_left accounting below
                continue
            eol = buf.find(b"\r\n")
            if eol < 0:
                return
            size_text = bytes(buf[:eol]).split(b";")[0].strip()
            if not size_text:  # the CRLF after a chunk's data
                del buf[: eol + 2]
                continue
            size = int(size_text, 16)
            if size == 0:
                end = buf.find(b"\r\n\r\n", eol)
                if end < 0 and bytes(buf[eol : eol + 4]) != b"\r\n\r\n":
                    return
                del buf[: (end + 4 if end >= 0 else eol + 4)]
                self._done(now)
                return
            if not self.t_first:
                self.t_first = now
            del buf[: eol + 2]
            self.chunk_left = size
            # the data's CRLF is consumed as an empty size line on the next pass

    def _done(self, now: int) -> None:
        waiter = self.waiter
        self.waiter = None
        if waiter is not None and not waiter.done():
            t_first = self.t_first or now
            waiter.set_result((self.status, t_first - self.t0, now - self.t0, bytes(self.body)))


class RawClient:
    def __init__(self) -> None:
        self.idle: dict[str, list[RawConnection]] = {}

    async def connect(self, target: Target) -> RawConnection:
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(RawConnection, target.host, target.port)
        return conn

    async def open(self, target: Target, n: int) -> None:
        pool = self.idle.setdefault(target.id, [])
        while len(pool) < n:
            pool.append(await self.connect(target))

    async def one(self, target: Target) -> Sample:
        pool = self.idle.setdefault(target.id, [])
        conn = pool.pop() if pool else await self.connect(target)
        try:
            status, ttfb, total, body = await conn.request(target.raw)
        except Exception as exc:
            return Sample(False, 0, 0, f"{type(exc).__name__}: {exc}")
        if not conn.closed:
            pool.append(conn)
        if status != 200:
            return Sample(False, total, ttfb, f"HTTP {status}: {body[:200]!r}")
        if target.expect and target.expect not in body:
            return Sample(False, total, ttfb, f"body lacks {target.expect!r}: {body[-200:]!r}")
        return Sample(True, total, ttfb)

    async def close(self) -> None:
        for pool in self.idle.values():
            for conn in pool:
                if conn.transport is not None:
                    conn.transport.close()
        self.idle.clear()


class AiohttpClient:
    def __init__(self) -> None:
        import aiohttp

        self.aiohttp = aiohttp
        self.session: Any = None

    def _session(self) -> Any:
        if self.session is None:
            connector = self.aiohttp.TCPConnector(limit=0, force_close=False)
            self.session = self.aiohttp.ClientSession(
                connector=connector,
                timeout=self.aiohttp.ClientTimeout(total=None),
                auto_decompress=False,
            )
        return self.session

    async def open(self, target: Target, n: int) -> None:
        return None

    async def one(self, target: Target) -> Sample:
        session = self._session()
        url = f"http://{target.host}:{target.port}{target.path}"
        t0 = time.perf_counter_ns()
        try:
            async with session.post(url, data=target.body, headers=target.headers) as resp:
                first = await resp.content.readany()
                t_first = time.perf_counter_ns()
                rest = await resp.content.read()
                t_done = time.perf_counter_ns()
                body = first + rest
                status = resp.status
        except Exception as exc:
            return Sample(False, 0, 0, f"{type(exc).__name__}: {exc}")
        if status != 200:
            return Sample(False, t_done - t0, t_first - t0, f"HTTP {status}: {body[:200]!r}")
        if target.expect and target.expect not in body:
            return Sample(False, t_done - t0, t_first - t0, f"body lacks {target.expect!r}")
        return Sample(True, t_done - t0, t_first - t0)

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None


def percentile(sorted_values: list[int], q: float) -> float:
    """Nearest-rank percentile of ns values, in ms."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k] / 1e6


def summary(samples: list[Sample]) -> dict[str, Any]:
    ok = [s for s in samples if s.ok]
    lat = sorted(s.latency_ns for s in ok)
    ttfb = sorted(s.ttfb_ns for s in ok)
    errors: dict[str, int] = {}
    for s in samples:
        if not s.ok:
            key = REQUEST_ID.sub("req_…", s.error)[:300]
            errors[key] = errors.get(key, 0) + 1
    out: dict[str, Any] = {"requests": len(samples), "ok": len(ok), "errors": errors}
    for name, values in (("latency_ms", lat), ("ttfb_ms", ttfb)):
        out[name] = {
            "p50": percentile(values, 50),
            "p90": percentile(values, 90),
            "p99": percentile(values, 99),
            "p99.9": percentile(values, 99.9),
            "min": values[0] / 1e6 if values else float("nan"),
            "max": values[-1] / 1e6 if values else float("nan"),
            "mean": sum(values) / len(values) / 1e6 if values else float("nan"),
        }
    return out


class Worker:
    def __init__(self, client: RawClient | AiohttpClient) -> None:
        self.client = client
        self.targets: dict[str, Target] = {}

    def define(self, cmd: dict[str, Any]) -> dict[str, Any]:
        with open(cmd["body_file"], "rb") as f:
            body = f.read()
        headers = {k: v for k, v in cmd.get("headers", {}).items()}
        host, port, path = cmd["host"], int(cmd["port"]), cmd["path"]
        lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines += [f"Content-Length: {len(body)}", "", ""]
        raw = "\r\n".join(lines).encode() + body
        self.targets[cmd["id"]] = Target(
            cmd["id"], host, port, path, headers, body, cmd.get("expect", "").encode(), raw
        )
        return {"ok": True, "bytes": len(body)}

    async def paired(self, cmd: dict[str, Any]) -> dict[str, Any]:
        targets = [self.targets[t] for t in cmd["targets"]]
        for _ in range(int(cmd.get("warmup", 0))):
            for t in targets:
                await self.client.one(t)
        results: dict[str, list[Sample]] = {t.id: [] for t in targets}
        started = time.perf_counter()
        for _ in range(int(cmd["n"])):
            for t in targets:
                results[t.id].append(await self.client.one(t))
        return {
            "elapsed_s": time.perf_counter() - started,
            "targets": {tid: summary(samples) for tid, samples in results.items()},
        }

    async def load(self, cmd: dict[str, Any]) -> dict[str, Any]:
        target = self.targets[cmd["target"]]
        concurrency = int(cmd["concurrency"])
        duration = float(cmd.get("duration", 0))
        budget = int(cmd.get("requests", 0))
        await self.client.open(target, concurrency)
        samples: list[Sample] = []
        issued = 0
        started = time.perf_counter()
        deadline = started + duration if duration else float("inf")

        async def worker() -> None:
            nonlocal issued
            while time.perf_counter() < deadline and (not budget or issued < budget):
                issued += 1
                samples.append(await self.client.one(target))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        out = summary(samples)
        if cmd.get("raw"):
            out["raw_latency_us"] = [s.latency_ns // 1000 for s in samples if s.ok]
            out["raw_ttfb_us"] = [s.ttfb_ns // 1000 for s in samples if s.ok]
        out["elapsed_s"] = elapsed
        out["rps"] = out["ok"] / elapsed if elapsed > 0 else 0.0
        out["concurrency"] = concurrency
        return out

    async def hold(self, cmd: dict[str, Any]) -> dict[str, Any]:
        target = self.targets[cmd["target"]]
        n, batch = int(cmd["n"]), int(cmd.get("batch", 100))
        t_connect = time.perf_counter()
        if isinstance(self.client, RawClient):
            pool = self.client.idle.setdefault(target.id, [])
            while len(pool) < n:
                conns = await asyncio.gather(
                    *(self.client.connect(target) for _ in range(min(batch, n - len(pool))))
                )
                pool.extend(conns)
        connect_s = time.perf_counter() - t_connect
        ramp = float(cmd.get("ramp", 0))
        starts: list[int] = [0] * n

        async def one(i: int) -> Sample:
            if ramp:
                await asyncio.sleep(ramp * i / n)
            starts[i] = time.perf_counter_ns()
            return await self.client.one(target)

        started = time.perf_counter()
        samples = await asyncio.gather(*(one(i) for i in range(n)))
        elapsed = time.perf_counter() - started
        # overlap of [first byte, done] intervals: streams open at the same time
        events: list[tuple[int, int]] = []
        for t0, s in zip(starts, samples, strict=True):
            if s.ok:
                events.append((t0 + s.ttfb_ns, 1))
                events.append((t0 + s.latency_ns, -1))
        events.sort()
        open_now = max_open = 0
        for _, delta in events:
            open_now += delta
            max_open = max(max_open, open_now)
        out = summary(samples)
        out.update(elapsed_s=elapsed, connect_s=connect_s, max_open_streams=max_open)
        # perf_counter_ns is CLOCK_MONOTONIC, the same clock in every process on Linux
        firsts = [t for t, delta in events if delta == 1]
        dones = [t for t, delta in events if delta == -1]
        out["last_first_byte_ns"] = max(firsts) if firsts else None
        out["first_done_ns"] = min(dones) if dones else None
        return out


async def serve(client_kind: str) -> None:
    client: RawClient | AiohttpClient = RawClient() if client_kind == "raw" else AiohttpClient()
    worker = Worker(client)
    loop = asyncio.get_running_loop()
    print(json.dumps({"ready": True, "client": client_kind}), flush=True)
    while True:
        # a thread, not connect_read_pipe: stdin may be a file (uvloop aborts on those)
        line = await loop.run_in_executor(None, sys.stdin.buffer.readline)
        if not line:
            break
        cmd = json.loads(line)
        kind = cmd["cmd"]
        try:
            if kind == "target":
                result = worker.define(cmd)
            elif kind == "paired":
                result = await worker.paired(cmd)
            elif kind == "load":
                result = await worker.load(cmd)
            elif kind == "hold":
                result = await worker.hold(cmd)
            elif kind == "close":
                await client.close()
                result = {"ok": True}
            elif kind == "quit":
                await client.close()
                print(json.dumps({"ok": True}), flush=True)
                return
            else:
                result = {"error": f"unknown command {kind}"}
        except Exception as exc:  # report, keep serving
            result = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(result), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="benchmark load generator worker")
    parser.add_argument("--client", choices=("raw", "aiohttp"), default="raw")
    parser.add_argument("--no-uvloop", action="store_true")
    args = parser.parse_args()
    if not args.no_uvloop:
        try:
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        except ImportError:
            pass
    asyncio.run(serve(args.client))


if __name__ == "__main__":
    main()
