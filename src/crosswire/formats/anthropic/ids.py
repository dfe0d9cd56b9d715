"""Tool-call ids at the Anthropic edge.

Anthropic requires ``^[a-zA-Z0-9_-]+$``; upstreams issue ids such as Kimi's
``functions.Bash:0``. An id that does not fit is encoded reversibly (``cwx_`` + base64url), so
the upstream gets its own id back on the next turn with no state kept in the gateway: this
works across restarts and across replicas.
"""

from __future__ import annotations

import base64
import binascii
import re

_VALID = re.compile(r"[A-Za-z0-9_-]+")
_PREFIX = "cwx_"


def to_client_id(upstream_id: str) -> str:
    if _VALID.fullmatch(upstream_id) and not upstream_id.startswith(_PREFIX):
        return upstream_id
    encoded = base64.urlsafe_b64encode(upstream_id.encode()).decode().rstrip("=")
    return _PREFIX + encoded


def from_client_id(client_id: str) -> str:
    if not client_id.startswith(_PREFIX):
        return client_id
    payload = client_id[len(_PREFIX) :]
    try:
        return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return client_id
