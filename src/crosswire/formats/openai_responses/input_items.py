"""Decode a Responses request's ``input`` items into canonical messages.

- ``system`` / ``developer`` messages are hoisted into ``Request.system``, in order;
- consecutive assistant-side items (reasoning, assistant messages, function and custom tool
  calls) merge into one assistant message, in order; consecutive user-side items (user
  messages, tool outputs) merge into one user message;
- a reasoning item's ``encrypted_content`` is opaque state: a sealed ``cw1.`` token is
  unsealed back to the thinking of the format that made it, anything else is this format's own
  state and is kept with the item id (:func:`~.fields.join_state`);
- ``item_reference`` needs stored responses, which a stateless gateway has not got: 400;
- item types with no canonical meaning (hosted-tool calls, ``compaction`` …) are kept as
  :class:`OpaquePart` for a Responses upstream.
"""

from __future__ import annotations

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
from crosswire.canonical.messages import ContentPart, Role
from crosswire.formats.opaque import PREFIX, unseal
from crosswire.formats.openai_responses.fields import (
    FORMAT,
    ClientState,
    decode_base64_text,
    flat_name,
    join_state,
    parse_data_url,
)
from crosswire.formats.openai_responses.tool_decoder import decode_tools
from crosswire.jsonutil import dumps_str

STATELESS = "crosswire is stateless: send the full input with store=false"
_TEXT_PARTS = frozenset({"input_text", "output_text", "text"})
_SYSTEM_ROLES = frozenset({"system", "developer"})
_INLINE = "send the content inline (file_data / a data URL)"

ResultContent = TextPart | ImagePart | DocumentPart


def decode_input(value: Any, request: Request, state: ClientState) -> None:
    if isinstance(value, str):
        request.messages.append(Message("user", [TextPart(value)]))
        return
    if not isinstance(value, list):
        raise InvalidRequestError("input: a string or an array of input items is required")
    for i, item in enumerate(value):
        if isinstance(item, dict) and item.get("type") == "additional_tools":
            # Codex's default model declares its tools in the input, not in ``tools``
            decode_tools(item.get("tools"), request, state, f"input.{i}.tools")
        else:
            _item(item, f"input.{i}", request)


def _item(item: Any, path: str, request: Request) -> None:
    if not isinstance(item, dict):
        raise InvalidRequestError(f"{path}: must be an object")
    kind = item.get("type", "message" if "role" in item else None)
    if kind == "message":
        _message(item, path, request)
    elif kind == "function_call":
        arguments = item.get("arguments", "")
        call = ToolCallPart(
            id=_str(item, "call_id", path),
            name=flat_name(_str(item, "name", path), item.get("namespace")),
            arguments=arguments if isinstance(arguments, str) else dumps_str(arguments),
        )
        _add(request, "assistant", call)
    elif kind == "custom_tool_call":
        call = ToolCallPart(
            id=_str(item, "call_id", path),
            name=flat_name(_str(item, "name", path), item.get("namespace")),
            arguments=dumps_str({"input": _str(item, "input", path, default="")}),
        )
        _add(request, "assistant", call)
    elif kind in ("function_call_output", "custom_tool_call_output"):
        result = ToolResultPart(
            tool_call_id=_str(item, "call_id", path),
            content=_output_content(item.get("output"), f"{path}.output"),
        )
        _add(request, "user", result)
    elif kind == "reasoning":
        thinking = _reasoning(item, path)
        if thinking.text or thinking.signature:  # an empty item carries nothing
            _add(request, "assistant", thinking)
    elif kind == "item_reference":
        raise InvalidRequestError(f"{path}: item_reference needs stored responses; {STATELESS}")
    elif isinstance(kind, str):
        # web_search_call, local_shell_call[_output], compaction, tool_search_* …
        role: Role = "user" if kind.endswith("_output") else "assistant"
        _add(request, role, OpaquePart(FORMAT, item))
    else:
        raise InvalidRequestError(f"{path}.type: an item type string is required")


def _add(request: Request, role: Role, part: ContentPart) -> None:
    """Append ``part``, merging it into the last message when that has the same role."""
    if request.messages and request.messages[-1].role == role:
        request.messages[-1].parts.append(part)
    else:
        request.messages.append(Message(role, [part]))


def _message(item: dict[str, Any], path: str, request: Request) -> None:
    role = item.get("role")
    content = item.get("content")
    cpath = f"{path}.content"
    if role in _SYSTEM_ROLES:
        request.system.extend(_system_parts(content, cpath))
        return
    if role not in ("user", "assistant"):
        raise InvalidRequestError(f"{path}.role: must be user, assistant, system or developer")
    if isinstance(content, str):
        if content:
            _add(request, role, TextPart(content))
        return
    if not isinstance(content, list):
        raise InvalidRequestError(f"{cpath}: must be a string or an array of content parts")
    for j, part in enumerate(content):
        refusal = _refusal(part, f"{cpath}.{j}") if role == "assistant" else None
        _add(request, role, refusal or _user_part(part, f"{cpath}.{j}"))


def _system_parts(content: Any, path: str) -> list[TextPart]:
    if isinstance(content, str):
        return [TextPart(content)] if content else []
    if not isinstance(content, list):
        raise InvalidRequestError(f"{path}: must be a string or an array of text parts")
    parts = []
    for i, part in enumerate(content):
        if not isinstance(part, dict) or part.get("type") not in _TEXT_PARTS:
            raise InvalidRequestError(f"{path}.{i}: system and developer messages hold only text")
        parts.append(TextPart(_str(part, "text", f"{path}.{i}")))
    return parts


def _refusal(part: Any, path: str) -> TextPart | None:
    """An assistant turn's refusal part, as text; ``None`` for any other part."""
    if isinstance(part, dict) and part.get("type") == "refusal":
        return TextPart(_str(part, "refusal", path))
    return None


def _user_part(part: Any, path: str) -> ResultContent:
    if not isinstance(part, dict):
        raise InvalidRequestError(f"{path}: must be an object")
    kind = part.get("type")
    if kind in _TEXT_PARTS:
        return TextPart(_str(part, "text", path))
    if kind == "input_image":
        return _image(part, path)
    if kind == "input_file":
        return _file(part, path)
    raise InvalidRequestError(f"{path}.type: content parts of type {kind!r} are not supported")


def _image(part: dict[str, Any], path: str) -> ImagePart:
    url = part.get("image_url")
    if not isinstance(url, str) or not url:
        if part.get("file_id") is not None:
            raise InvalidRequestError(
                f"{path}.file_id: uploaded files are not supported; {_INLINE}"
            )
        raise InvalidRequestError(f"{path}.image_url: a URL or a data URL is required")
    inline = parse_data_url(url)
    if inline is not None:
        return ImagePart(media_type=inline[0], data=inline[1])
    return ImagePart(url=url)


def _file(part: dict[str, Any], path: str) -> DocumentPart:
    filename = part.get("filename")
    title = filename if isinstance(filename, str) and filename else None
    data = part.get("file_data")
    if isinstance(data, str) and data:
        inline = parse_data_url(data)
        media_type, payload = inline if inline else ("application/pdf", data)
        if media_type.startswith("text/"):
            text = decode_base64_text(payload)
            if text is not None:
                return DocumentPart(media_type=media_type, text=text, title=title)
        return DocumentPart(media_type=media_type, data=payload, title=title)
    url = part.get("file_url")
    if isinstance(url, str) and url:
        return DocumentPart(media_type="application/pdf", url=url, title=title)
    if part.get("file_id") is not None:
        raise InvalidRequestError(f"{path}.file_id: uploaded files are not supported; {_INLINE}")
    raise InvalidRequestError(f"{path}: file_data or file_url is required")


def _output_content(output: Any, path: str) -> list[ResultContent]:
    if output is None:
        return []
    if isinstance(output, str):
        return [TextPart(output)] if output else []
    if not isinstance(output, list):
        raise InvalidRequestError(f"{path}: must be a string or an array of content parts")
    return [_user_part(part, f"{path}.{i}") for i, part in enumerate(output)]


def _reasoning(item: dict[str, Any], path: str) -> ThinkingPart:
    texts = _texts(item.get("summary"), f"{path}.summary")
    if not texts:  # raw reasoning (open-weight models) when there is no summary
        texts = _texts(item.get("content"), f"{path}.content")
    text = "\n\n".join(texts)
    encrypted = item.get("encrypted_content")
    if isinstance(encrypted, str) and encrypted.startswith(PREFIX):
        return unseal(text, encrypted, native=FORMAT)
    if isinstance(encrypted, str) and encrypted:
        return ThinkingPart(text, join_state(item.get("id"), encrypted), FORMAT)
    return ThinkingPart(text, None, FORMAT)


def _texts(parts: Any, path: str) -> list[str]:
    if parts is None:
        return []
    if not isinstance(parts, list):
        raise InvalidRequestError(f"{path}: must be an array")
    texts = []
    for i, part in enumerate(parts):
        if not isinstance(part, dict):
            raise InvalidRequestError(f"{path}.{i}: must be an object")
        texts.append(_str(part, "text", f"{path}.{i}"))
    return [t for t in texts if t]


def _str(obj: dict[str, Any], key: str, path: str, default: str | None = None) -> str:
    value = obj.get(key, default)
    if not isinstance(value, str):
        raise InvalidRequestError(f"{path}.{key}: a string is required")
    return value
