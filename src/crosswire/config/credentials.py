"""Finding each provider's API key: ``api_key``, then the ``env`` table, then the environment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from crosswire.config.errors import ConfigError
from crosswire.config.fields import Reader, dotted
from crosswire.config.profiles import key_env_hint, url_host
from crosswire.config.schema import ProviderConfig

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
"""Hosts of local servers (vLLM, Ollama …) that may run without a key."""
KEYLESS_TYPES = frozenset({"echo"})
"""Provider types that never need a key."""
KEY_NAME_SUFFIXES = ("_API_KEY", "_KEY", "_TOKEN")
"""An ``env`` table entry whose name ends in one of these holds the credential."""
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
"""A ``${VAR}`` reference to the process environment."""


def expand_env(value: str, environ: Mapping[str, str]) -> tuple[str, list[str]]:
    """``value`` with every ``${VAR}`` replaced, and the names that were unset (replaced by "")."""
    unset: list[str] = []

    def lookup(match: re.Match[str]) -> str:
        got = environ.get(match.group(1))
        if got is None:
            unset.append(match.group(1))
            return ""
        return got

    return ENV_REF.sub(lookup, value), unset


def is_local_url(url: str) -> bool:
    """Whether ``url`` points at this machine (``localhost``, ``127.0.0.1``, ``[::1]``)."""
    return url_host(url) in LOCAL_HOSTS


def needs_key(provider: ProviderConfig) -> bool:
    """Whether a missing key for ``provider`` is an error."""
    return provider.type not in KEYLESS_TYPES and not is_local_url(provider.base_url)


def key_entry(env_table: Mapping[str, str]) -> str | None:
    """The first ``env`` entry named like a credential (``*_API_KEY``, ``*_KEY``, ``*_TOKEN``)."""
    for name in env_table:
        if name.upper().endswith(KEY_NAME_SUFFIXES):
            return name
    return None


@dataclass(slots=True)
class KeyLookup:
    """The outcome of looking for a provider's key, with what is needed to explain a miss."""

    value: str = ""
    """The key, or ``""``."""
    source: str = ""
    """``api_key``, ``env.NAME`` or ``$NAME``; ``""`` when not found."""
    unset_refs: tuple[str, ...] = ()
    """``${VAR}`` names in ``api_key`` that are not set."""
    env_entry: str | None = None
    """The ``env`` table entry that was consulted, if any."""


def find_api_key(
    raw_api_key: str, env_table: Mapping[str, str], environ: Mapping[str, str]
) -> KeyLookup:
    """Apply the credential priority; ``env_table`` values must already be expanded."""
    expanded, unset = expand_env(raw_api_key, environ)
    if expanded and not unset:
        return KeyLookup(expanded, "api_key")
    entry = key_entry(env_table)
    found = KeyLookup(unset_refs=tuple(unset), env_entry=entry)
    if entry is None:
        return found
    if env_table[entry]:
        found.value, found.source = env_table[entry], f"env.{entry}"
    elif environ.get(entry):
        found.value, found.source = environ[entry], f"${entry}"
    return found


def missing_key_error(reader: Reader, provider: ProviderConfig, lookup: KeyLookup) -> ConfigError:
    """The startup error for a provider that needs a key and has none (never shows a value)."""
    table = f"providers.{dotted(provider.name)}"
    reasons: list[str] = []
    if lookup.unset_refs:
        refs = ", ".join(f"${{{name}}}" for name in lookup.unset_refs)
        reasons.append(f"api_key refers to {refs}, which is not set")
    if lookup.env_entry is not None:
        reasons.append(
            f"[{table}.env] {lookup.env_entry} is empty and {lookup.env_entry} is not set "
            "in the environment"
        )
    elif provider.env:
        reasons.append(f"no entry of [{table}.env] is named *_API_KEY, *_KEY or *_TOKEN")
    set_key = f'set api_key = "..." under [{table}] in {reader.where}'
    var = lookup.env_entry or (lookup.unset_refs[0] if lookup.unset_refs else None)
    if var is not None:
        fix = f"export {var}=... before starting crosswire, or {set_key}"
    else:
        hint = key_env_hint(provider.name, provider.profile_name)
        fix = f'{set_key}, or add [{table}.env] {hint} = "" and export {hint}'
    message = "no API key" + (f" ({'; '.join(reasons)})" if reasons else "")
    return reader.error(table, message, fix)
