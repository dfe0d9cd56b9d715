"""The request log across restarts, with payloads on, and turned off; a full queue; who may
read ``/metrics``; the ``[log]`` / ``[metrics]`` config."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from crosswire.config import ConfigError, loads_config
from crosswire.config.observe import LogConfig
from crosswire.observe.migrations import MIGRATIONS, migrate
from crosswire.observe.record import RequestRecord
from crosswire.observe.store import Store
from crosswire.observe.writer import RequestLog
from crosswire.server.auth import Handler
from tests.observe.support import ANSWER, PROMPT, config_text, gateway, rows
from tests.support.servers import Reply, ScriptedOpenAIUpstream

GATEWAY_KEY = "cw-test-gateway-key-alpha-000000001"
BODY = {"model": "main", "max_tokens": 50, "messages": [{"role": "user", "content": PROMPT}]}


@pytest.fixture(scope="module")
def upstream() -> Iterator[ScriptedOpenAIUpstream]:
    server = ScriptedOpenAIUpstream().start()
    server.default = Reply.text(ANSWER)
    yield server
    server.stop()


def _config(upstream: ScriptedOpenAIUpstream, db: Path, extra: str = "") -> str:
    return config_text(upstream.base_url, upstream.base_url, db, extra)


def _post(url: str, **headers: str) -> httpx.Response:
    return httpx.post(f"{url}/v1/messages", json=BODY, headers=headers, timeout=10)


def test_migrations_run_once_across_restarts(
    upstream: ScriptedOpenAIUpstream, tmp_path: Path
) -> None:
    db = tmp_path / "log" / "requests.sqlite"  # the directory is created on first write
    for _ in range(2):
        with gateway(_config(upstream, db)) as app:
            assert _post(app.url).status_code == 200
    assert len(rows(db)) == 2
    with sqlite3.connect(db) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM _crosswire_migrations")]
        assert names == [name for name, _ in MIGRATIONS] == ["m001_requests", "m002_payloads"]
        assert migrate(conn) == []


def test_an_idle_gateway_never_creates_the_database(
    upstream: ScriptedOpenAIUpstream, tmp_path: Path
) -> None:
    db = tmp_path / "requests.sqlite"
    with gateway(_config(upstream, db)) as app:
        assert httpx.get(f"{app.url}/health").status_code == 200
        time.sleep(0.15)  # three flush intervals
    assert not db.exists()


def test_payloads_are_kept_apart_when_asked_for(
    upstream: ScriptedOpenAIUpstream, tmp_path: Path
) -> None:
    db = tmp_path / "requests.sqlite"
    with gateway(_config(upstream, db, "payloads = true")) as app:
        rid = _post(app.url).headers["request-id"]
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT request_id, request, response FROM payloads").fetchall()
        requests = conn.execute("SELECT * FROM requests").fetchall()
    assert len(stored) == 1 and stored[0][0] == rid
    assert PROMPT in stored[0][1] and ANSWER in stored[0][2]
    assert PROMPT not in repr(requests)


def test_disabled_log_touches_no_file_and_metrics_still_count(
    upstream: ScriptedOpenAIUpstream, tmp_path: Path
) -> None:
    db = tmp_path / "requests.sqlite"
    with gateway(_config(upstream, db, "enabled = false")) as app:
        assert _post(app.url).status_code == 200
        metrics = httpx.get(f"{app.url}/metrics").text
    assert not db.exists()
    assert 'crosswire_requests_total{client_format="anthropic",model="main"' in metrics


def test_metrics_can_be_turned_off(upstream: ScriptedOpenAIUpstream, tmp_path: Path) -> None:
    text = _config(upstream, tmp_path / "r.sqlite", "[metrics]\nenabled = false")
    with gateway(text) as app:
        assert httpx.get(f"{app.url}/metrics").status_code == 404


def _remote_from_header(app: web.Application) -> None:
    """Let a test pose as a client at another address (``x-test-remote``), first in line."""

    @web.middleware
    async def pose(request: web.Request, handler: Handler) -> web.StreamResponse:
        remote = request.headers.get("x-test-remote")
        return await handler(request.clone(remote=remote) if remote else request)

    app.middlewares.insert(0, pose)


def test_metrics_open_on_loopback_and_keyed_elsewhere(
    upstream: ScriptedOpenAIUpstream, tmp_path: Path
) -> None:
    keys = f'[server.keys.alpha]\nkey = "{GATEWAY_KEY}"'
    text = _config(upstream, tmp_path / "r.sqlite").replace("[log]", f"{keys}\n[log]", 1)
    with gateway(text, tweak=_remote_from_header) as app:
        url = f"{app.url}/metrics"
        assert httpx.get(url).status_code == 200
        away = {"x-test-remote": "203.0.113.9"}
        assert httpx.get(url, headers=away).status_code == 401
        keyed = httpx.get(url, headers={**away, "authorization": f"Bearer {GATEWAY_KEY}"})
        assert keyed.status_code == 200 and "crosswire_requests_total" in keyed.text
        assert _post(app.url).status_code == 401  # the loopback exemption is /metrics only


class _StuckStore(Store):
    """A store whose writes wait until released."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.written: list[int] = []

    def insert(self, rows: object, payloads: object = ()) -> None:
        self.release.wait(10)
        self.written.append(len(rows))  # type: ignore[arg-type]


async def test_a_full_queue_drops_rather_than_blocks() -> None:
    store = _StuckStore()
    log = RequestLog(store, LogConfig(queue_size=3, flush_interval=0.01, retention_days=0))
    log.start()
    for _ in range(3):
        log.submit(RequestRecord("anthropic"))
    await asyncio.sleep(0.05)  # the writer took those three and is stuck writing them
    began = time.perf_counter()
    for _ in range(5):
        log.submit(RequestRecord("anthropic"))
    assert time.perf_counter() - began < 0.01  # never waits for the writer
    assert (log.queued, log.dropped) == (3, 2)
    store.release.set()
    await log.close()
    assert store.written == [3, 3] and log.written == 6


def test_log_config() -> None:
    base = '[models.m]\nprovider = "e"\nmodel = "e"\nmax_context_size = 10\n'
    base += '[providers.e]\ntype = "echo"\n'
    config = loads_config(base + '[log]\npath = "~/x.sqlite"\nretention_days = 0\n')
    assert config.log.sqlite_path == Path("~/x.sqlite").expanduser()
    assert config.log.retention_days == 0 and config.metrics.enabled
    default = loads_config(base).log
    assert default.enabled and default.sqlite_path.name == "requests.sqlite"
    url = loads_config(
        base + '[log]\nurl = "postgresql://u:${PGPASS}@db/x"', environ={"PGPASS": "pw-123456789"}
    )
    assert url.log.url == "postgresql://u:pw-123456789@db/x"
    assert "pw-123456789" not in repr(url.log)
    with pytest.raises(ConfigError, match=r"log\.url"):
        loads_config(base + '[log]\nurl = "mysql://db/x"')
    with pytest.raises(ConfigError, match=r"log\.paylods"):
        loads_config(base + "[log]\npaylods = true")
    with pytest.raises(ConfigError, match=r"metrics\.enabled"):
        loads_config(base + '[metrics]\nenabled = "yes"')
