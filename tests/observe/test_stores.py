"""The store contract, the same on SQLite and on a real Postgres: migrations once, batched
inserts with payloads, reads by time and by id, pruning; and a gateway logging to Postgres."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from crosswire.observe.migrations import MIGRATIONS, migrate
from crosswire.observe.postgres import PostgresStore
from crosswire.observe.record import RequestRecord, row_of
from crosswire.observe.store import SQLiteStore, Store
from tests.observe.postgres_server import PostgresServer
from tests.observe.support import PROMPT, config_text, gateway
from tests.support.servers import Reply, ScriptedOpenAIUpstream


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresServer
) -> Iterator[Store]:
    if request.param == "sqlite":
        opened: Store = SQLiteStore(tmp_path / "requests.sqlite")
    else:
        with psycopg.connect(postgres.url, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS requests, payloads, _crosswire_migrations")
        opened = PostgresStore(postgres.url)
    yield opened
    opened.close()


def _record(rid: str, ts: float, status: int = 200) -> RequestRecord:
    record = RequestRecord("anthropic", rid)
    record.ts, record.status, record.client_model = ts, status, "claude-x"
    record.routed("main", "alias", "primary", "primary-model")
    record.finished = record.started + 0.25
    return record


def test_store_contract(store: Store) -> None:
    now = time.time()
    records = [_record(f"req_{i}", now - 100 + i, 200 if i % 2 else 502) for i in range(5)]
    store.insert([row_of(r) for r in records], [("req_1", {"p": PROMPT}, None)])
    store.insert([row_of(_record("req_old", now - 90 * 86400))])
    assert [r["request_id"] for r in store.since(now - 1000)] == [f"req_{i}" for i in range(5)]
    recent = store.recent(2)
    assert [r["request_id"] for r in recent] == ["req_4", "req_old"]
    assert store.recent(10, after_id=recent[-1]["id"]) == []
    first = store.since(now - 1000)[0]
    assert (first["alias"], first["status"], first["latency_ms"]) == ("main", 502, 250.0)
    payload = store.payload("req_1")
    assert payload is not None and PROMPT in payload["request"] and payload["response"] is None
    assert store.prune(now - 30 * 86400) == 1
    assert len(store.since(0)) == 5


def test_postgres_migrations_run_once(postgres: PostgresServer) -> None:
    with psycopg.connect(postgres.url) as conn:
        migrate(conn, "postgres")
        assert migrate(conn, "postgres") == []
        names = [r[0] for r in conn.execute("SELECT name FROM _crosswire_migrations")]
    assert sorted(names) == sorted(name for name, _ in MIGRATIONS)


def test_gateway_logs_to_postgres(postgres: PostgresServer, tmp_path: Path) -> None:
    upstream = ScriptedOpenAIUpstream().start()
    upstream.default = Reply.text("hi")
    text = config_text(upstream.base_url, upstream.base_url, tmp_path / "unused.sqlite")
    text = text.replace("flush_interval", f'url = "{postgres.url}"\nflush_interval', 1)
    body = {"model": "main", "max_tokens": 10, "messages": [{"role": "user", "content": PROMPT}]}
    try:
        with psycopg.connect(postgres.url, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS requests, payloads, _crosswire_migrations")
        with gateway(text) as app:
            rid = httpx.post(f"{app.url}/v1/messages", json=body).headers["request-id"]
    finally:
        upstream.stop()
    store = PostgresStore(postgres.url)
    try:
        logged = store.recent(5)
    finally:
        store.close()
    assert [(r["request_id"], r["provider"], r["status"]) for r in logged] == [
        (rid, "primary", 200)
    ]
    assert not (tmp_path / "unused.sqlite").exists()
