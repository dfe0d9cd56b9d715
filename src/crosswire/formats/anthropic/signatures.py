"""Thinking signatures at the Anthropic edge: Anthropic's own pass through untouched; thinking
from other upstreams is sealed (:mod:`crosswire.formats.opaque`), which never looks like an
Anthropic signature, so a real Anthropic upstream is never sent one."""

from __future__ import annotations

from crosswire.canonical import ThinkingPart
from crosswire.formats.opaque import PREFIX, seal, unseal

ANTHROPIC = "anthropic"

__all__ = ["ANTHROPIC", "PREFIX", "client_signature", "thinking_from_client"]


def client_signature(part: ThinkingPart, *, include_text: bool) -> str:
    """The signature to show the client for ``part``."""
    return seal(part, native=ANTHROPIC, include_text=include_text)


def thinking_from_client(text: str, signature: str) -> ThinkingPart:
    """Rebuild the canonical thinking part from a block the client sent back."""
    return unseal(text, signature, native=ANTHROPIC)
