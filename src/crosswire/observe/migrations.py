"""Numbered schema migrations of the request log, recorded in a table (simonw/llm's
``migrations.py`` style): each migration runs once per database, in order, and its name goes
into ``_crosswire_migrations``; opening the database again runs only the new ones.

Migrations are written in the SQL both SQLite and Postgres accept; a dialect difference is a
``{name}`` placeholder filled from :data:`DIALECTS`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol


class Connection(Protocol):
    """The DB-API subset migrations use (``sqlite3`` and ``psycopg`` connections)."""

    def execute(self, sql: str, params: Any = ..., /) -> Any: ...

    def commit(self) -> None: ...


Migration = Callable[[Callable[[str], None]], None]
"""A migration gets ``run(sql)``, which executes one statement in the right dialect."""

MIGRATIONS: list[tuple[str, Migration]] = []

DIALECTS: dict[str, dict[str, str]] = {
    "sqlite": {"id": "INTEGER PRIMARY KEY", "real": "REAL", "param": "?"},
    "postgres": {"id": "BIGSERIAL PRIMARY KEY", "real": "DOUBLE PRECISION", "param": "%s"},
}


def migration(fn: Migration) -> Migration:
    """Register ``fn`` as the next migration (its name is recorded, so never rename one)."""
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_requests(run: Callable[[str], None]) -> None:
    run(
        """CREATE TABLE requests (
            id {id},
            ts {real} NOT NULL,
            request_id TEXT,
            client_format TEXT,
            client_model TEXT,
            alias TEXT,
            route_rule TEXT,
            provider TEXT,
            upstream_model TEXT,
            status INTEGER,
            latency_ms {real},
            ttft_ms {real},
            tokens_in INTEGER,
            tokens_out INTEGER,
            tokens_cached INTEGER,
            tokens_reasoning INTEGER,
            retries INTEGER,
            fallbacks INTEGER,
            stream INTEGER,
            relay TEXT,
            error_kind TEXT,
            queue_wait_ms {real}
        )"""
    )
    run("CREATE INDEX requests_ts ON requests (ts)")


@migration
def m002_payloads(run: Callable[[str], None]) -> None:
    """Bodies, only written with ``[log] payloads = true``; kept apart so that stats queries
    never read them."""
    run(
        """CREATE TABLE payloads (
            request_id TEXT PRIMARY KEY,
            request TEXT,
            response TEXT
        )"""
    )


def migrate(db: Connection, dialect: str = "sqlite") -> list[str]:
    """Apply the migrations ``db`` has not had yet; the names applied now, in order."""
    words = DIALECTS[dialect]

    def run(sql: str) -> None:
        db.execute(sql.format(**words))

    db.execute(
        "CREATE TABLE IF NOT EXISTS _crosswire_migrations "
        f"(name TEXT PRIMARY KEY, applied_at {words['real']} NOT NULL)"
    )
    done = {row[0] for row in db.execute("SELECT name FROM _crosswire_migrations").fetchall()}
    applied: list[str] = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        fn(run)
        db.execute(
            "INSERT INTO _crosswire_migrations (name, applied_at) VALUES "
            f"({words['param']}, {words['param']})",
            (name, time.time()),
        )
        applied.append(name)
    db.commit()
    return applied
