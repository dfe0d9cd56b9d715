"""Decode a client's Chat Completions body (``POST /v1/chat/completions``) into a :class:`Request`.

- ``system`` / ``developer`` messages anywhere are hoisted into ``Request.system``, in order;
- a run of ``tool`` messages and the user message right after it become ONE user turn, results
  first; assistant ``reasoning_content`` / ``reasoning`` → unsigned thinking before the text,
  or the sealed ``cw1.`` state in ``reasoning_details`` that :mod:`.client_encoder` handed out;
- images as http(s) or ``data:`` URLs; ``file`` parts with ``file_data`` → documents;
- refused with a 400 that says why: ``input_audio``, ``file_id``, ``custom`` tools, ``n > 1`` and
  legacy function calling (``functions``, ``function_call``, the ``function`` role: deprecated
  since 2023, no current client sends it).

Unknown fields go to ``Request.extra``; ``_include_usage`` there is a note for the client
encoder. Malformed input raises only :class:`InvalidRequestError`, naming the JSON path.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from crosswire.canonical import (
    ContentPart,
    DocumentPart,
    ImagePart,
    InvalidRequestError,
    Message,
    Request,
    TextPart,
    ThinkingConfig,
    ThinkingPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
)
from crosswire.formats.opaque import PREFIX, unseal
from crosswire.formats.openai_chat.fields import arguments_text
from crosswire.formats.readers import opt_int as _opt_int
from crosswire.formats.readers import opt_number as _opt_number

FORMAT = "openai_chat"
INCLUDE_USAGE = "_include_usage"
"""``Request.extra`` key: the client asked for the trailing usage chunk."""

_KNOWN_FIELDS = frozenset(
    {
        "model", "messages", "max_completion_tokens", "max_tokens", "temperature", "top_p",
        "stop", "n", "stream", "stream_options", "tools", "tool_choice", "parallel_tool_calls",
        "reasoning_effort", "thinking", "response_format", "user", "safety_identifier",
    }
)  # fmt: skip
_TOOL_CHOICE: dict[str, Any] = {"none": "none", "auto": "auto", "required": "any"}
_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
_LEGACY = frozenset({"functions", "function_call"})
_TEXT_EXTENSIONS = (".txt", ".md", ".csv", ".json", ".html", ".xml")

UserPart = TextPart | ImagePart | DocumentPart


def decode_request(body: Any) -> Request:
    if not isinstance(body, dict):
        raise InvalidRequestError("request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequestError("model: a non-empty string is required")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequestError("messages: a non-empty array of messages is required")
    legacy = sorted(_LEGACY & body.keys())
    if legacy:
        raise InvalidRequestError(
            f"{legacy[0]}: legacy function calling is not supported; use tools"
        )
    request = Request(model=model, client_format=FORMAT)
    conversation = _Conversation(request)
    for i, message in enumerate(messages):
        conversation.add(message, f"messages.{i}")
    _sampling(body, request)
    _tools(body, request)
    request.tool_choice = _tool_choice(body, request)
    request.thinking = _thinking(body)
    request.response_format = _response_format(body.get("response_format"))
    _stream(body, request)
    user = body.get("safety_identifier") or body.get("user")
    request.user_id = user if isinstance(user, str) else None
    for key, value in body.items():
        if key not in _KNOWN_FIELDS:
            request.extra[key] = value
    return request


class _Conversation:
    """Folds Chat messages into canonical turns (tool runs merge with the next user turn)."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self._tool_turn: Message | None = None
        self._call_names: dict[str, str] = {}

    def add(self, message: Any, path: str) -> None:
        if not isinstance(message, dict):
            raise InvalidRequestError(f"{path}: must be an object")
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer"):
            self.request.system.extend(_system_parts(content, f"{path}.content"))
        elif role == "tool":
            call_id = _str(message, "tool_call_id", path)
            result = _result_content(content, f"{path}.content")
            self._result(ToolResultPart(call_id, result, name=self._call_names.get(call_id)))
        elif role == "user":
            parts: list[ContentPart] = [*_user_content(content, f"{path}.content")]
            if self._tool_turn is not None:
                self._tool_turn.parts.extend(parts)
                self._tool_turn = None
            else:
                self.request.messages.append(Message("user", parts))
        elif role == "assistant":
            self._tool_turn = None
            self.request.messages.append(self._assistant(message, path))
        else:
            raise InvalidRequestError(
                f"{path}.role: must be system, developer, user, assistant or tool"
            )

    def _result(self, part: ToolResultPart) -> None:
        if self._tool_turn is None:
            self._tool_turn = Message("user", [])
            self.request.messages.append(self._tool_turn)
        self._tool_turn.parts.append(part)

    def _assistant(self, message: dict[str, Any], path: str) -> Message:
        parts: list[ContentPart] = [*_reasoning(message, path)]
        parts.extend(_assistant_content(message.get("content"), f"{path}.content"))
        refusal = message.get("refusal")
        if isinstance(refusal, str) and refusal:
            parts.append(TextPart(refusal))
        calls = message.get("tool_calls")
        if calls is not None and not isinstance(calls, list):
            raise InvalidRequestError(f"{path}.tool_calls: must be an array")
        for j, call in enumerate(calls or ()):
            parts.append(self._tool_call(call, f"{path}.tool_calls.{j}"))
        if message.get("function_call") is not None:
            raise InvalidRequestError(f"{path}.function_call: legacy; use tool_calls")
        return Message("assistant", parts or [TextPart("")])

    def _tool_call(self, call: Any, path: str) -> ToolCallPart:
        if not isinstance(call, dict):
            raise InvalidRequestError(f"{path}: must be an object")
        if call.get("type") not in (None, "function"):
            raise InvalidRequestError(
                f"{path}.type: only function tool calls are supported (got {call.get('type')!r})"
            )
        call_id = _str(call, "id", path)
        function = call.get("function")
        path = f"{path}.function"
        if not isinstance(function, dict):
            raise InvalidRequestError(f"{path}: a function object is required")
        name = _str(function, "name", path)
        arguments = function.get("arguments")
        if arguments is not None and not isinstance(arguments, str | dict):
            raise InvalidRequestError(f"{path}.arguments: must be a JSON string")
        self._call_names[call_id] = name
        return ToolCallPart(call_id, name, arguments_text(arguments))


# --------------------------------------------------------------------------- message content


def _system_parts(content: Any, path: str) -> list[TextPart]:
    if isinstance(content, str):
        return [TextPart(content)] if content else []
    if not isinstance(content, list):
        raise InvalidRequestError(f"{path}: must be a string or an array of text parts")
    parts = []
    for i, part in enumerate(content):
        if not isinstance(part, dict) or part.get("type", "text") != "text":
            raise InvalidRequestError(f"{path}.{i}: must be a text part")
        parts.append(TextPart(_str(part, "text", f"{path}.{i}")))
    return parts


def _user_content(content: Any, path: str) -> list[UserPart]:
    if isinstance(content, str):
        return [TextPart(content)]
    if not isinstance(content, list):
        raise InvalidRequestError(f"{path}: must be a string or an array of content parts")
    return [_user_part(part, f"{path}.{i}") for i, part in enumerate(content)]


def _result_content(content: Any, path: str) -> list[UserPart]:
    if content is None or content == "":
        return []
    return _user_content(content, path)


def _assistant_content(content: Any, path: str) -> list[ContentPart]:
    if content is None:
        return []
    if isinstance(content, str):
        return [TextPart(content)] if content else []
    if not isinstance(content, list):
        raise InvalidRequestError(f"{path}: must be a string, an array of parts or null")
    parts: list[ContentPart] = []
    for i, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in ("text", "refusal"):
            raise InvalidRequestError(f"{path}.{i}: must be a text or refusal part")
        text = _str(part, kind, f"{path}.{i}")
        if text:
            parts.append(TextPart(text))
    return parts


def _reasoning(message: dict[str, Any], path: str) -> list[ThinkingPart]:
    """Sealed ``reasoning_details`` win (they carry the origin's state); else plain text."""
    details = message.get("reasoning_details")
    if isinstance(details, list):
        tokens = [(d.get("text"), d.get("signature")) for d in details if isinstance(d, dict)]
        sealed = [
            unseal(text if isinstance(text, str) else "", token, native=FORMAT)
            for text, token in tokens
            if isinstance(token, str) and token.startswith(PREFIX)
        ]
        if sealed:  # a hand-made token may hold anything: keep only well-typed state
            return [p for p in sealed if _typed_state(p.signature) and _typed_state(p.origin)]
    for key in ("reasoning_content", "reasoning"):
        value = message.get(key)
        if value is not None and not isinstance(value, str):
            raise InvalidRequestError(f"{path}.{key}: must be a string")
        if value:
            return [ThinkingPart(value)]
    return []


def _typed_state(value: object) -> bool:
    return value is None or isinstance(value, str)


def _user_part(part: Any, path: str) -> UserPart:
    if not isinstance(part, dict):
        raise InvalidRequestError(f"{path}: must be an object")
    kind = part.get("type")
    if kind == "text":
        return TextPart(_str(part, "text", path))
    if kind == "image_url":
        image = part.get("image_url")
        url = image if isinstance(image, str) else _str(image or {}, "url", f"{path}.image_url")
        return _image(url, f"{path}.image_url.url")
    if kind == "file":
        return _file(part.get("file"), f"{path}.file")
    if kind == "input_audio":
        raise InvalidRequestError(
            f"{path}: audio input is not supported by crosswire; send a transcript as text"
        )
    raise InvalidRequestError(f"{path}.type: unsupported content part type {kind!r}")


def _image(url: str, path: str) -> ImagePart:
    if url.startswith("data:"):
        media_type, data = _data_url(url, path)
        return ImagePart(media_type=media_type or None, data=data)
    if url.startswith(("http://", "https://")):
        return ImagePart(url=url)
    raise InvalidRequestError(f"{path}: must be an http(s) URL or a base64 data: URL")


def _file(file: Any, path: str) -> UserPart:
    if not isinstance(file, dict):
        raise InvalidRequestError(f"{path}: a file object is required")
    filename = file.get("filename") if isinstance(file.get("filename"), str) else None
    data = file.get("file_data")
    if not isinstance(data, str) or not data:
        if "file_id" in file:
            raise InvalidRequestError(
                f"{path}.file_id: uploaded files live in OpenAI's file store, which crosswire "
                "cannot read; send the content inline as file_data"
            )
        raise InvalidRequestError(f"{path}.file_data: a base64 string or data: URL is required")
    if data.startswith("data:"):
        media_type, data = _data_url(data, f"{path}.file_data")
    else:
        is_text = (filename or "").lower().endswith(_TEXT_EXTENSIONS)
        media_type = "text/plain" if is_text else "application/pdf"
    if media_type.startswith("image/"):
        return ImagePart(media_type=media_type, data=data)
    if media_type.startswith("text/"):
        try:
            text = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise InvalidRequestError(f"{path}.file_data: not base64 of UTF-8 text") from None
        return DocumentPart(media_type="text/plain", text=text, title=filename)
    return DocumentPart(media_type=media_type or "application/pdf", data=data, title=filename)


def _data_url(url: str, path: str) -> tuple[str, str]:
    """(media type, base64 payload) of ``data:<mime>[;params];base64,<payload>``."""
    header, comma, payload = url.partition(",")
    params = header[len("data:") :].split(";")
    if not comma or "base64" not in params[1:] or not payload:
        raise InvalidRequestError(f"{path}: data: URLs must be base64 (data:<type>;base64,…)")
    return params[0].strip().lower(), payload


# --------------------------------------------------------------------------- request options


def _sampling(body: dict[str, Any], request: Request) -> None:
    request.max_tokens = _opt_int(body, "max_completion_tokens")
    if request.max_tokens is None:
        request.max_tokens = _opt_int(body, "max_tokens")
    request.temperature = _opt_number(body, "temperature")
    request.top_p = _opt_number(body, "top_p")
    stop = body.get("stop")
    if isinstance(stop, str):
        request.stop = [stop] if stop else []
    elif isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        request.stop = [s for s in stop if s]
    elif stop is not None:
        raise InvalidRequestError("stop: must be a string or an array of strings")
    n = _opt_int(body, "n")
    if n is not None and n != 1:
        raise InvalidRequestError(
            f"n: crosswire returns exactly one choice; n={n} is not supported (send n=1 or "
            "make several requests)"
        )


def _tools(body: dict[str, Any], request: Request) -> None:
    tools = body.get("tools")
    if tools is not None and not isinstance(tools, list):
        raise InvalidRequestError("tools: must be an array")
    for i, tool in enumerate(tools or ()):
        path = f"tools.{i}"
        if not isinstance(tool, dict):
            raise InvalidRequestError(f"{path}: must be an object")
        kind = tool.get("type") or "function"
        if kind == "custom":
            raise InvalidRequestError(
                f"{path}: custom (free-text) tools are not supported; declare a function tool"
            )
        if kind != "function":
            raise InvalidRequestError(f"{path}.type: unsupported tool type {kind!r}")
        request.tools.append(_function(tool.get("function"), f"{path}.function"))


def _function(function: Any, path: str) -> Tool:
    if not isinstance(function, dict):
        raise InvalidRequestError(f"{path}: a function object is required")
    name = _str(function, "name", path)
    if not name:
        raise InvalidRequestError(f"{path}.name: must not be empty")
    description, strict = function.get("description"), function.get("strict")
    tool = Tool(name, description if isinstance(description, str) else None)
    tool.strict = strict if isinstance(strict, bool) else None
    parameters = function.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        raise InvalidRequestError(f"{path}.parameters: must be a JSON Schema object")
    if parameters is not None:  # none: the function takes no arguments
        tool.input_schema = parameters
    return tool


def _tool_choice(body: dict[str, Any], request: Request) -> ToolChoice | None:
    raw, parallel = body.get("tool_choice"), body.get("parallel_tool_calls")
    choice = None if raw is None else _choice(raw, request)
    if parallel is not None and not isinstance(parallel, bool):
        raise InvalidRequestError("parallel_tool_calls: must be a boolean")
    if parallel is not None:
        choice = choice or ToolChoice("auto")
        choice.parallel = parallel
    return choice


def _choice(raw: Any, request: Request) -> ToolChoice:
    if isinstance(raw, str) and raw in _TOOL_CHOICE:
        return ToolChoice(_TOOL_CHOICE[raw])
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind == "function":
        return ToolChoice("tool", _named_function(raw, "tool_choice"))
    if kind == "allowed_tools":  # restrict the turn to a subset: filter the declarations
        allowed = raw.get("allowed_tools")
        mode, tools = (
            (allowed.get("mode"), allowed.get("tools"))
            if isinstance(allowed, dict)
            else (None, None)
        )
        if mode not in ("auto", "required") or not isinstance(tools, list):
            raise InvalidRequestError(
                "tool_choice.allowed_tools: needs mode auto|required and a tools array"
            )
        names = {
            _named_function(t, f"tool_choice.allowed_tools.tools.{i}") for i, t in enumerate(tools)
        }
        unknown = names - {t.name for t in request.tools}
        if unknown:
            raise InvalidRequestError(f"tool_choice.allowed_tools: unknown tools {sorted(unknown)}")
        request.tools = [t for t in request.tools if t.name in names]
        return ToolChoice("auto" if mode == "auto" else "any")
    if kind == "custom":
        raise InvalidRequestError("tool_choice: custom tools are not supported")
    raise InvalidRequestError(
        "tool_choice: must be none, auto, required, {type: function, function: {name}} "
        "or {type: allowed_tools, …}"
    )


def _named_function(obj: Any, path: str) -> str:
    """The name in ``{type: "function", function: {name}}``."""
    function = obj.get("function") if isinstance(obj, dict) else None
    return _str(function, "name", f"{path}.function")


def _thinking(body: dict[str, Any]) -> ThinkingConfig:
    effort = body.get("reasoning_effort")
    if effort is not None:
        if effort not in _EFFORTS:
            raise InvalidRequestError(f"reasoning_effort: must be one of {', '.join(_EFFORTS)}")
        return ThinkingConfig() if effort == "none" else ThinkingConfig("enabled", effort=effort)
    thinking = body.get("thinking")  # Kimi / GLM / Anthropic-compat extension
    if thinking is None:
        return ThinkingConfig()
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    if kind not in ("enabled", "disabled", "adaptive") or not isinstance(thinking, dict):
        raise InvalidRequestError("thinking.type: must be enabled, disabled or adaptive")
    if kind == "disabled":
        return ThinkingConfig()
    budget = thinking.get("budget_tokens")
    return ThinkingConfig(kind, budget_tokens=budget if isinstance(budget, int) else None)


def _response_format(fmt: Any) -> dict[str, Any] | None:
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if fmt is None or kind == "text":
        return None
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_schema":
        spec = fmt.get("json_schema")
        schema = spec.get("schema", {"type": "object"}) if isinstance(spec, dict) else None
        if not isinstance(schema, dict):
            raise InvalidRequestError("response_format.json_schema.schema: must be an object")
        return {"type": "json_schema", "schema": schema}
    raise InvalidRequestError("response_format.type: must be text, json_object or json_schema")


def _stream(body: dict[str, Any], request: Request) -> None:
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise InvalidRequestError("stream: must be a boolean")
    request.stream = stream is True
    options = body.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise InvalidRequestError("stream_options: must be an object")
    if options and options.get("include_usage") is True:
        request.extra[INCLUDE_USAGE] = True


# --------------------------------------------------------------------------- small readers


def _str(obj: Any, key: str, path: str) -> str:
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, str):
        raise InvalidRequestError(f"{path}.{key}: a string is required")
    return value
