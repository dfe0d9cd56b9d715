"""The request log a CLI command reads: the database ``[log]`` of the config ``serve`` uses."""

from __future__ import annotations

from crosswire.cli.config_target import load_for_listing
from crosswire.cli.output import fail
from crosswire.observe.store import Store, open_store


def open_log(config_path: str | None) -> tuple[Store | None, str]:
    """The store and a description of where it is; ``None`` when there is nothing to read yet
    (no SQLite file). Exits with a message when the log is disabled."""
    config, _ = load_for_listing(config_path)
    log = config.log
    if not log.enabled:
        fail("the request log is disabled ([log] enabled = false in the config)")
    if log.url:
        return open_store(log), "postgres ([log] url)"
    path = log.sqlite_path
    return (open_store(log) if path.is_file() else None), str(path)
