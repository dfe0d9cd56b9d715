"""Sealed thinking state for clients that keep opaque tokens and send them back.

Anthropic clients keep a thinking block's ``signature``; Responses clients keep a reasoning
item's ``encrypted_content``. When the thinking came from a *different* upstream format, crosswire
hands the client a sealed token instead: ``cw1.`` + base64url(JSON ``{o, s?, t?}``) — the origin
format, that origin's own opaque state, and (when the client will not keep the text) the text.
The ``.`` is outside the base64 alphabets vendors use, so a sealed token can never be taken for a
vendor's own signature, and no upstream ever receives one: codecs unseal it first.
"""

from __future__ import annotations

import base64
import binascii

from crosswire.canonical import ThinkingPart
from crosswire.jsonutil import DecodeError, dumps, loads

PREFIX = "cw1."


def seal(part: ThinkingPart, *, native: str, include_text: bool) -> str:
    """The token to give a client of format ``native`` for ``part``."""
    if part.origin == native:
        return part.signature or ""
    state: dict[str, str] = {"o": part.origin or "unknown"}
    if part.signature:
        state["s"] = part.signature
    if include_text and part.text:
        state["t"] = part.text
    return PREFIX + base64.urlsafe_b64encode(dumps(state)).decode().rstrip("=")


def unseal(text: str, token: str, *, native: str) -> ThinkingPart:
    """The canonical thinking part for a block a client of format ``native`` sent back."""
    if not token.startswith(PREFIX):
        return ThinkingPart(text=text, signature=token or None, origin=native if token else None)
    payload = token[len(PREFIX) :]
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
