"""Small pieces of the Gemini wire shared by both sides of the codec.

Gemini's REST JSON is lowerCamelCase, but its proto3-JSON parser also accepts snake_case, and
some clients send that: :func:`field` reads either spelling. Synthetic tool-call ids
(:func:`synthetic_call_id`) stand in for the ``functionCall.id`` Gemini often leaves out; they
are derived from the call's position, so the same history always yields the same ids.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Any

GEMINI = "gemini"
"""The format name; ``ThinkingPart.origin`` of Gemini thought signatures."""

SYNTHETIC_ID_PREFIX = "cwg_"
"""Prefix of the ids crosswire makes up for calls that came without one."""

_CAMEL_HUMP = re.compile(r"(?<!^)(?=[A-Z])")


@lru_cache(maxsize=256)
def snake(name: str) -> str:
    """``thoughtSignature`` → ``thought_signature``."""
    return _CAMEL_HUMP.sub("_", name).lower()


def camel(name: str) -> str:
    """``google_search`` → ``googleSearch`` (camelCase names come back unchanged)."""
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def field(obj: dict[str, Any], name: str) -> Any:
    """``obj[name]`` by its camelCase name, else by its snake_case spelling, else ``None``."""
    value = obj.get(name)
    if value is None:
        value = obj.get(snake(name))
    return value


def synthetic_call_id(*key: object) -> str:
    """A stable id for a call Gemini gave none: the same ``key`` always gives the same id.

    The id fits every format's id rules (Anthropic's ``^[a-zA-Z0-9_-]+$`` included).
    """
    digest = hashlib.sha256("\x1f".join(str(k) for k in key).encode()).hexdigest()[:24]
    return SYNTHETIC_ID_PREFIX + digest


def is_synthetic(call_id: str) -> bool:
    """The id was made up by crosswire, so Gemini must not be sent it."""
    return call_id.startswith(SYNTHETIC_ID_PREFIX)
