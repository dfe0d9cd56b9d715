"""Where the config file is: ``--config``, ``$CROSSWIRE_CONFIG``, the user config directory."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "crosswire"
"""Directory name under the platform's user config dir."""
CONFIG_ENV_VAR = "CROSSWIRE_CONFIG"
"""Environment variable naming the config file (below ``--config``)."""
CONFIG_FILE_NAME = "config.toml"
"""File name inside the user config dir."""


def default_config_path() -> Path:
    """``<user config dir>/crosswire/config.toml`` for this platform (may not exist)."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / CONFIG_FILE_NAME


def find_config_path(cli_path: str | None) -> Path | None:
    """The config file to use: ``--config``, else ``$CROSSWIRE_CONFIG``, else the user config
    file if it exists, else ``None``. Explicit paths are returned even if missing, so that
    :func:`load_config` reports them."""
    if cli_path:
        return Path(cli_path).expanduser()
    from_env = os.environ.get(CONFIG_ENV_VAR)
    if from_env:
        return Path(from_env).expanduser()
    candidate = default_config_path()
    return candidate if candidate.is_file() else None
