"""Checking the config file: the loader's own verdict, plus non-fatal checks it does not make.

The loader stops at the first error, so a broken file gives one ``error`` finding (file, key,
fix). The extra checks read the raw TOML as well, so they still run on a file that does not
load: ``${VAR}`` references that are not set (for every provider, used or not), a file other
users can read while it holds a key. On a file that loads: providers no model uses, models
nothing routes to, providers without a key on a non-local host.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from crosswire.config import Config, ConfigError, default_config, load_config
from crosswire.config.credentials import ENV_REF, key_entry, needs_key
from crosswire.config.fields import dotted
from crosswire.doctor.report import Finding


def check_config(
    path: Path | None, environ: Mapping[str, str] | None = None
) -> tuple[Config | None, list[Finding]]:
    """The loaded config (``None`` when it does not load) and every finding about it."""
    env = os.environ if environ is None else environ
    if path is None:
        note = Finding(
            "note",
            "no config file: the built-in offline echo model is served",
            "add a provider with `crosswire provider add`",
        )
        return default_config(), [note]
    findings: list[Finding] = []
    config: Config | None = None
    try:
        config = load_config(path, environ=env)
    except ConfigError as error:
        findings.append(Finding("error", _headline(error), error.fix, error.key))
    raw = _raw_tables(path)
    findings += _unset_references(path, raw, env, config)
    findings += _readable_by_others(path, raw)
    if config is not None:
        findings += _unused_providers(config)
        findings += _unrouted_models(config)
        findings += _keyless_providers(config, raw)
    return config, findings


def _headline(error: ConfigError) -> str:
    where = str(error.path) if error.path is not None else "<config>"
    location = f"{error.location}: " if error.location else ""
    return f"{where}: {location}{error.message}"


def _raw_tables(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}  # the loader's finding says why


def _providers(raw: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    tables = raw.get("providers")
    if not isinstance(tables, dict):
        return {}
    return {name: table for name, table in tables.items() if isinstance(table, dict)}


def _unset_references(
    path: Path, raw: Mapping[str, Any], env: Mapping[str, str], config: Config | None
) -> list[Finding]:
    """``${VAR}`` in ``api_key`` or ``custom_headers`` with ``VAR`` unset, and key-named env
    entries that are empty with the variable unset."""
    findings: list[Finding] = []
    for name, table in _providers(raw).items():
        if config is not None and name in config.providers and config.providers[name].api_key:
            refs: list[tuple[str, str]] = []  # the key resolved another way: nothing missing
        else:
            refs = [("api_key", v) for v in ENV_REF.findall(str(table.get("api_key", "")))]
            env_table = table.get("env")
            if isinstance(env_table, dict):
                entry = key_entry({str(k): str(v) for k, v in env_table.items()})
                if entry is not None and not env_table[entry]:
                    refs.append((f"env.{entry}", entry))
        headers = table.get("custom_headers")
        if isinstance(headers, dict):
            for header, value in headers.items():
                refs += [(f"custom_headers.{header}", v) for v in ENV_REF.findall(str(value))]
        for key, var in refs:
            if env.get(var):
                continue
            findings.append(
                Finding(
                    "warning",
                    f"{path}: providers.{dotted(name)}.{key}: ${var} is not set",
                    f"export {var}=... in the shell that runs crosswire",
                    f"providers.{dotted(name)}.{key}",
                )
            )
    return findings


def _holds_literal_key(raw: Mapping[str, Any]) -> bool:
    for table in _providers(raw).values():
        key = table.get("api_key")
        if isinstance(key, str) and key and not ENV_REF.fullmatch(key.strip()):
            return True
        env_table = table.get("env")
        if isinstance(env_table, dict) and any(
            isinstance(v, str) and v and not ENV_REF.fullmatch(v.strip())
            for v in env_table.values()
        ):
            return True
    return False


def _readable_by_others(path: Path, raw: Mapping[str, Any]) -> list[Finding]:
    try:
        mode = path.stat().st_mode
    except OSError:
        return []
    if not mode & (stat.S_IRGRP | stat.S_IROTH) or not _holds_literal_key(raw):
        return []
    return [
        Finding(
            "warning",
            f"{path}: holds an API key and other users can read it (mode {stat.S_IMODE(mode):o})",
            f'chmod 600 {path}, or use api_key = "${{VAR}}" references',
        )
    ]


def _unused_providers(config: Config) -> list[Finding]:
    used = {m.provider for m in config.models.values()}
    return [
        Finding(
            "warning",
            f"{config.path}: providers.{dotted(name)}: no model uses this provider",
            f'add [models.<alias>] with provider = "{name}", or remove the provider',
            f"providers.{dotted(name)}",
        )
        for name in config.providers
        if name not in used
    ]


def _routed_aliases(config: Config) -> set[str]:
    routed = {route.alias for route in config.routes}
    if config.default_model:
        routed.add(config.default_model)
    router = config.router
    for scenario in ("background", "think", "long_context", "web_search", "image", "subagent"):
        alias = router.scenario(scenario)
        if alias:
            routed.add(alias)
    for model in config.models.values():
        routed.update(model.fallbacks)
    return routed


def _unrouted_models(config: Config) -> list[Finding]:
    routed = _routed_aliases(config)
    return [
        Finding(
            "note",
            f"{config.path}: models.{dotted(alias)}: no route, scenario, fallback or "
            "default_model leads here",
            f'clients reach it only by asking for "{alias}"; add a [routes] glob if agents '
            "use other names",
            f"models.{dotted(alias)}",
        )
        for alias in config.models
        if alias not in routed
    ]


def _keyless_providers(config: Config, raw: Mapping[str, Any]) -> list[Finding]:
    """Providers no model uses need no key to load; say so before a model is added. (Unset
    ``${VAR}`` references are reported by :func:`_unset_references` instead.)"""
    tables = _providers(raw)
    return [
        Finding(
            "warning",
            f"{config.path}: providers.{dotted(p.name)}: no API key",
            f'set api_key = "..." (or "${{VAR}}") under [providers.{dotted(p.name)}]',
            f"providers.{dotted(p.name)}.api_key",
        )
        for p in config.providers.values()
        if not p.api_key and needs_key(p) and not _names_a_key(tables.get(p.name, {}))
    ]


def _names_a_key(table: Mapping[str, Any]) -> bool:
    env_table = table.get("env")
    has_entry = isinstance(env_table, dict) and key_entry({str(k): "" for k in env_table})
    return bool(table.get("api_key")) or bool(has_entry)
