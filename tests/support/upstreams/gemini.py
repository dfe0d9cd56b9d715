"""A scripted Gemini Developer API upstream (``POST /v1beta/models/{model}:generateContent``
and ``:streamGenerateContent?alt=sse``).

Behaves like a Gemini 3 model: function calls carry no ``id``; the first ``functionCall`` of a
thinking step carries a ``thoughtSignature`` that must come back on that part byte-exact (or as
one of Google's documented skip values), and any other signature is "corrupted"; thought
parts are returned only with ``includeThoughts``. The body must be camelCase, each part must
hold exactly one data field, function declarations must use the OpenAPI subset Gemini accepts,
and a function-response turn must answer every call of the turn before it, in number.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aiohttp import web

from .base import ScriptedUpstream, halves, require, require_keys, require_type, sse
from .scenarios import (
    GEMINI_SKIP_SIGNATURES,
    INPUT_TOKENS,
    OPAQUE_STATE,
    OUTPUT_TOKENS,
    REASONING_TOKENS,
    Answer,
    AssistantSeen,
    CallSeen,
    Invalid,
    ResultSeen,
    Seen,
    ThinkingSeen,
)

REQUEST_KEYS = frozenset(
    {
        "contents", "systemInstruction", "tools", "toolConfig", "safetySettings",
        "cachedContent", "generationConfig", "serviceTier",
    }
)  # fmt: skip
GENERATION_KEYS = frozenset(
    {
        "temperature", "topP", "topK", "candidateCount", "maxOutputTokens", "stopSequences",
        "presencePenalty", "frequencyPenalty", "seed", "responseMimeType", "responseSchema",
        "responseJsonSchema", "responseModalities", "responseLogprobs", "logprobs",
        "mediaResolution", "speechConfig", "imageConfig", "thinkingConfig",
    }
)  # fmt: skip
DATA_FIELDS = frozenset(
    {
        "text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode",
        "codeExecutionResult",
    }
)  # fmt: skip
PART_METADATA = frozenset(
    {"thought", "thoughtSignature", "videoMetadata", "mediaResolution", "partMetadata"}
)
SCHEMA_REJECTED = frozenset(
    {
        "additionalProperties", "$schema", "$id", "$defs", "$ref", "oneOf", "allOf", "not",
        "const", "exclusiveMinimum", "exclusiveMaximum",
    }
)  # fmt: skip
VALID_SIGNATURES = (OPAQUE_STATE["gemini"], *GEMINI_SKIP_SIGNATURES)


def normalize_signature(value: Any, where: str) -> str:
    """``thoughtSignature`` is a proto ``bytes`` field: the API accepts standard or URL-safe
    base64, padded or not (the google-genai SDK sends it back URL-safe), so compare bytes —
    re-encoded as standard base64. Google's skip values are kept as they are."""
    require_type(value, str, where)
    if value in GEMINI_SKIP_SIGNATURES:
        return value
    padded = value + "=" * (-len(value) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise Invalid(f"{where}: Corrupted thought signature (not base64: {value!r:.60})") from None
    return base64.b64encode(raw).decode()


def _snake_case_key(obj: dict[str, Any], where: str) -> None:
    for key in obj:
        if "_" in key and not key.startswith("$"):
            raise Invalid(f"{where}: field {key!r} is snake_case; the REST API is camelCase")


def _check_schema(schema: Any, where: str) -> None:
    require_type(schema, dict, where)
    for key in sorted(set(schema) & SCHEMA_REJECTED):
        raise Invalid(
            f'{where}: Invalid JSON payload received. Unknown name "{key}": Cannot find field.'
        )
    kind = schema.get("type")
    require(not isinstance(kind, list), f"{where}.type: type arrays are not supported")
    if isinstance(kind, str) and kind.lower() == "object":
        require(
            bool(schema.get("properties")),
            f"{where}.properties: should be non-empty for OBJECT type",
        )
    for name, sub in (schema.get("properties") or {}).items():
        _check_schema(sub, f"{where}.properties.{name}")
    if "items" in schema:
        _check_schema(schema["items"], f"{where}.items")
    for k, sub in enumerate(schema.get("anyOf") or []):
        _check_schema(sub, f"{where}.anyOf[{k}]")
    if "enum" in schema:
        require(
            all(isinstance(v, str) for v in schema["enum"]),
            f"{where}.enum: only string enums are supported",
        )


class GeminiUpstream(ScriptedUpstream):
    format = "gemini"
    routes = (("POST", "/v1beta/models/{target}"), ("POST", "/v1/models/{target}"))

    @property
    def base_url(self) -> str:
        """What a ``google-genai`` provider's ``base_url`` is (the API version included)."""
        return self.url + "/v1beta"

    def check_request(self, request: web.Request) -> None:
        target = request.match_info.get("target", "")
        model, _, method = target.partition(":")
        require(
            bool(model) and method in ("generateContent", "streamGenerateContent"),
            f"path {request.path!r}: expected /v1beta/models/{{model}}:generateContent or "
            ":streamGenerateContent (or /v1/…)",
        )
        if method == "streamGenerateContent":
            require(
                request.query.get("alt") == "sse",
                f"{request.path}?{request.query_string}: stream with alt=sse (without it the "
                "reply is one JSON array, not SSE)",
            )
        key = request.headers.get("x-goog-api-key") or request.query.get("key")
        require(
            key == self.api_key,
            f"x-goog-api-key is {key!r}, expected the provider key: API key not valid. Please "
            "pass a valid API key.",
        )

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        code = "INVALID_ARGUMENT" if status == 400 else "INTERNAL"
        return {"error": {"code": status, "message": message, "status": code}}

    # --- request --------------------------------------------------------------------------

    def parse(self, request: web.Request, body: dict[str, Any]) -> Seen:
        model, _, method = request.match_info["target"].partition(":")
        _snake_case_key(body, "request")
        for key in sorted(set(body) - REQUEST_KEYS):
            raise Invalid(f'Invalid JSON payload received. Unknown name "{key}"')
        seen = Seen(model=model, stream=method == "streamGenerateContent")
        config = body.get("generationConfig") or {}
        require_type(config, dict, "generationConfig")
        _snake_case_key(config, "generationConfig")
        require_keys(config, GENERATION_KEYS, "generationConfig")
        thinking = config.get("thinkingConfig") or {}
        require_type(thinking, dict, "generationConfig.thinkingConfig")
        require_keys(
            thinking,
            {"thinkingBudget", "thinkingLevel", "includeThoughts"},
            "generationConfig.thinkingConfig",
        )
        require(
            not ("thinkingBudget" in thinking and "thinkingLevel" in thinking),
            "thinkingConfig: thinkingBudget and thinkingLevel cannot both be set",
        )
        seen.thinking_requested = bool(thinking.get("includeThoughts"))
        seen.extra["include_thoughts"] = seen.thinking_requested
        if "systemInstruction" in body:
            system = require_type(body["systemInstruction"], dict, "systemInstruction")
            for k, part in enumerate(
                require_type(system.get("parts"), list, "systemInstruction.parts")
            ):
                require(
                    isinstance(part, dict) and isinstance(part.get("text"), str),
                    f"systemInstruction.parts[{k}]: text only",
                )
        seen.tool_names = self._tools(body.get("tools"))
        contents = require_type(body.get("contents"), list, "contents")
        require(bool(contents), "contents is not specified")
        pending: list[str] = []  # names of the previous model turn's calls
        for i, content in enumerate(contents):
            where = f"contents[{i}]"
            require_type(content, dict, where)
            require_keys(content, {"role", "parts"}, where)
            role = content.get("role", "user")
            require(role in ("user", "model"), f"{where}.role: invalid role {role!r}")
            parts = require_type(content.get("parts"), list, f"{where}.parts")
            require(bool(parts), f"{where}.parts: must not be empty")
            if role == "model":
                require(not pending, f"{where}: the function call turn before is unanswered")
                turn = self._model(parts, where)
                pending = [c.name for c in turn.calls]
                seen.assistants.append(turn)
            else:
                answered = self._user(parts, where, seen)
                if pending or answered:
                    require(
                        len(answered) == len(pending),
                        f"{where}: Please ensure that the number of function response parts "
                        f"({len(answered)}) is equal to the number of function call parts of "
                        f"the function call turn ({len(pending)}).",
                    )
                    for name, want in zip(answered, pending, strict=True):
                        require(
                            name == want,
                            f"{where}: functionResponse name {name!r} does not match the "
                            f"functionCall {want!r} at the same position",
                        )
                pending = []
        require(not pending, "the last functionCall turn has no functionResponse turn")
        return seen

    def _tools(self, tools: Any) -> list[str]:
        if tools is None:
            return []
        require_type(tools, list, "tools")
        names = []
        for i, tool in enumerate(tools):
            where = f"tools[{i}]"
            require_type(tool, dict, where)
            _snake_case_key(tool, where)
            require_keys(tool, {"functionDeclarations"}, where)
            for j, decl in enumerate(require_type(tool["functionDeclarations"], list, where)):
                dw = f"{where}.functionDeclarations[{j}]"
                require_type(decl, dict, dw)
                _snake_case_key(decl, dw)
                require_keys(
                    decl,
                    {"name", "description", "parameters", "parametersJsonSchema", "response",
                     "responseJsonSchema", "behavior"},
                    dw,
                )  # fmt: skip
                require(
                    not ("parameters" in decl and "parametersJsonSchema" in decl),
                    f"{dw}: parameters and parametersJsonSchema are mutually exclusive",
                )
                if "parameters" in decl:
                    _check_schema(decl["parameters"], f"{dw}.parameters")
                elif "parametersJsonSchema" in decl:
                    require_type(decl["parametersJsonSchema"], dict, f"{dw}.parametersJsonSchema")
                names.append(require_type(decl.get("name"), str, f"{dw}.name"))
        return names

    @staticmethod
    def _part(part: Any, where: str) -> str:
        require_type(part, dict, where)
        _snake_case_key(part, where)
        require_keys(part, DATA_FIELDS | PART_METADATA, where)
        data = sorted(set(part) & DATA_FIELDS)
        require(len(data) == 1, f"{where}: a part needs exactly one data field, got {data}")
        signature = part.get("thoughtSignature")
        if signature is not None:
            signature = part["thoughtSignature"] = normalize_signature(
                signature, f"{where}.thoughtSignature"
            )
            require(
                signature in VALID_SIGNATURES,
                f"{where}.thoughtSignature: Corrupted thought signature (got {signature!r:.60})",
            )
        return data[0]

    def _model(self, parts: list[Any], where: str) -> AssistantSeen:
        turn = AssistantSeen()
        for k, part in enumerate(parts):
            pw = f"{where}.parts[{k}]"
            kind = self._part(part, pw)
            if kind == "text":
                text = require_type(part["text"], str, f"{pw}.text")
                if part.get("thought"):
                    turn.thinking.append(ThinkingSeen(text, part.get("thoughtSignature")))
                else:
                    turn.text += text
            elif kind == "functionCall":
                call = require_type(part["functionCall"], dict, f"{pw}.functionCall")
                require_keys(call, {"id", "name", "args"}, f"{pw}.functionCall")
                name = require_type(call.get("name"), str, f"{pw}.functionCall.name")
                args = require_type(call.get("args", {}), dict, f"{pw}.functionCall.args")
                turn.calls.append(
                    CallSeen(call.get("id"), name, args, opaque=part.get("thoughtSignature"))
                )
            else:
                raise Invalid(f"{pw}: unexpected {kind} part in a model turn")
        return turn

    def _user(self, parts: list[Any], where: str, seen: Seen) -> list[str]:
        answered = []
        for k, part in enumerate(parts):
            pw = f"{where}.parts[{k}]"
            kind = self._part(part, pw)
            if kind == "text":
                seen.user_texts.append(require_type(part["text"], str, f"{pw}.text"))
            elif kind == "inlineData":
                seen.images.append(self._inline(part["inlineData"], f"{pw}.inlineData"))
            elif kind == "functionResponse":
                response = require_type(part["functionResponse"], dict, f"{pw}.functionResponse")
                require_keys(
                    response,
                    {"id", "name", "response", "parts", "willContinue", "scheduling"},
                    f"{pw}.functionResponse",
                )
                name = require_type(response.get("name"), str, f"{pw}.functionResponse.name")
                payload = require_type(
                    response.get("response"), dict, f"{pw}.functionResponse.response"
                )
                for m, media in enumerate(response.get("parts") or []):
                    seen.images.append(
                        self._inline(media.get("inlineData"), f"{pw}.functionResponse.parts[{m}]")
                    )
                answered.append(name)
                seen.results.append(ResultSeen(response.get("id"), name, json.dumps(payload)))
            else:
                raise Invalid(f"{pw}: unexpected {kind} part in a user turn")
        return answered

    @staticmethod
    def _inline(data: Any, where: str) -> tuple[str, bytes]:
        require_type(data, dict, where)
        _snake_case_key(data, where)
        require_keys(data, {"mimeType", "data", "displayName"}, where)
        mime = require_type(data.get("mimeType"), str, f"{where}.mimeType")
        payload = require_type(data.get("data"), str, f"{where}.data")
        try:
            return mime, base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            try:
                return mime, base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            except (binascii.Error, ValueError) as exc:
                raise Invalid(f"{where}.data: bad base64: {exc}") from None

    # --- answer ---------------------------------------------------------------------------

    def _parts(self, answer: Answer, seen: Seen) -> list[list[dict[str, Any]]]:
        """The answer's parts, grouped as the stream sends them."""
        groups: list[list[dict[str, Any]]] = []
        if answer.thinking and seen.extra.get("include_thoughts"):
            groups += [[{"text": p, "thought": True}] for p in halves(answer.thinking)]
        if answer.text:
            groups += [[{"text": p}] for p in halves(answer.text)]
        calls = []
        for index, call in enumerate(answer.calls):
            part: dict[str, Any] = {"functionCall": {"name": call.name, "args": call.args}}
            if index == 0 and answer.opaque:
                part["thoughtSignature"] = answer.opaque
            calls.append(part)
        if calls:
            groups.append(calls)
        return groups

    @staticmethod
    def _reply(seen: Seen, parts: list[dict[str, Any]], last: bool) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
        usage: dict[str, Any] = {"promptTokenCount": INPUT_TOKENS, "totalTokenCount": INPUT_TOKENS}
        if last:
            candidate["finishReason"] = "STOP"
            usage = {
                "promptTokenCount": INPUT_TOKENS,
                "candidatesTokenCount": OUTPUT_TOKENS - REASONING_TOKENS,
                "thoughtsTokenCount": REASONING_TOKENS,
                "totalTokenCount": INPUT_TOKENS + OUTPUT_TOKENS,
            }
        return {
            "candidates": [candidate],
            "usageMetadata": usage,
            "modelVersion": seen.model,
            "responseId": "matrix-gemini-response",
        }

    def render(self, answer: Answer, seen: Seen) -> dict[str, Any]:
        merged: list[dict[str, Any]] = []
        for group in self._parts(answer, seen):
            for part in group:
                previous = merged[-1] if merged else None
                if (
                    previous is not None
                    and "text" in part
                    and "text" in previous
                    and previous.get("thought") == part.get("thought")
                ):
                    previous["text"] += part["text"]
                else:
                    merged.append(dict(part))
        return self._reply(seen, merged, last=True)

    def stream_frames(self, answer: Answer, seen: Seen) -> list[bytes]:
        groups = self._parts(answer, seen)
        return [
            sse(self._reply(seen, group, last=i == len(groups) - 1), crlf=True)
            for i, group in enumerate(groups)
        ]
