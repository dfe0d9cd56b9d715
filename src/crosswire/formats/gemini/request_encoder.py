"""Encode a canonical request as a Gemini ``generateContent`` body.

- system blocks → ``systemInstruction`` parts; assistant turns → ``model``; turns of one role are
  merged (Gemini wants them alternating) and a history that starts with the model gets a short
  user turn first;
- tool results → ``functionResponse`` parts (first in their user turn) with the function's
  *name*, found from the earlier call by id, and ``response: {"output": text}`` or
  ``{"error": text}``; media in results ride in ``functionResponse.parts`` on Gemini 3 models,
  else as ``inlineData`` parts right after the responses;
- ids crosswire made up (``cwg_…``) are not sent: Gemini matches those calls by name and order;
- images and PDFs with data → ``inlineData``; Gemini File API / YouTube URLs → ``fileData``;
  other URLs cannot be fetched by Gemini and crosswire does not fetch them (yet), so they become
  a text placeholder;
- thought signatures: thinking state of origin ``gemini`` goes back as ``thoughtSignature`` on
  the part that followed it (its carrier); thought text and foreign or unsigned thinking are
  dropped; in the current turn (after the last user message that is not only tool results) a
  model step whose calls carry no signature gets Google's documented placeholder
  ``skip_thought_signature_validator`` on its first call, as Gemini 3 rejects unsigned calls.
Tools, ``toolConfig`` and ``generationConfig`` come from
:mod:`crosswire.formats.gemini.encoder_config`.
"""

from __future__ import annotations

import logging
from typing import Any

from crosswire.canonical import (
    DocumentPart,
    ImagePart,
    InvalidRequestError,
    Message,
    OpaquePart,
    Request,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolResultPart,
)
from crosswire.canonical.arguments import arguments_object
from crosswire.formats.gemini.encoder_config import apply as apply_config
from crosswire.formats.gemini.signatures import SKIP_VALIDATOR
from crosswire.formats.gemini.wire import GEMINI, is_synthetic

log = logging.getLogger(__name__)

FILE_DATA_PREFIXES = (
    "https://generativelanguage.googleapis.com/",
    "https://www.youtube.com/",
    "https://youtube.com/",
    "https://youtu.be/",
)
"""URLs Gemini can read itself through ``fileData``."""
CONVERSATION_START = "(The conversation continues.)"
UNKNOWN_FUNCTION = "unknown_function"


def encode_request(request: Request, model: str, *, vertex: bool = False) -> dict[str, Any]:
    """The body for ``model`` (the URL names the model; the body does not)."""
    body: dict[str, Any] = {}
    system = [{"text": p.text} for p in request.system if p.text]
    if system:
        body["systemInstruction"] = {"parts": system}
    body["contents"] = _contents(request, model)
    apply_config(request, model, body, vertex=vertex)
    return body


def _contents(request: Request, model: str) -> list[dict[str, Any]]:
    names = {p.id: p.name for m in request.messages for p in m.parts if isinstance(p, ToolCallPart)}
    current = _current_turn_start(request.messages)
    media_in_results = "gemini-3" in model.lower()
    out: list[dict[str, Any]] = []
    for i, message in enumerate(request.messages):
        if message.role == "assistant":
            role, parts = "model", _model_parts(message, in_current_turn=i >= current)
        else:
            role, parts = "user", _user_parts(message, names, media_in_results)
        if not parts:
            continue
        if out and out[-1]["role"] == role:
            out[-1]["parts"].extend(parts)
        else:
            out.append({"role": role, "parts": parts})
    if not out:
        raise InvalidRequestError("messages: the conversation has no content to send")
    if out[0]["role"] == "model":
        out.insert(0, {"role": "user", "parts": [{"text": CONVERSATION_START}]})
    return out


def _current_turn_start(messages: list[Message]) -> int:
    """Index just after the last user message that is not only tool results."""
    for i in range(len(messages) - 1, -1, -1):
        message = messages[i]
        if message.role == "user" and not any(isinstance(p, ToolResultPart) for p in message.parts):
            return i + 1
    return 0


def _model_parts(message: Message, *, in_current_turn: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    pending: str | None = None
    for part in message.parts:
        if isinstance(part, ThinkingPart):
            if part.origin == GEMINI and part.signature:
                if pending:
                    log.debug("gemini: two thought signatures with no part between; one dropped")
                pending = part.signature
            continue
        wire = _model_part(part)
        if wire is None:
            continue
        if pending:
            wire["thoughtSignature"], pending = pending, None
        out.append(wire)
    if pending and out and "thoughtSignature" not in out[-1]:
        out[-1]["thoughtSignature"] = pending
    calls = [p for p in out if "functionCall" in p]
    if in_current_turn and calls and not any("thoughtSignature" in p for p in calls):
        calls[0]["thoughtSignature"] = SKIP_VALIDATOR
    return out


def _model_part(part: object) -> dict[str, Any] | None:
    if isinstance(part, TextPart):
        return {"text": part.text} if part.text else None
    if isinstance(part, ToolCallPart):
        call: dict[str, Any] = {} if is_synthetic(part.id) else {"id": part.id}
        call["name"] = part.name
        call["args"] = arguments_object(part.arguments)
        return {"functionCall": call}
    if isinstance(part, OpaquePart) and part.origin == GEMINI:
        return dict(part.block)
    log.debug("gemini: dropping %s from a model turn", type(part).__name__)
    return None


def _user_parts(
    message: Message, names: dict[str, str], media_in_results: bool
) -> list[dict[str, Any]]:
    """Function responses first (in order), then their media, then the turn's own parts."""
    responses: list[dict[str, Any]] = []
    result_media: list[dict[str, Any]] = []
    rest: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, ToolResultPart):
            response, media = _function_response(part, names, media_in_results)
            responses.append(response)
            result_media += media
        elif isinstance(part, TextPart):
            if part.text:
                rest.append({"text": part.text})
        elif isinstance(part, ImagePart):
            rest.append(image_part(part))
        elif isinstance(part, DocumentPart):
            rest.append(document_part(part))
        elif isinstance(part, OpaquePart) and part.origin == GEMINI:
            rest.append(dict(part.block))
        else:
            log.debug("gemini: dropping %s from a user turn", type(part).__name__)
    return responses + result_media + rest


def _function_response(
    part: ToolResultPart, names: dict[str, str], media_in_results: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    name = names.get(part.tool_call_id) or part.name
    if not name:
        log.info("gemini: no call %s for a tool result; sending it unnamed", part.tool_call_id)
        name = UNKNOWN_FUNCTION
    texts: list[str] = []
    media: list[dict[str, Any]] = []
    for item in part.content:
        if isinstance(item, TextPart):
            texts.append(item.text)
        elif isinstance(item, DocumentPart) and item.text is not None:
            texts.append(f"{item.title}\n{item.text}" if item.title else item.text)
        else:
            wire = image_part(item) if isinstance(item, ImagePart) else document_part(item)
            if "text" in wire:
                texts.append(wire["text"])
            else:
                media.append(wire)
    text = "\n".join(texts)
    response: dict[str, Any] = {} if is_synthetic(part.tool_call_id) else {"id": part.tool_call_id}
    response["name"] = name
    response["response"] = {"error": text} if part.is_error else {"output": text}
    if media and media_in_results:
        response["parts"] = media
        media = []
    return {"functionResponse": response}, media


def image_part(part: ImagePart) -> dict[str, Any]:
    if part.data is not None:
        return {"inlineData": {"mimeType": part.media_type or "image/png", "data": part.data}}
    return _url_part(part.url or "", part.media_type, "image")


def document_part(part: DocumentPart) -> dict[str, Any]:
    if part.text is not None:
        return {"text": f"{part.title}\n{part.text}" if part.title else part.text}
    if part.data is not None:
        mime = part.media_type or "application/pdf"
        return {"inlineData": {"mimeType": mime, "data": part.data}}
    return _url_part(part.url or "", part.media_type, "document")


def _url_part(url: str, media_type: str | None, kind: str) -> dict[str, Any]:
    if url.startswith("data:") and ";base64," in url:
        header, _, data = url.partition(";base64,")
        return {"inlineData": {"mimeType": header[5:] or "application/octet-stream", "data": data}}
    if url.startswith(FILE_DATA_PREFIXES):
        file_data = {"fileUri": url}
        if media_type:
            file_data = {"mimeType": media_type, "fileUri": url}
        return {"fileData": file_data}
    log.info("gemini: %s URL sent as a text placeholder (Gemini cannot fetch it)", kind)
    return {"text": f"[{kind} at {url} — not attached: the gateway does not fetch URLs]"}
