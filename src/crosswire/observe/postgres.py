"""The request log in Postgres (``[log] url = "postgresql://…"``): one database for a fleet of
replicas. Needs the optional extra: ``pip install 'crosswire[postgres]'`` (psycopg 3).

Same tables and migrations as SQLite (:mod:`crosswire.observe.migrations`, Postgres dialect);
concurrent migrators are serialised with an advisory lock.
"""

from __future__ import annotations

from typing import Any

from crosswire.observe.migrations import migrate
from crosswire.observe.store import Store

MIGRATION_LOCK = 0x63_77_6C_6F_67  # "cwlog": pg_advisory_xact_lock key

INSTALL_HINT = "[log] url needs psycopg: pip install 'crosswire[postgres]'"


class PostgresStore(Store):
    dialect = "postgres"

    def __init__(self, url: str) -> None:
        super().__init__()
        self._url = url

    def __repr__(self) -> str:
        return "PostgresStore(url=***)"

    def _connect(self) -> Any:
        try:
            import psycopg
        except ImportError as exc:
            raise RuntimeError(INSTALL_HINT) from exc
        db = psycopg.connect(self._url)
        try:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            migrate(db, "postgres")
        except BaseException:
            db.close()
            raise
        return db
