"""Loading presets: the built-in catalog shipped in this package, then the user's own file."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import platformdirs

from crosswire.config.errors import ConfigError
from crosswire.config.fields import Reader
from crosswire.config.paths import APP_NAME
from crosswire.presets.schema import Preset, parse_presets

CATALOG_RESOURCE = "catalog.toml"
USER_PRESETS_FILE = "presets.toml"


def user_presets_path() -> Path:
    """``<user config dir>/crosswire/presets.toml`` (may not exist)."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / USER_PRESETS_FILE


def builtin_presets() -> dict[str, Preset]:
    """The catalog shipped with crosswire."""
    text = resources.files("crosswire.presets").joinpath(CATALOG_RESOURCE).read_text("utf-8")
    return _parse(text, None, "built-in")


def load_presets(user_path: Path | None = None) -> dict[str, Preset]:
    """Built-in presets, overridden and extended by the user's file (``user_path``, default
    :func:`user_presets_path`). Raises :class:`ConfigError` for a bad user file."""
    presets = builtin_presets()
    path = user_path or user_presets_path()
    if path.is_file():
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read presets file: {exc}", path=path) from None
        presets.update(_parse(text, path, str(path)))
    return presets


def _parse(text: str, path: Path | None, source: str) -> dict[str, Preset]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"invalid TOML: {exc}", fix="fix the TOML syntax (see https://toml.io)", path=path
        ) from None
    return parse_presets(Reader(path), data, source)
