"""Decode a Gemini ``generateContent`` request (Gemini CLI, google-genai SDKs) into a canonical
:class:`Request`.

The model and streaming come from the URL (:class:`ClientContext`). ``contents`` become
messages (``model`` → assistant; ``function``/``tool``/missing roles → user; consecutive turns of
one role merged). Function calls without an ``id`` get a synthetic one derived from the turn,
the call's index and its name, and a ``functionResponse`` is matched to its call by ``id``, else
by name and order (Gemini CLI answers id-less calls with ids of its own), so both sides of a
call always carry the same canonical id. A ``thoughtSignature`` on any part becomes thinking
state placed just before that part (merged into the thought part it belongs to, if any).
Configuration fields are read by :mod:`crosswire.formats.gemini.decoder_config`. Malformed
input raises :class:`InvalidRequestError` with the JSON path of the problem.
"""

from __future__ import annotations

from typing import Any

from crosswire.canonical import (
    ContentPart,
    DocumentPart,
    ImagePart,
    InvalidRequestError,
    Message,
    OpaquePart,
    Request,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from crosswire.canonical.messages import Role
from crosswire.formats.base import ClientContext
from crosswire.formats.gemini.decoder_config import apply as apply_config
from crosswire.formats.gemini.part_decoder import (
    SIGNATURE_KEYS,
    add_thought,
    attach,
    file_part,
    inline_part,
    result_text,
    without_signature,
)
from crosswire.formats.gemini.signatures import thinking_from_client
from crosswire.formats.gemini.wire import GEMINI, field, synthetic_call_id
from crosswire.jsonutil import dumps_str

_ROLES: dict[str, Role] = {
    "user": "user", "function": "user", "tool": "user", "model": "assistant",
}  # fmt: skip
_OPAQUE_PARTS = ("executableCode", "codeExecutionResult", "toolCall", "toolResponse")

ResultContent = TextPart | ImagePart | DocumentPart


def decode_request(body: Any, context: ClientContext | None = None) -> Request:
    context = context or ClientContext()
    if not isinstance(body, dict):
        raise InvalidRequestError("request body must be a JSON object")
    request = Request(model=_model(body, context), client_format=GEMINI)
    request.stream = context.stream is True
    request.system = _system(field(body, "systemInstruction"))
    contents = body.get("contents")
    if not isinstance(contents, list):
        raise InvalidRequestError("contents: an array of contents is required")
    request.messages = _History().messages(contents)
    apply_config(body, request)
    return request


def decode_count_tokens(body: Any, context: ClientContext | None = None) -> Request:
    """The request a ``:countTokens`` body describes: ``{contents}`` or
    ``{generateContentRequest: {...}}``."""
    if isinstance(body, dict) and isinstance(field(body, "generateContentRequest"), dict):
        return decode_request(field(body, "generateContentRequest"), context)
    return decode_request(body, context)


def _model(body: dict[str, Any], context: ClientContext) -> str:
    model = context.path_model or body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise InvalidRequestError("model: name the model in the URL (/v1beta/models/{model}:…)")
    return model.removeprefix("models/")


def _system(system: Any) -> list[TextPart]:
    if system is None:
        return []
    if isinstance(system, str):
        return [TextPart(system)] if system else []
    if not isinstance(system, dict) or not isinstance(system.get("parts"), list):
        raise InvalidRequestError("systemInstruction: must be a content with text parts")
    out: list[TextPart] = []
    for i, part in enumerate(system["parts"]):
        if not isinstance(part, dict) or not isinstance(part.get("text"), str):
            raise InvalidRequestError(f"systemInstruction.parts.{i}: only text parts are allowed")
        if part["text"]:
            out.append(TextPart(part["text"]))
    return out


class _History:
    """Walks ``contents`` once, pairing function responses with their calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.known: set[str] = set()
        self.answered: set[str] = set()

    def messages(self, contents: list[Any]) -> list[Message]:
        out: list[Message] = []
        for turn, content in enumerate(contents):
            path = f"contents.{turn}"
            if not isinstance(content, dict):
                raise InvalidRequestError(f"{path}: must be an object")
            raw_role = content.get("role") or "user"
            role = _ROLES.get(raw_role) if isinstance(raw_role, str) else None
            if role is None:
                raise InvalidRequestError(f"{path}.role: must be 'user' or 'model'")
            parts = content.get("parts")
            if not isinstance(parts, list):
                raise InvalidRequestError(f"{path}.parts: an array of parts is required")
            decoded = self._parts(parts, path, role, turn)
            if out and out[-1].role == role:
                out[-1].parts.extend(decoded)
            else:
                out.append(Message(role, decoded))
        return out

    def _parts(self, parts: list[Any], path: str, role: Role, turn: int) -> list[ContentPart]:
        out: list[ContentPart] = []
        counter = [0]
        if role == "user":
            self._claim(parts)
        for j, part in enumerate(parts):
            ppath = f"{path}.parts.{j}"
            if not isinstance(part, dict):
                raise InvalidRequestError(f"{ppath}: must be an object")
            signature = field(part, "thoughtSignature")
            if signature is not None and not isinstance(signature, str):
                raise InvalidRequestError(f"{ppath}.thoughtSignature: a base64 string is required")
            if field(part, "thought") is True:
                text = part.get("text", "")
                if not isinstance(text, str):
                    raise InvalidRequestError(f"{ppath}.text: a string is required")
                if signature:
                    out.append(thinking_from_client(text, signature))
                elif text:
                    add_thought(out, text)
                continue
            if signature:
                attach(out, thinking_from_client("", signature))
            data = self._data(part, ppath, role, turn, counter)
            if data is not None:
                out.append(data)
        return out

    def _data(
        self, part: dict[str, Any], path: str, role: str, turn: int, counter: list[int]
    ) -> ContentPart | None:
        text = part.get("text")
        if text is not None:
            if not isinstance(text, str):
                raise InvalidRequestError(f"{path}.text: a string is required")
            return TextPart(text) if text else None
        if isinstance(field(part, "inlineData"), dict):
            return inline_part(field(part, "inlineData"), f"{path}.inlineData", part)
        if isinstance(field(part, "fileData"), dict):
            return file_part(field(part, "fileData"), f"{path}.fileData", part)
        call = field(part, "functionCall")
        if call is not None:
            if role != "assistant":
                raise InvalidRequestError(f"{path}.functionCall: only allowed in 'model' turns")
            counter[0] += 1
            return self._call(call, f"{path}.functionCall", turn, counter[0] - 1)
        response = field(part, "functionResponse")
        if response is not None:
            if role != "user":
                raise InvalidRequestError(f"{path}.functionResponse: not allowed in 'model' turns")
            counter[0] += 1
            return self._result(response, f"{path}.functionResponse", turn, counter[0] - 1)
        if any(field(part, key) is not None for key in _OPAQUE_PARTS):
            return OpaquePart(GEMINI, without_signature(part))
        known = {"thought", "text", *SIGNATURE_KEYS}
        if all(key in known for key in part):
            return None  # a part that only carried a signature
        return OpaquePart(GEMINI, without_signature(part))

    def _call(self, call: Any, path: str, turn: int, k: int) -> ToolCallPart:
        if not isinstance(call, dict):
            raise InvalidRequestError(f"{path}: must be an object")
        name = _str(call, "name", path)
        args = call.get("args", {})
        if args is None:
            args = {}
        if not isinstance(args, dict):
            raise InvalidRequestError(f"{path}.args: must be an object")
        given = call.get("id")
        call_id = given if isinstance(given, str) and given else synthetic_call_id(turn, k, name)
        self.calls.append((call_id, name))
        self.known.add(call_id)
        return ToolCallPart(id=call_id, name=name, arguments=dumps_str(args))

    def _result(self, response: Any, path: str, turn: int, k: int) -> ToolResultPart:
        if not isinstance(response, dict):
            raise InvalidRequestError(f"{path}: must be an object")
        name = _str(response, "name", path)
        payload = response.get("response", {})
        if payload is None:
            payload = {}
        if not isinstance(payload, dict):
            raise InvalidRequestError(f"{path}.response: must be an object")
        content: list[ResultContent] = []
        text, is_error = result_text(payload)
        if text:
            content.append(TextPart(text))
        media = response.get("parts")
        if isinstance(media, list):
            for i, item in enumerate(media):
                blob = field(item, "inlineData") if isinstance(item, dict) else None
                if isinstance(blob, dict):
                    part = inline_part(blob, f"{path}.parts.{i}.inlineData", item)
                    if isinstance(part, ImagePart | DocumentPart):
                        content.append(part)
        call_id = self._match(response.get("id"), name, turn, k)
        return ToolResultPart(tool_call_id=call_id, content=content, is_error=is_error, name=name)

    def _claim(self, parts: list[Any]) -> None:
        """Responses naming a known call by id claim it before any is matched by name."""
        for part in parts:
            response = field(part, "functionResponse") if isinstance(part, dict) else None
            given = response.get("id") if isinstance(response, dict) else None
            if isinstance(given, str) and given in self.known:
                self.answered.add(given)

    def _match(self, given: Any, name: str, turn: int, k: int) -> str:
        """The id of the call this response answers: by id, else the first unanswered call of
        that name, else the response's own id (or a synthetic one)."""
        if isinstance(given, str) and given in self.known:
            return given
        for call_id, call_name in self.calls:
            if call_name == name and call_id not in self.answered:
                self.answered.add(call_id)
                return call_id
        if isinstance(given, str) and given:
            return given
        return synthetic_call_id("response", turn, k, name)


def _str(obj: dict[str, Any], key: str, path: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidRequestError(f"{path}.{key}: a non-empty string is required")
    return value
