"""Startup checks before the gateway listens: no open relay off loopback, no world-readable
file of keys."""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path

from crosswire.config import Config

LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})


def is_loopback_host(host: str) -> bool:
    """Whether binding ``host`` keeps the gateway on this machine (``0.0.0.0``/``::`` do not)."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def exposure_problem(host: str, config: Config, *, insecure_no_auth: bool) -> str | None:
    """Why the gateway must not listen on ``host``, or ``None``."""
    if config.server.keys or insecure_no_auth or is_loopback_host(host):
        return None
    return (
        f"refusing to listen on {host}: no gateway keys are configured, so anyone who can reach "
        "it could spend your upstream API keys.\n"
        "  fix: run `crosswire key create --name NAME` (adds a hashed key to [server] keys), or "
        "listen on 127.0.0.1, or pass --insecure-no-auth if another layer authenticates clients"
    )


def world_readable_warning(path: Path | None, config: Config) -> str | None:
    """A warning when the config file holds keys and any user on the machine may read it."""
    if path is None:
        return None
    try:
        mode = path.stat().st_mode
        text = path.read_text("utf-8", "replace")
    except OSError:
        return None
    literal = any(p.api_key and p.api_key in text for p in config.providers.values())
    holds_keys = literal or bool(config.server.keys)
    if holds_keys and mode & stat.S_IROTH:
        return (
            f"{path} holds keys and is readable by every user on this machine "
            f"(mode {stat.filemode(mode)}); fix: chmod 600 {path}"
        )
    return None
