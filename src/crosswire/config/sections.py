"""Validating each table of a parsed config: ``[server]``, ``[providers.*]``, ``[models.*]``,
``default_model`` and ``[routes]``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crosswire.config.credentials import KeyLookup, expand_env, find_api_key
from crosswire.config.fields import Reader, choice_fix, dotted, join, quoted_list
from crosswire.config.profiles import url_host
from crosswire.config.resilience import parse_provider_limits, parse_server_resilience
from crosswire.config.schema import (
    KNOWN_CAPABILITIES,
    LOG_LEVELS,
    MAX_TOKENS_FIELDS,
    PROVIDER_TYPE_ALIASES,
    PROVIDER_TYPES,
    TYPES_WITHOUT_BASE_URL,
    ModelConfig,
    ProviderConfig,
    Route,
    ServerConfig,
)
from crosswire.config.security import SECURITY_KEYS, parse_server_security

TOP_LEVEL_KEYS = (
    "default_model", "default_thinking", "server", "providers", "models", "routes", "router",
    "log", "metrics",
)  # fmt: skip
SERVER_KEYS = (
    "host",
    "port",
    "connect_timeout",
    "idle_timeout",
    "max_connections",
    "max_connections_per_host",
    "ping_interval",
    "log_level",
    "state",
    "retries",
    "retry_budget",
    "cooldown_after",
    "cooldown_seconds",
    "max_queue_wait",
    *SECURITY_KEYS,
)
PROVIDER_KEYS = (
    "type", "base_url", "api_key", "profile", "custom_headers", "env", "passthrough",
    "rpm", "tpm", "max_concurrency", "max_queue_wait",
)  # fmt: skip
MODEL_KEYS = (
    "provider",
    "model",
    "max_context_size",
    "max_output_size",
    "capabilities",
    "reasoning_key",
    "max_tokens_field",
    "fallbacks",
)
KIMI_ONLY_HINTS: dict[str, str] = {
    name: f"remove [{name}]: it is a Kimi Code CLI setting crosswire does not use"
    for name in ("loop_control", "services", "mcp")
}
"""Kimi Code CLI top-level tables, explained rather than merely rejected."""
MAX_PORT = 65535
URL_SCHEMES = ("http", "https")


def parse_server(reader: Reader, value: object) -> ServerConfig:
    """``[server]``; absent keys keep :class:`ServerConfig` defaults."""
    cfg = ServerConfig()
    if value is None:
        return cfg
    tbl = reader.table(value, "server")
    reader.check_keys(tbl, SERVER_KEYS, "server")
    host = reader.opt_str(tbl, "host", "server")
    if host is not None:
        if not host.strip():
            raise reader.error("server.host", "must not be empty", 'e.g. host = "127.0.0.1"')
        cfg.host = host.strip()
    port = reader.opt_int(tbl, "port", "server", minimum=0, example=cfg.port)
    if port is not None:
        if port > MAX_PORT:
            raise reader.error(
                "server.port",
                f"must be a TCP port between 0 and {MAX_PORT}, got {port}",
                f"e.g. port = {cfg.port}",
            )
        cfg.port = port
    for name in ("connect_timeout", "idle_timeout", "ping_interval"):
        seconds = reader.opt_seconds(tbl, name, "server", example=getattr(cfg, name))
        if seconds is not None:
            setattr(cfg, name, seconds)
    for name in ("max_connections", "max_connections_per_host"):
        count = reader.opt_int(tbl, name, "server", minimum=1, example=getattr(cfg, name))
        if count is not None:
            setattr(cfg, name, count)
    level = reader.opt_str(tbl, "log_level", "server")
    if level is not None:
        if level.strip().lower() not in LOG_LEVELS:
            raise reader.error(
                "server.log_level",
                f'unknown log level "{level}"',
                choice_fix(level, LOG_LEVELS, "valid levels"),
            )
        cfg.log_level = level.strip().lower()
    parse_server_resilience(reader, tbl, cfg)
    parse_server_security(reader, tbl, cfg)
    return cfg


def parse_providers(
    reader: Reader, value: object, env: Mapping[str, str], lookups: dict[str, KeyLookup]
) -> dict[str, ProviderConfig]:
    """``[providers.*]``; each key search is recorded in ``lookups`` to explain a miss later."""
    if value is None:
        return {}
    tbl = reader.table(value, "providers")
    return {name: _provider(reader, name, item, env, lookups) for name, item in tbl.items()}


def _provider(
    reader: Reader,
    name: str,
    value: object,
    env: Mapping[str, str],
    lookups: dict[str, KeyLookup],
) -> ProviderConfig:
    prefix = join("providers", name)
    tbl = reader.table(value, prefix)
    reader.check_keys(tbl, PROVIDER_KEYS, prefix)
    types = quoted_list(PROVIDER_TYPES)
    raw_type = reader.req_str(
        tbl, "type", prefix, f'add type = "openai" under [{prefix}] (one of {types})'
    )
    ptype = raw_type.strip().lower()
    ptype = PROVIDER_TYPE_ALIASES.get(ptype, ptype)
    if ptype not in PROVIDER_TYPES:
        raise reader.error(
            join(prefix, "type"),
            f'unknown provider type "{raw_type}"',
            choice_fix(raw_type, PROVIDER_TYPES, "valid types"),
        )
    base_url = _base_url(reader, tbl, prefix, ptype)
    profile = reader.opt_str(tbl, "profile", prefix)
    if profile is not None and not profile.strip():
        raise reader.error(
            join(prefix, "profile"), "must not be empty", "remove it to use the derived profile"
        )
    headers = _expanded_table(reader, tbl, "custom_headers", prefix, env, strict=True)
    env_table = _expanded_table(reader, tbl, "env", prefix, env, strict=False)
    raw_key = reader.opt_str(tbl, "api_key", prefix) or ""
    lookup = lookups[name] = find_api_key(raw_key, env_table, env)
    return ProviderConfig(
        name=name,
        type=ptype,
        base_url=base_url,
        api_key=lookup.value,
        profile=profile.strip() if profile is not None else None,
        custom_headers=headers,
        env=env_table,
        key_source=lookup.source,
        passthrough=reader.opt_bool(tbl, "passthrough", prefix) is not False,
        **parse_provider_limits(reader, tbl, prefix),
    )


def _base_url(reader: Reader, tbl: Mapping[str, Any], prefix: str, ptype: str) -> str:
    example = f'base_url = "https://api.example.com/v1" under [{prefix}]'
    base_url = reader.opt_str(tbl, "base_url", prefix)
    if base_url is None or not base_url.strip():
        if ptype in TYPES_WITHOUT_BASE_URL:
            return ""
        if base_url is None:
            raise reader.missing(prefix, "base_url", f"add {example}")
        raise reader.error(join(prefix, "base_url"), "must not be empty", f"set {example}")
    base_url = base_url.strip().rstrip("/")
    scheme = base_url.partition("://")[0].lower() if "://" in base_url else ""
    if scheme not in URL_SCHEMES or not url_host(base_url):
        raise reader.error(
            join(prefix, "base_url"),
            f'not an http(s) URL: "{base_url}"',
            f"write the full URL with its scheme, e.g. {example}",
        )
    return base_url


def _expanded_table(
    reader: Reader,
    tbl: Mapping[str, Any],
    name: str,
    prefix: str,
    env: Mapping[str, str],
    *,
    strict: bool,
) -> dict[str, str]:
    """A string table with ``${VAR}`` expanded; ``strict`` makes an unset VAR an error."""
    raw = reader.opt_str_table(tbl, name, prefix) or {}
    out: dict[str, str] = {}
    for entry, value in raw.items():
        expanded, unset = expand_env(value, env)
        if unset and strict:
            raise reader.error(
                join(join(prefix, name), entry),
                f"refers to ${{{unset[0]}}}, which is not set",
                f"export {unset[0]}=... before starting crosswire",
            )
        out[entry] = expanded
    return out


def parse_models(
    reader: Reader, value: object, providers: Mapping[str, ProviderConfig]
) -> dict[str, ModelConfig]:
    """``[models.*]``: at least one, each referring to a defined provider."""
    tbl = reader.table(value, "models") if value is not None else {}
    if not tbl:
        raise reader.error(
            "models",
            "no models defined",
            "add a [models.<alias>] table with provider, model and max_context_size",
        )
    return {alias: _model(reader, alias, item, providers) for alias, item in tbl.items()}


def _model(
    reader: Reader, alias: str, value: object, providers: Mapping[str, ProviderConfig]
) -> ModelConfig:
    prefix = join("models", alias)
    tbl = reader.table(value, prefix)
    reader.check_keys(tbl, MODEL_KEYS, prefix)
    provider = reader.req_str(tbl, "provider", prefix, f'add provider = "<name>" under [{prefix}]')
    model = reader.req_str(
        tbl, "model", prefix, f'add model = "<upstream model id>" under [{prefix}]'
    )
    context, output, caps = read_model_limits(reader, tbl, prefix)
    reasoning_key = reader.opt_str(tbl, "reasoning_key", prefix)
    if reasoning_key is not None and not reasoning_key.strip():
        raise reader.error(
            join(prefix, "reasoning_key"), "must not be empty", 'e.g. reasoning_key = "reasoning"'
        )
    tokens_field = reader.opt_str(tbl, "max_tokens_field", prefix)
    if tokens_field is not None and tokens_field not in MAX_TOKENS_FIELDS:
        raise reader.error(
            join(prefix, "max_tokens_field"),
            f'invalid value "{tokens_field}"',
            choice_fix(tokens_field, MAX_TOKENS_FIELDS, "valid values"),
        )
    if provider not in providers:
        add = f"add a [providers.{dotted(provider)}] table with type and base_url"
        fix = f"{choice_fix(provider, providers, 'defined providers')}, or {add}"
        raise reader.error(
            join(prefix, "provider"), f'unknown provider "{provider}"', fix if providers else add
        )
    return ModelConfig(
        alias=alias,
        provider=provider,
        model=model.strip(),
        max_context_size=context,
        max_output_size=output,
        capabilities=frozenset(caps),
        reasoning_key=reasoning_key,
        max_tokens_field=tokens_field,
        fallbacks=tuple(reader.opt_str_list(tbl, "fallbacks", prefix) or ()),
    )


def read_model_limits(
    reader: Reader, tbl: Mapping[str, Any], prefix: str
) -> tuple[int, int | None, list[str]]:
    """``max_context_size``, ``max_output_size`` and ``capabilities`` of a model table (config
    models and preset models share them)."""
    context = reader.req_int(tbl, "max_context_size", prefix, minimum=1, example=131072)
    output = reader.opt_int(tbl, "max_output_size", prefix, minimum=1, example=32768)
    if output is not None and output > context:
        raise reader.error(
            join(prefix, "max_output_size"),
            f"is larger than max_context_size ({output} > {context})",
            "lower max_output_size or raise max_context_size",
        )
    caps = reader.opt_str_list(tbl, "capabilities", prefix) or []
    for i, cap in enumerate(caps):
        if cap not in KNOWN_CAPABILITIES:
            raise reader.error(
                f"{join(prefix, 'capabilities')}[{i}]",
                f'unknown capability "{cap}"',
                choice_fix(cap, KNOWN_CAPABILITIES, "known capabilities"),
            )
    return context, output, caps


def resolve_default_model(
    reader: Reader, default_model: str | None, models: Mapping[str, ModelConfig]
) -> str | None:
    """The checked ``default_model``, or the only model's alias, or ``None``."""
    if default_model is None:
        return next(iter(models)) if len(models) == 1 else None
    if default_model not in models:
        raise reader.error(
            "default_model",
            f'unknown model alias "{default_model}"',
            choice_fix(default_model, models, "defined aliases"),
        )
    return default_model


def parse_routes(reader: Reader, value: object, models: Mapping[str, ModelConfig]) -> list[Route]:
    """``[routes]`` in file order, each to a defined model alias."""
    if value is None:
        return []
    tbl = reader.table(value, "routes")
    routes: list[Route] = []
    for pattern, alias in tbl.items():
        key = join("routes", pattern)
        if not isinstance(alias, str):
            raise reader.error(
                key,
                "expected a model alias (a string)",
                f'write {dotted(pattern)} = "<alias>" with an alias from [models]',
            )
        if not pattern.strip():
            raise reader.error(key, "empty pattern", 'use "*" to match every model name')
        if alias not in models:
            raise reader.error(
                key,
                f'routes to unknown model alias "{alias}"',
                choice_fix(alias, models, "defined aliases"),
            )
        routes.append(Route(pattern=pattern, alias=alias))
    return routes
