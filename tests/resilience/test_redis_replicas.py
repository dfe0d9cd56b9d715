"""Several gateway replicas sharing one real ``redis-server``.

Two ``crosswire serve`` processes pace one provider together: 20 requests sent to each at
once, at 20 rpm, reach the upstream in two windows with no 429 (~62 s of real time). And a
gateway whose Redis is down still answers (fails open).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.resilience.test_limits_gateway import ANTHROPIC, MESSAGE, config, send
from tests.support.limited_upstream import LimitedUpstream
from tests.support.redis_server import RedisServer
from tests.support.servers import free_port, start_gateway


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.close()


def serve(config_file: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "HOME": str(config_file.parent),
        "XDG_CONFIG_HOME": str(config_file.parent),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "crosswire",
                "serve",
                "--config",
                str(config_file),
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    return process, f"http://127.0.0.1:{port}"


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gateway exited: {log.read_text()}")
        try:
            if httpx.get(url + "/health", timeout=0.5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"gateway did not become healthy: {log.read_text()}")


@pytest.mark.slow
def test_two_replicas_on_redis_hold_one_shared_rpm(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    upstream = LimitedUpstream(rpm=20).start()
    config_file = tmp_path / "config.toml"
    server = f'state = "{redis_server.url}"\nlog_level = "warning"'
    config_file.write_text(config(upstream.base_url, "rpm = 20\nmax_queue_wait = 120", server))
    replicas = [serve(config_file, tmp_path / f"replica{i}.log") for i in range(2)]
    try:
        for i, (process, url) in enumerate(replicas):
            wait_healthy(url, process, tmp_path / f"replica{i}.log")
        started = time.monotonic()
        with ThreadPoolExecutor(2) as pool:
            batches = list(pool.map(lambda r: send(r[1], 20, timeout=150), replicas))
        elapsed = time.monotonic() - started
    finally:
        for process, _ in replicas:
            process.terminate()
        for process, _ in replicas:
            process.wait(10)
        upstream.stop()
    statuses = [r.status_code for batch in batches for r in batch]
    assert statuses == [200] * 40, [
        r.text for batch in batches for r in batch if r.status_code != 200
    ][:2]
    assert upstream.rejected == 0
    assert upstream.max_in_any_window() <= 20
    assert 58 < elapsed < 80  # the second 20 had to wait for the shared window to slide


def test_a_gateway_whose_redis_is_down_still_answers(caplog: pytest.LogCaptureFixture) -> None:
    upstream = LimitedUpstream().start()
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    gateway = start_gateway(
        config(
            upstream.base_url,
            "rpm = 1\nmax_concurrency = 1",
            f'state = "{dead}"\ncooldown_after = 1',
        )
    )
    try:
        with httpx.Client(base_url=gateway.url, timeout=10) as http:
            responses = [
                http.post("/v1/messages", json=MESSAGE, headers=ANTHROPIC) for _ in range(3)
            ]
    finally:
        gateway.stop()
        upstream.stop()
    assert [r.status_code for r in responses] == [200] * 3  # unpaced, never a 500
    assert any("unreachable" in r.getMessage() for r in caplog.records)
