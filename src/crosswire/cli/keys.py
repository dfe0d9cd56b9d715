"""``crosswire key create|list|revoke``: gateway keys kept as SHA-256 digests in config.toml.

The file is edited with tomlkit, so comments and layout survive. A created key is printed once;
only ``sha256:<hex>`` is written, under ``[server.keys.<name>]``.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Any

import click
import tomlkit
from tomlkit.items import Table

from crosswire.config import ConfigError, default_config_path, find_config_path
from crosswire.config.security import HASH_PREFIX, key_digest

KEY_PREFIX = "cw-"
KEY_BYTES = 32


def new_key() -> str:
    """A random gateway key: ``cw-`` + 43 URL-safe characters (256 bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)


def _config_file(config_path: str | None) -> Path:
    try:
        found = find_config_path(config_path)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    return found or default_config_path()


def _load(path: Path) -> tomlkit.TOMLDocument:
    if not path.exists():
        return tomlkit.document()
    return tomlkit.parse(path.read_text("utf-8"))


def _save(path: Path, doc: tomlkit.TOMLDocument) -> None:
    """Write atomically, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(tomlkit.dumps(doc))
    os.replace(tmp, path)


def _keys_table(doc: tomlkit.TOMLDocument) -> Table:
    """``[server.keys]`` as a table; a plain ``keys = [...]`` array becomes ``key-1 = "…"``…"""
    server = doc.get("server")
    if server is None:
        server = doc["server"] = tomlkit.table()
    keys = server.get("keys")
    if isinstance(keys, Table):
        return keys
    table = tomlkit.table(is_super_table=True)
    for i, value in enumerate(keys or []):
        table[f"key-{i + 1}"] = value
    if "keys" in server:
        del server["keys"]
    server["keys"] = table
    return table


def _scope(entry: Any) -> tuple[str, str]:
    """(hash prefix, scopes) of one entry, for ``key list``; never the key itself."""
    if isinstance(entry, dict):
        raw = str(entry.get("key", ""))
        scopes = [f"models={','.join(entry['models'])}"] if entry.get("models") else []
        scopes += [f"{k}={entry[k]}" for k in ("rpm", "tpm") if k in entry]
    else:
        raw, scopes = str(entry), []
    if raw.startswith(HASH_PREFIX):
        shown = raw[: len(HASH_PREFIX) + 12] + "…"
    elif raw.strip().startswith("${"):
        shown = raw.strip()  # an env reference names a variable, not a secret
    else:
        shown = "(plain value; run `key create` and revoke it to store a hash)"
    return shown, " ".join(scopes) or "all models"


@click.group()
def key() -> None:
    """Manage gateway keys (stored hashed in config.toml)."""


config_option = click.option("--config", "config_path", metavar="FILE", help="config.toml to edit.")


@key.command()
@config_option
@click.option("--name", default=None, help="Key name (default: key-N).")
@click.option("--models", default=None, help="Comma-separated model names/aliases it may use.")
@click.option("--rpm", type=click.IntRange(min=1), default=None, help="Requests per minute.")
@click.option("--tpm", type=click.IntRange(min=1), default=None, help="Input tokens per minute.")
def create(
    config_path: str | None, name: str | None, models: str | None, rpm: int | None, tpm: int | None
) -> None:
    """Create a key: printed once, only its SHA-256 is stored."""
    path = _config_file(config_path)
    doc = _load(path)
    table = _keys_table(doc)
    name = name or next(f"key-{i}" for i in range(1, len(table) + 2) if f"key-{i}" not in table)
    if name in table:
        raise click.ClickException(f"a key named {name!r} exists; revoke it first")
    value = new_key()
    entry = tomlkit.table()
    entry["key"] = HASH_PREFIX + key_digest(value).hex()
    if models:
        entry["models"] = [m.strip() for m in models.split(",") if m.strip()]
    for field, limit in (("rpm", rpm), ("tpm", tpm)):
        if limit is not None:
            entry[field] = limit
    table[name] = entry
    _save(path, doc)
    click.echo(f"crosswire: key {name!r} stored (hashed) in {path}", err=True)
    click.echo(value)
    click.echo(
        "crosswire: this is the only time the key is shown; restart `serve` to use it", err=True
    )


@key.command("list")
@config_option
def list_keys(config_path: str | None) -> None:
    """Names, hash prefixes and scopes (never the keys)."""
    path = _config_file(config_path)
    server = _load(path).get("server") or {}
    keys = server.get("keys") or {}
    entries = (
        keys.items()
        if isinstance(keys, dict)
        else ((f"key-{i + 1}", v) for i, v in enumerate(keys))
    )
    found = False
    for name, entry in entries:
        shown, scopes = _scope(entry)
        click.echo(f"{name}\t{shown}\t{scopes}")
        found = True
    if not found:
        click.echo(f"no gateway keys in {path}", err=True)


@key.command()
@config_option
@click.argument("name")
def revoke(config_path: str | None, name: str) -> None:
    """Remove the key NAME from config.toml."""
    path = _config_file(config_path)
    doc = _load(path)
    table = _keys_table(doc)
    if name not in table:
        known = ", ".join(table) or "none"
        click.echo(f"crosswire: no key named {name!r} (keys: {known})", err=True)
        sys.exit(1)
    del table[name]
    _save(path, doc)
    click.echo(f"crosswire: key {name!r} revoked; restart `serve` to apply", err=True)
