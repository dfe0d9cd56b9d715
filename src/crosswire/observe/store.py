"""Where request records go: a SQLite file (the default) or a Postgres database (``[log]
url``), behind one small synchronous interface. Every call does blocking I/O: the gateway
calls it only from the writer's thread (:mod:`crosswire.observe.writer`), the CLI directly.

The connection is opened — directory created, schema migrated
(:mod:`crosswire.observe.migrations`) — on first use, so a gateway that serves nothing never
touches the disk.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from crosswire.config.observe import LogConfig
from crosswire.observe.migrations import DIALECTS, migrate
from crosswire.observe.record import COLUMNS

BUSY_TIMEOUT_MS = 5000
"""How long a SQLite write waits for another process's write (several gateways, one file)."""
Row = tuple[Any, ...]
Payload = tuple[str, Any, Any]
"""``(request_id, request body, response body)``, the bodies as decoded JSON values."""


class Store:
    """A request log database. Subclasses say how to connect and in which SQL dialect."""

    dialect = "sqlite"

    def __init__(self) -> None:
        self._db: Any = None
        self._lock = threading.Lock()

    def _connect(self) -> Any:
        raise NotImplementedError

    def _open(self) -> Any:
        if self._db is None:
            self._db = self._connect()
        return self._db

    @property
    def _param(self) -> str:
        return DIALECTS[self.dialect]["param"]

    def insert(self, rows: Sequence[Row], payloads: Sequence[Payload] = ()) -> None:
        """Write a batch of ``requests`` rows (:data:`~crosswire.observe.record.COLUMNS`
        order) and their payloads, in one transaction."""
        if not rows and not payloads:
            return
        marks = ", ".join([self._param] * len(COLUMNS))
        with self._lock:
            db = self._open()
            cursor = db.cursor()
            if rows:
                cursor.executemany(
                    f"INSERT INTO requests ({', '.join(COLUMNS)}) VALUES ({marks})", rows
                )
            if payloads:
                p = self._param
                cursor.executemany(
                    f"INSERT INTO payloads (request_id, request, response) VALUES ({p}, {p}, {p})",
                    [(rid, _json(req), _json(resp)) for rid, req, resp in payloads],
                )
            db.commit()

    def prune(self, before: float) -> int:
        """Delete rows older than ``before`` (Unix seconds); how many went."""
        with self._lock:
            db = self._open()
            cursor = db.execute(f"DELETE FROM requests WHERE ts < {self._param}", (before,))
            db.commit()
            return int(cursor.rowcount or 0)

    def since(self, ts: float) -> list[dict[str, Any]]:
        """Every row from ``ts`` on, oldest first."""
        return self._query(f"SELECT * FROM requests WHERE ts >= {self._param} ORDER BY id", (ts,))

    def recent(self, limit: int, after_id: int = 0) -> list[dict[str, Any]]:
        """The last ``limit`` rows with an id above ``after_id``, oldest first."""
        p = self._param
        rows = self._query(
            f"SELECT * FROM requests WHERE id > {p} ORDER BY id DESC LIMIT {p}", (after_id, limit)
        )
        rows.reverse()
        return rows

    def payload(self, request_id: str) -> dict[str, Any] | None:
        found = self._query(
            f"SELECT * FROM payloads WHERE request_id = {self._param}", (request_id,)
        )
        return found[0] if found else None

    def _query(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        with self._lock:
            cursor = self._open().execute(sql, params)
            names = [d[0] for d in cursor.description]
            result = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            self._db.commit()  # end the read transaction (Postgres keeps one open otherwise)
            return result

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


class SQLiteStore(Store):
    """A SQLite file in WAL mode: readers (``crosswire stats``) never block the gateway."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1e3
        )
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("BEGIN IMMEDIATE")  # one migrator at a time across processes
            migrate(db, "sqlite")
        except BaseException:
            db.close()
            raise
        db.isolation_level = "DEFERRED"  # implicit transactions from here: one commit per batch
        return db


def open_store(config: LogConfig) -> Store:
    """The store ``[log]`` names: Postgres when ``url`` is set, else the SQLite file."""
    if config.url:
        from crosswire.observe.postgres import PostgresStore

        return PostgresStore(config.url)
    return SQLiteStore(config.sqlite_path)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)
