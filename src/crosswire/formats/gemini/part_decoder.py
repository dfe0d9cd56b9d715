"""Single Gemini parts of a client request: media, function-response payloads, and thinking
state put back beside the part that carried it."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from crosswire.canonical import (
    ContentPart,
    DocumentPart,
    ImagePart,
    InvalidRequestError,
    OpaquePart,
    ThinkingPart,
)
from crosswire.formats.gemini.wire import GEMINI, field
from crosswire.jsonutil import dumps_str

SIGNATURE_KEYS = ("thoughtSignature", "thought_signature")
_RESULT_TEXT_KEYS = ("output", "result", "content")


def add_thought(out: list[ContentPart], text: str) -> None:
    """Unsigned thought text; the pieces of one streamed thought are one part again."""
    last = out[-1] if out else None
    if isinstance(last, ThinkingPart) and last.signature is None and last.origin is None:
        last.text += text
    else:
        out.append(ThinkingPart(text))


def attach(out: list[ContentPart], state: ThinkingPart) -> None:
    """Put signature state before the part that carried it. Thought text the client kept for
    that state is absorbed: sealed state brings its own text, and Gemini's own signature
    belongs to the thought just before it."""
    if state.signature is None and not state.text:
        return  # a sealed token that could not be read
    last = out[-1] if out else None
    if isinstance(last, ThinkingPart) and last.signature is None:
        if state.text and last.text.startswith(state.text):
            rest = last.text[len(state.text) :]
            out[-1] = state
            if rest:  # the next block's thought, whose state comes later
                out.append(ThinkingPart(rest))
            return
        if not state.text and state.origin == GEMINI:
            last.signature, last.origin = state.signature, state.origin
            return
    out.append(state)


def result_text(payload: dict[str, Any]) -> tuple[str, bool]:
    """``{"output": text}`` → text; ``{"error": …}`` → the error, flagged; else the JSON."""
    if len(payload) == 1:
        ((key, value),) = payload.items()
        if key == "error":
            return (value if isinstance(value, str) else dumps_str(value)), True
        if key in _RESULT_TEXT_KEYS and isinstance(value, str):
            return value, False
    if not payload:
        return "", False
    return dumps_str(payload), "error" in payload and "output" not in payload


def inline_part(blob: dict[str, Any], path: str, part: dict[str, Any]) -> ContentPart:
    mime = field(blob, "mimeType")
    data = blob.get("data")
    if not isinstance(mime, str) or not isinstance(data, str):
        raise InvalidRequestError(f"{path}: mimeType and base64 data are required")
    mime = mime.lower()
    if mime.startswith("image/"):
        return ImagePart(media_type=mime, data=data)
    if mime == "application/pdf":
        return DocumentPart(media_type=mime, data=data)
    if mime.startswith("text/"):
        try:
            text = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, ValueError) as exc:
            raise InvalidRequestError(f"{path}.data: not base64-encoded UTF-8 text") from exc
        return DocumentPart(media_type=mime, text=text)
    return OpaquePart(GEMINI, without_signature(part))  # audio, video: Gemini upstreams only


def file_part(file_data: dict[str, Any], path: str, part: dict[str, Any]) -> ContentPart:
    uri = field(file_data, "fileUri")
    mime = field(file_data, "mimeType")
    if not isinstance(uri, str) or not uri.startswith(("https://", "http://")):
        raise InvalidRequestError(
            f"{path}.fileUri: only http(s) URIs can be forwarded (send the file as inlineData)"
        )
    mime = mime.lower() if isinstance(mime, str) else None
    if mime is None or mime.startswith("image/"):
        return ImagePart(media_type=mime, url=uri)
    if mime == "application/pdf":
        return DocumentPart(media_type=mime, url=uri)
    return OpaquePart(GEMINI, without_signature(part))


def without_signature(part: dict[str, Any]) -> dict[str, Any]:
    """A part kept verbatim, minus the signature (which became canonical thinking state)."""
    return {k: v for k, v in part.items() if k not in SIGNATURE_KEYS}
