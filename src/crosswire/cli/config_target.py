"""Which config file a command reads or edits: the same resolution as ``crosswire serve``."""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

import click

from crosswire.config import (
    Config,
    ConfigError,
    default_config,
    default_config_path,
    find_config_path,
    load_config,
)
from crosswire.config.credentials import ENV_REF, KEY_NAME_SUFFIXES

CONFIG_HELP = "config.toml to use (default: $CROSSWIRE_CONFIG, else the user config file)."
config_option = click.option("--config", "config_path", metavar="FILE", help=CONFIG_HELP)


def edit_path(cli_path: str | None) -> Path:
    """The file to edit: ``--config``, ``$CROSSWIRE_CONFIG``, else the user config file
    (created when missing)."""
    return find_config_path(cli_path) or default_config_path()


def load_or_exit(cli_path: str | None) -> tuple[Config, Path | None]:
    """The loaded config (the built-in default when there is no file), or exit 2 with the
    config error."""
    path = find_config_path(cli_path)
    try:
        return (load_config(path) if path is not None else default_config()), path
    except ConfigError as error:
        click.echo(f"crosswire: bad config\n{error}", err=True)
        sys.exit(2)


UNSET_MARK = "<unset>"
"""Stands in for a key variable that is not set, so that listing commands still work."""


def load_for_listing(cli_path: str | None) -> tuple[Config, Path | None]:
    """Like :func:`load_or_exit`, but a provider whose key variable is unset is still listed
    (its key shows as :data:`UNSET_MARK`)."""
    path = find_config_path(cli_path)
    if path is None:
        return default_config(), None
    environ = dict(os.environ)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        data = {}  # load_config reports it
    for table in dict(data.get("providers", {})).values():
        if not isinstance(table, dict):
            continue
        names = ENV_REF.findall(str(table.get("api_key", "")))
        names += [n for n in dict(table.get("env", {})) if n.upper().endswith(KEY_NAME_SUFFIXES)]
        for name in names:
            environ.setdefault(name, UNSET_MARK)
    try:
        return load_config(path, environ=environ), path
    except ConfigError as error:
        click.echo(f"crosswire: bad config\n{error}", err=True)
        sys.exit(2)
