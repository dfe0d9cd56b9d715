"""Config of the request log and the metrics endpoint: ``[log]`` and ``[metrics]``::

    [log]                          # every key optional; defaults shown
    enabled = true                 # record every request (false: no database is touched)
    path = "~/.local/state/crosswire/requests.sqlite"
                                   # the SQLite file; default <user state dir>/crosswire/
                                   # requests.sqlite (platformdirs.user_state_dir)
    url = "postgresql://crosswire@db.internal/crosswire"
                                   # optional, instead of path: one Postgres database for a
                                   # fleet of replicas (pip install 'crosswire[postgres]');
                                   # ${VAR} is expanded, so the password can stay out of the file
    payloads = false               # true: also store request bodies and non-streamed answers
                                   # (conversation content!); never headers or keys
    queue_size = 10000             # records waiting to be written; more are dropped and counted
    flush_interval = 0.5           # seconds between batched writes
    retention_days = 30            # rows older than this are deleted (0 = keep forever)

    [metrics]
    enabled = true                 # serve GET /metrics (Prometheus text format)

What a row holds, and that it is written off the hot path: :mod:`crosswire.observe`.
``GET /metrics`` is open to loopback clients; from anywhere else it needs a gateway key when
``[server] keys`` are configured (see :mod:`crosswire.observe.http`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from crosswire.config.fields import Reader
from crosswire.config.secrets import redact_secret

LOG_KEYS = (
    "enabled", "path", "url", "payloads", "queue_size", "flush_interval", "retention_days",
)  # fmt: skip
METRICS_KEYS = ("enabled",)
DB_FILE_NAME = "requests.sqlite"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def default_log_path() -> Path:
    """``<user state dir>/crosswire/requests.sqlite`` for this platform."""
    return Path(platformdirs.user_state_dir("crosswire")) / DB_FILE_NAME


@dataclass(slots=True, repr=False)
class LogConfig:
    """The ``[log]`` table: the request log."""

    enabled: bool = True
    """Record every request."""
    path: Path | None = None
    """The SQLite file; ``None`` = :func:`default_log_path`."""
    url: str = ""
    """A Postgres URL (``${VAR}`` expanded) used instead of :attr:`path`; ``""`` = SQLite."""
    payloads: bool = False
    """Also store request bodies and non-streamed answers (content; never headers or keys)."""
    queue_size: int = 10_000
    """Records that may wait for the writer; further ones are dropped and counted."""
    flush_interval: float = 0.5
    """Seconds between two batched writes."""
    retention_days: int = 30
    """Rows older than this many days are deleted by the writer; 0 keeps everything."""

    @property
    def sqlite_path(self) -> Path:
        """:attr:`path`, or the default file in the user state directory."""
        return self.path if self.path is not None else default_log_path()

    def __repr__(self) -> str:
        url = redact_secret(self.url) if self.url else ""
        return (
            f"LogConfig(enabled={self.enabled!r}, path={self.path!r}, url={url!r}, "
            f"payloads={self.payloads!r})"
        )


@dataclass(slots=True)
class MetricsConfig:
    """The ``[metrics]`` table."""

    enabled: bool = True
    """Serve ``GET /metrics``."""


def parse_log(reader: Reader, value: object, env: Mapping[str, str]) -> LogConfig:
    """``[log]``; absent keys keep :class:`LogConfig` defaults."""
    cfg = LogConfig()
    if value is None:
        return cfg
    tbl = reader.table(value, "log")
    reader.check_keys(tbl, LOG_KEYS, "log")
    cfg.enabled = _flag(reader, tbl, "enabled", "log", cfg.enabled)
    cfg.payloads = _flag(reader, tbl, "payloads", "log", cfg.payloads)
    path = reader.opt_str(tbl, "path", "log")
    if path is not None and path.strip():
        cfg.path = Path(path.strip()).expanduser()
    url = reader.opt_str(tbl, "url", "log")
    if url is not None and url.strip():
        cfg.url = _postgres_url(reader, url.strip(), env)
    size = reader.opt_int(tbl, "queue_size", "log", minimum=1, example=cfg.queue_size)
    cfg.queue_size = size if size is not None else cfg.queue_size
    interval = reader.opt_seconds(tbl, "flush_interval", "log", example=cfg.flush_interval)
    cfg.flush_interval = interval if interval is not None else cfg.flush_interval
    days = reader.opt_int(tbl, "retention_days", "log", minimum=0, example=cfg.retention_days)
    cfg.retention_days = days if days is not None else cfg.retention_days
    return cfg


def parse_metrics(reader: Reader, value: object) -> MetricsConfig:
    """``[metrics]``."""
    cfg = MetricsConfig()
    if value is None:
        return cfg
    tbl = reader.table(value, "metrics")
    reader.check_keys(tbl, METRICS_KEYS, "metrics")
    cfg.enabled = _flag(reader, tbl, "enabled", "metrics", cfg.enabled)
    return cfg


def _flag(reader: Reader, tbl: Mapping[str, Any], name: str, prefix: str, default: bool) -> bool:
    value = reader.opt_bool(tbl, name, prefix)
    return default if value is None else value


def _postgres_url(reader: Reader, url: str, env: Mapping[str, str]) -> str:
    from crosswire.config.credentials import expand_env  # credentials imports the schema

    expanded, unset = expand_env(url, env)
    if unset:
        raise reader.error(
            "log.url",
            f"refers to ${{{unset[0]}}}, which is not set",
            f"export {unset[0]}=... before starting crosswire",
        )
    if not expanded.startswith(POSTGRES_SCHEMES):
        raise reader.error(
            "log.url",
            "not a Postgres URL",
            'write url = "postgresql://user@host/dbname", or remove it to use SQLite (path)',
        )
    return expanded
