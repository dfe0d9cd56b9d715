"""Thought signatures at the Gemini client edge.

Gemini clients keep ``thoughtSignature`` on the parts that carry it and send it back on the
next turn, so foreign thinking state rides there as a sealed token
(:mod:`crosswire.formats.opaque`). The google-genai SDKs parse ``thoughtSignature`` as base64
bytes, and a ``cw1.`` token is not base64, so the sealed token is wrapped in standard base64.
What comes back is unwrapped (either base64 alphabet, padded or not, since the Python SDK
re-encodes URL-safe): a sealed token is unsealed, anything else is Gemini's own signature and is
kept verbatim for a Gemini upstream.
"""

from __future__ import annotations

import base64
import binascii

from crosswire.canonical import ThinkingPart
from crosswire.formats.gemini.wire import GEMINI
from crosswire.formats.opaque import PREFIX, seal, unseal

SKIP_VALIDATOR = "skip_thought_signature_validator"
"""Google's documented placeholder for function calls Gemini did not produce."""

_SEALED = PREFIX.encode()


def client_signature(part: ThinkingPart) -> str:
    """The ``thoughtSignature`` to give a Gemini client for ``part`` (``""``: none).

    Foreign thinking keeps its text in the token: Gemini CLI drops thought parts from its
    history, and Anthropic and DeepSeek need the text back with the state.
    """
    if part.origin == GEMINI:
        return part.signature or ""
    if not part.signature and not part.text:
        return ""
    token = seal(part, native=GEMINI, include_text=True)
    return base64.b64encode(token.encode()).decode()


def thinking_from_client(text: str, signature: str) -> ThinkingPart:
    """The canonical thinking part for a ``thoughtSignature`` a client sent back."""
    if not signature:
        return ThinkingPart(text=text)
    decoded = _b64decode(signature)
    if decoded is not None and decoded.startswith(_SEALED):
        return unseal(text, decoded.decode("ascii", "replace"), native=GEMINI)
    return ThinkingPart(text=text, signature=signature, origin=GEMINI)


def _b64decode(value: str) -> bytes | None:
    padded = value + "=" * (-len(value) % 4)
    try:
        return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None
