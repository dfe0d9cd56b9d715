"""Thinking signatures for thinking that did not come from Anthropic.

Anthropic clients keep thinking blocks and send them back, signature included. For thinking
from another upstream (OpenAI-format ``reasoning_content``, …) crosswire sends a signature
that can never be taken for Anthropic's: ``cw1.`` + base64url(JSON), a dot that is not in the
base64 alphabet Anthropic uses. It records which format produced the thinking, that format's
own opaque state, and — when the client asked for ``display: "omitted"`` and so gets no thinking
text — the text itself, so the next turn can still hand the reasoning back to its upstream.
An Anthropic upstream never receives a ``cw1.`` signature (the thinking is not its own).
"""

from __future__ import annotations

import base64
import binascii

from crosswire.canonical import ThinkingPart
from crosswire.jsonutil import DecodeError, dumps, loads

PREFIX = "cw1."
ANTHROPIC = "anthropic"


def client_signature(part: ThinkingPart, *, include_text: bool) -> str:
    """The signature to show the client for ``part``."""
    if part.origin == ANTHROPIC:
        return part.signature or ""
    state: dict[str, str] = {"o": part.origin or "unknown"}
    if part.signature:
        state["s"] = part.signature
    if include_text and part.text:
        state["t"] = part.text
    return PREFIX + base64.urlsafe_b64encode(dumps(state)).decode().rstrip("=")


def thinking_from_client(text: str, signature: str) -> ThinkingPart:
    """Rebuild the canonical thinking part from a block the client sent back."""
    if not signature.startswith(PREFIX):
        return ThinkingPart(text=text, signature=signature or None, origin=ANTHROPIC)
    payload = signature[len(PREFIX) :]
    try:
        state = loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, DecodeError, ValueError):
        return ThinkingPart(text=text, signature=None, origin=None)
    if not isinstance(state, dict):
        return ThinkingPart(text=text, signature=None, origin=None)
    return ThinkingPart(
        text=text or str(state.get("t", "")),
        signature=state.get("s"),
        origin=state.get("o"),
    )
