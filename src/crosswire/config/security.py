"""Config for exposing the gateway: ``[server] keys`` and the input limits::

    [server]
    keys = ["cw-…", "${TEAM_KEY}", "sha256:<64 hex>"]   # plain values, env refs, or hashes

    # or named keys, each with optional scopes (what `crosswire key create` writes):
    [server.keys.alice]
    key = "sha256:9f86d0…"          # or "cw-…" or "${ALICE_KEY}"
    models = ["k26", "claude-*"]    # client model names (globs) or aliases; default: all
    rpm = 60                        # requests per minute with this key
    tpm = 200000                    # estimated input tokens per minute with this key
    [server.keys.ci]
    key = "${CI_GATEWAY_KEY}"       # a named key without scopes may also be a plain string:
                                    # ci = "${CI_GATEWAY_KEY}" under [server.keys]

    [server]
    max_body_bytes = 33554432       # 32 MiB; larger bodies get 413
    body_timeout = 60.0             # seconds to receive the whole body; then 408
    max_json_depth = 64             # deeper JSON nesting gets 400
    max_messages = 10000            # messages / input items / contents; more gets 400
    max_tools = 1000                # tool declarations; more gets 400
    max_header_bytes = 16384        # request line and each header field
    debug_endpoints = false         # GET /debug/tasks for loopback clients (soak tests)

Only SHA-256 digests of keys are kept in memory; see docs/security.md.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from crosswire.config.credentials import expand_env
from crosswire.config.fields import Reader, join
from crosswire.config.schema import GatewayKey, ServerConfig

SECURITY_KEYS = (
    "keys", "max_body_bytes", "body_timeout", "max_json_depth", "max_messages", "max_tools",
    "max_header_bytes", "debug_endpoints",
)  # fmt: skip
KEY_FIELDS = ("key", "models", "rpm", "tpm")
HASH_PREFIX = "sha256:"
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
_INT_LIMITS = ("max_body_bytes", "max_json_depth", "max_messages", "max_tools", "max_header_bytes")


def key_digest(key: str) -> bytes:
    """SHA-256 of a key as presented by a client."""
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()


def parse_server_security(reader: Reader, tbl: Mapping[str, Any], cfg: ServerConfig) -> None:
    """The input limits and ``debug_endpoints`` (keys need the environment: see below)."""
    for name in _INT_LIMITS:
        value = reader.opt_int(tbl, name, "server", minimum=1, example=getattr(cfg, name))
        if value is not None:
            setattr(cfg, name, value)
    seconds = reader.opt_seconds(tbl, "body_timeout", "server", example=cfg.body_timeout)
    if seconds is not None:
        cfg.body_timeout = seconds
    debug = reader.opt_bool(tbl, "debug_endpoints", "server")
    if debug is not None:
        cfg.debug_endpoints = debug


def parse_gateway_keys(
    reader: Reader, server: object, env: Mapping[str, str]
) -> tuple[GatewayKey, ...]:
    """``[server] keys``: an array of key strings, or a table of named keys."""
    if not isinstance(server, dict) or server.get("keys") is None:
        return ()
    value = server["keys"]
    if isinstance(value, list):
        return tuple(
            _key(reader, f"key-{i + 1}", item, f"server.keys[{i}]", env)
            for i, item in enumerate(value)
        )
    if isinstance(value, dict):
        return tuple(
            _key(reader, name, item, join("server.keys", name), env) for name, item in value.items()
        )
    raise reader.error(
        "server.keys",
        "expected an array of keys or a table of named keys",
        'e.g. keys = ["${TEAM_KEY}"], or run `crosswire key create --name NAME`',
    )


def _key(reader: Reader, name: str, item: object, at: str, env: Mapping[str, str]) -> GatewayKey:
    if isinstance(item, str):
        return GatewayKey(name=name, digest=_digest(reader, item, at, env))
    tbl = reader.table(item, at)
    reader.check_keys(tbl, KEY_FIELDS, at)
    raw = reader.req_str(tbl, "key", at, f'add key = "${{VAR}}" or key = "sha256:…" under [{at}]')
    return GatewayKey(
        name=name,
        digest=_digest(reader, raw, join(at, "key"), env),
        models=tuple(reader.opt_str_list(tbl, "models", at) or ()),
        rpm=reader.opt_int(tbl, "rpm", at, minimum=1, example=60),
        tpm=reader.opt_int(tbl, "tpm", at, minimum=1, example=200000),
    )


def _digest(reader: Reader, raw: str, at: str, env: Mapping[str, str]) -> bytes:
    """The digest of one written key (never echoed in errors: it is a secret)."""
    raw = raw.strip()
    if raw.startswith(HASH_PREFIX):
        hexdigest = raw[len(HASH_PREFIX) :].lower()
        if not _HEX_DIGEST.fullmatch(hexdigest):
            raise reader.error(
                at, "a sha256: key needs 64 hex digits", "re-run `crosswire key create`"
            )
        return bytes.fromhex(hexdigest)
    value, unset = expand_env(raw, env)
    if unset:
        raise reader.error(
            at, f"refers to ${{{unset[0]}}}, which is not set", f"export {unset[0]}=... first"
        )
    if len(value) < MIN_KEY_LENGTH:
        raise reader.error(
            at,
            f"a gateway key must be at least {MIN_KEY_LENGTH} characters",
            "use `crosswire key create` for a random one",
        )
    return key_digest(value)


MIN_KEY_LENGTH = 16
