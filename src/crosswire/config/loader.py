"""Reading and validating ``config.toml`` into a :class:`Config`."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from crosswire.config.credentials import KeyLookup, missing_key_error, needs_key
from crosswire.config.defaults import default_config
from crosswire.config.errors import ConfigError
from crosswire.config.fields import Reader
from crosswire.config.observe import parse_log, parse_metrics
from crosswire.config.paths import CONFIG_ENV_VAR
from crosswire.config.resilience import check_fallbacks, parse_router
from crosswire.config.schema import Config
from crosswire.config.sections import (
    KIMI_ONLY_HINTS,
    TOP_LEVEL_KEYS,
    parse_models,
    parse_providers,
    parse_routes,
    parse_server,
    resolve_default_model,
)
from crosswire.config.security import parse_gateway_keys

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END = re.compile(r"\s*\(at end of document\)\s*$")


def load_config(path: Path | None, *, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate ``path``; ``None`` gives :func:`default_config`.

    ``environ`` (default :data:`os.environ`) is where ``${VAR}`` and key variables are looked up.
    Raises :class:`ConfigError` on the first problem.
    """
    if path is None:
        return default_config()
    reader = Reader(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise reader.error(
            "",
            "config file not found",
            f"create it, or point --config / ${CONFIG_ENV_VAR} at an existing file",
        ) from None
    except OSError as exc:
        raise reader.error("", f"cannot read config file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            "not valid UTF-8", fix="save the file as UTF-8", path=path, line=line
        ) from None
    return loads_config(text, path=path, environ=environ)


def loads_config(
    text: str, *, path: Path | None = None, environ: Mapping[str, str] | None = None
) -> Config:
    """Parse and validate TOML text; ``path`` is only used in messages and :attr:`Config.path`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(exc, path) from None
    return parse_config(data, path=path, environ=environ)


def _syntax_error(exc: tomllib.TOMLDecodeError, path: Path | None) -> ConfigError:
    message = str(exc)
    fix = "fix the TOML syntax there (strings need double quotes; see https://toml.io)"
    position = _TOML_POSITION.search(message)
    if position is not None:
        line, column = int(position.group(1)), int(position.group(2))
        return ConfigError(
            f"invalid TOML: {_TOML_POSITION.sub('', message)}",
            fix=fix,
            path=path,
            line=line,
            column=column,
        )
    message = _TOML_END.sub(" at the end of the file", message)
    return ConfigError(f"invalid TOML: {message}", fix=fix, path=path)


def parse_config(
    data: Mapping[str, Any],
    *,
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Validate an already-parsed TOML document into a :class:`Config`.

    Structure is checked first (keys, types, ranges), then references between tables, then
    credentials; only providers some model uses must have a key.
    """
    env = os.environ if environ is None else environ
    reader = Reader(path)
    reader.check_keys(data, TOP_LEVEL_KEYS, "", KIMI_ONLY_HINTS)
    default_model = reader.opt_str(data, "default_model", "")
    default_thinking = reader.opt_bool(data, "default_thinking", "") or False
    server = parse_server(reader, data.get("server"))
    server.keys = parse_gateway_keys(reader, data.get("server"), env)
    lookups: dict[str, KeyLookup] = {}
    providers = parse_providers(reader, data.get("providers"), env, lookups)
    models = parse_models(reader, data.get("models"), providers)
    default_model = resolve_default_model(reader, default_model, models)
    routes = parse_routes(reader, data.get("routes"), models)
    check_fallbacks(reader, models)
    router = parse_router(reader, data.get("router"), models)
    used = {m.provider for m in models.values()}
    for provider in providers.values():
        if provider.name in used and not provider.api_key and needs_key(provider):
            raise missing_key_error(reader, provider, lookups[provider.name])
    return Config(
        path=path,
        default_model=default_model,
        default_thinking=default_thinking,
        server=server,
        providers=providers,
        models=models,
        routes=routes,
        router=router,
        log=parse_log(reader, data.get("log"), env),
        metrics=parse_metrics(reader, data.get("metrics")),
    )
