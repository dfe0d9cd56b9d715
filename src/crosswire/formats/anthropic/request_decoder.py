"""Decode an Anthropic Messages request body into a canonical :class:`Request`.

Accepts everything Claude Code 2.x sends: ``role: "system"`` messages inside ``messages``,
``mid_conv_system`` blocks, ``cache_control``, ``defer_loading`` tools, ``tool_reference``
blocks in tool results, adaptive thinking with ``output_config.effort``, server tools, images
and documents. Fields with no canonical meaning (``context_management``, ``container`` …) are
kept in ``Request.extra`` for an Anthropic upstream. Malformed input raises
:class:`InvalidRequestError` with the JSON path of the problem.
"""

from __future__ import annotations

import re
from typing import Any

from crosswire.canonical import (
    DocumentPart,
    ImagePart,
    InvalidRequestError,
    Message,
    OpaquePart,
    RedactedThinkingPart,
    Request,
    ServerTool,
    TextPart,
    ThinkingConfig,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
)
from crosswire.canonical.messages import ContentPart
from crosswire.formats.anthropic.ids import from_client_id
from crosswire.formats.anthropic.signatures import ANTHROPIC, thinking_from_client
from crosswire.formats.readers import opt_int as _opt_int
from crosswire.formats.readers import opt_number as _opt_number
from crosswire.jsonutil import dumps_str

_KNOWN_FIELDS = frozenset(
    {
        "model", "messages", "system", "max_tokens", "temperature", "top_p", "top_k",
        "stop_sequences", "stream", "tools", "tool_choice", "thinking", "output_config",
        "metadata",
    }
)  # fmt: skip
_BILLING_HEADER_PREFIX = "x-anthropic-billing-header:"
_DATED_TYPE = re.compile(r"_\d{8}$")
_TOOL_CHOICE_MODES = frozenset({"auto", "any", "tool", "none"})

ResultContent = TextPart | ImagePart | DocumentPart


def decode_request(body: Any) -> Request:
    if not isinstance(body, dict):
        raise InvalidRequestError("request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequestError("model: a non-empty string is required")
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise InvalidRequestError("messages: an array of messages is required")

    request = Request(model=model, client_format=ANTHROPIC)
    request.system = _system(body.get("system"), request)
    for i, message in enumerate(messages):
        _message(message, f"messages.{i}", request)
    request.max_tokens = _opt_int(body, "max_tokens")
    request.temperature = _opt_number(body, "temperature")
    request.top_p = _opt_number(body, "top_p")
    request.top_k = _opt_int(body, "top_k")
    request.stream = body.get("stream") is True
    stop = body.get("stop_sequences")
    if stop is not None:
        if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
            raise InvalidRequestError("stop_sequences: must be an array of strings")
        request.stop = stop
    _tools(body.get("tools"), request)
    request.tool_choice = _tool_choice(body.get("tool_choice"))
    request.thinking = _thinking(body.get("thinking"), body.get("output_config"))
    output_config = body.get("output_config")
    if isinstance(output_config, dict) and isinstance(output_config.get("format"), dict):
        request.response_format = output_config["format"]
    metadata = body.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("user_id"), str):
        request.user_id = metadata["user_id"]
    for key, value in body.items():
        if key not in _KNOWN_FIELDS:
            request.extra[key] = value
    return request


def _system(system: Any, request: Request) -> list[TextPart]:
    if system is None:
        return []
    if isinstance(system, str):
        return [TextPart(system)] if system else []
    if not isinstance(system, list):
        raise InvalidRequestError("system: must be a string or an array of text blocks")
    parts: list[TextPart] = []
    for i, block in enumerate(system):
        if not isinstance(block, dict) or not isinstance(block.get("text"), str):
            raise InvalidRequestError(f"system.{i}: must be a text block")
        text = block["text"]
        if i == 0 and text.startswith(_BILLING_HEADER_PREFIX):
            # Claude Code's per-session billing line: meaningless to other models and it would
            # bust their prefix caches. Kept aside for an Anthropic upstream.
            request.extra["_billing_header_block"] = block
            continue
        parts.append(TextPart(text, block.get("cache_control")))
    return parts


def _message(message: Any, path: str, request: Request) -> None:
    if not isinstance(message, dict):
        raise InvalidRequestError(f"{path}: must be an object")
    role = message.get("role")
    content = message.get("content")
    if role == "system":  # Claude Code puts system reminders inside messages
        request.system.extend(_text_blocks(content, f"{path}.content"))
        return
    if role not in ("user", "assistant"):
        raise InvalidRequestError(f"{path}.role: must be 'user' or 'assistant'")
    if isinstance(content, str):
        request.messages.append(Message(role, [TextPart(content)]))
        return
    if not isinstance(content, list):
        raise InvalidRequestError(f"{path}.content: must be a string or an array of blocks")
    parts: list[ContentPart] = []
    for j, block in enumerate(content):
        part = _block(block, f"{path}.content.{j}", request)
        if part is not None:
            parts.append(part)
    request.messages.append(Message(role, parts))


def _text_blocks(content: Any, path: str) -> list[TextPart]:
    if isinstance(content, str):
        return [TextPart(content)]
    if not isinstance(content, list):
        raise InvalidRequestError(f"{path}: must be a string or an array of text blocks")
    out = []
    for i, block in enumerate(content):
        if not isinstance(block, dict) or not isinstance(block.get("text"), str):
            raise InvalidRequestError(f"{path}.{i}: must be a text block")
        out.append(TextPart(block["text"], block.get("cache_control")))
    return out


def _block(block: Any, path: str, request: Request) -> ContentPart | None:
    if not isinstance(block, dict):
        raise InvalidRequestError(f"{path}: must be an object")
    kind = block.get("type")
    if kind == "text":
        return TextPart(_str(block, "text", path), block.get("cache_control"))
    if kind == "image":
        return _image(block, path)
    if kind == "document":
        return _document(block, path)
    if kind == "tool_use":
        tool_input = block.get("input", {})
        if not isinstance(tool_input, dict):
            raise InvalidRequestError(f"{path}.input: must be an object")
        return ToolCallPart(
            id=from_client_id(_str(block, "id", path)),
            name=_str(block, "name", path),
            arguments=dumps_str(tool_input),
        )
    if kind == "tool_result":
        return _tool_result(block, path)
    if kind == "thinking":
        return thinking_from_client(
            _str(block, "thinking", path, default=""), _str(block, "signature", path, default="")
        )
    if kind == "redacted_thinking":
        return RedactedThinkingPart(_str(block, "data", path), origin=ANTHROPIC)
    if kind == "mid_conv_system":
        request.system.extend(_text_blocks(block.get("content"), f"{path}.content"))
        return None
    if not isinstance(kind, str):
        raise InvalidRequestError(f"{path}.type: a block type string is required")
    # server_tool_use, web_search_tool_result, search_result, container_upload, and types
    # newer than this gateway: meaningful only to an Anthropic upstream.
    return OpaquePart(ANTHROPIC, block)


def _image(block: dict[str, Any], path: str) -> ImagePart:
    source = block.get("source")
    if not isinstance(source, dict):
        raise InvalidRequestError(f"{path}.source: an image source object is required")
    kind = source.get("type")
    if kind == "base64":
        return ImagePart(
            media_type=_str(source, "media_type", f"{path}.source"),
            data=_str(source, "data", f"{path}.source"),
            cache_control=block.get("cache_control"),
        )
    if kind == "url":
        return ImagePart(url=_str(source, "url", f"{path}.source"))
    raise InvalidRequestError(
        f"{path}.source.type: image sources of type {kind!r} are not supported "
        "(use 'base64' or 'url')"
    )


def _document(block: dict[str, Any], path: str) -> DocumentPart:
    source = block.get("source")
    if not isinstance(source, dict):
        raise InvalidRequestError(f"{path}.source: a document source object is required")
    kind = source.get("type")
    title = block.get("title") if isinstance(block.get("title"), str) else None
    cache = block.get("cache_control")
    spath = f"{path}.source"
    if kind == "base64":
        return DocumentPart(
            media_type=_str(source, "media_type", spath), data=_str(source, "data", spath),
            title=title, cache_control=cache,
        )  # fmt: skip
    if kind == "text":
        return DocumentPart(
            media_type="text/plain", text=_str(source, "data", spath), title=title,
            cache_control=cache,
        )  # fmt: skip
    if kind == "url":
        return DocumentPart(
            media_type="application/pdf", url=_str(source, "url", spath), title=title
        )
    if kind == "content":
        texts = _text_blocks(source.get("content"), f"{spath}.content")
        joined = "\n".join(t.text for t in texts)
        return DocumentPart(media_type="text/plain", text=joined, title=title, cache_control=cache)
    raise InvalidRequestError(f"{spath}.type: document sources of type {kind!r} are not supported")


def _tool_result(block: dict[str, Any], path: str) -> ToolResultPart:
    content = block.get("content")
    parts: list[ResultContent] = []
    if isinstance(content, str):
        parts.append(TextPart(content))
    elif isinstance(content, list):
        for i, item in enumerate(content):
            ipath = f"{path}.content.{i}"
            if not isinstance(item, dict):
                raise InvalidRequestError(f"{ipath}: must be an object")
            kind = item.get("type")
            if kind == "text":
                parts.append(TextPart(_str(item, "text", ipath)))
            elif kind == "image":
                parts.append(_image(item, ipath))
            elif kind == "document":
                parts.append(_document(item, ipath))
            elif kind == "tool_reference":  # ToolSearch loaded a deferred tool
                name = item.get("tool_name", "")
                parts.append(TextPart(f"Tool {name} is now available."))
            elif kind == "search_result":
                texts = _text_blocks(item.get("content", []), f"{ipath}.content")
                title = item.get("title", "")
                body = "\n".join(t.text for t in texts)
                parts.append(TextPart(f"{title}\n{body}" if title else body))
            else:
                raise InvalidRequestError(f"{ipath}.type: unsupported tool_result block {kind!r}")
    elif content is not None:
        raise InvalidRequestError(f"{path}.content: must be a string or an array of blocks")
    return ToolResultPart(
        tool_call_id=from_client_id(_str(block, "tool_use_id", path)),
        content=parts,
        is_error=block.get("is_error") is True,
        cache_control=block.get("cache_control"),
    )


def _tools(tools: Any, request: Request) -> None:
    if tools is None:
        return
    if not isinstance(tools, list):
        raise InvalidRequestError("tools: must be an array")
    for i, tool in enumerate(tools):
        path = f"tools.{i}"
        if not isinstance(tool, dict):
            raise InvalidRequestError(f"{path}: must be an object")
        kind = tool.get("type")
        if kind in (None, "custom"):
            schema = tool.get("input_schema", {"type": "object"})
            if not isinstance(schema, dict):
                raise InvalidRequestError(f"{path}.input_schema: must be a JSON Schema object")
            description = tool.get("description")
            request.tools.append(
                Tool(
                    name=_str(tool, "name", path),
                    description=description if isinstance(description, str) else None,
                    input_schema=schema,
                    strict=tool.get("strict") if isinstance(tool.get("strict"), bool) else None,
                    defer_loading=tool.get("defer_loading") is True,
                    cache_control=tool.get("cache_control"),
                )
            )
        elif isinstance(kind, str):
            name = tool.get("name")
            request.server_tools.append(
                ServerTool(
                    type=kind,
                    name=name if isinstance(name, str) else kind,
                    kind=_DATED_TYPE.sub("", kind),
                    config={k: v for k, v in tool.items() if k not in ("type", "name")},
                    origin=ANTHROPIC,
                )
            )
        else:
            raise InvalidRequestError(f"{path}.type: must be a string")


def _tool_choice(choice: Any) -> ToolChoice | None:
    if choice is None:
        return None
    mode = choice.get("type") if isinstance(choice, dict) else None
    if not isinstance(mode, str) or mode not in _TOOL_CHOICE_MODES:
        raise InvalidRequestError("tool_choice.type: must be one of auto, any, tool, none")
    name = choice.get("name")
    if choice["type"] == "tool" and not isinstance(name, str):
        raise InvalidRequestError("tool_choice.name: required when type is 'tool'")
    disable = choice.get("disable_parallel_tool_use")
    return ToolChoice(
        mode=choice["type"],
        name=name if isinstance(name, str) else None,
        parallel=None if disable is None else not bool(disable),
    )


def _thinking(thinking: Any, output_config: Any) -> ThinkingConfig:
    config = ThinkingConfig()
    if isinstance(thinking, dict):
        kind = thinking.get("type")
        if kind == "enabled":
            config.mode = "enabled"
            budget = thinking.get("budget_tokens")
            config.budget_tokens = budget if isinstance(budget, int) else None
        elif kind == "adaptive":
            config.mode = "adaptive"
        elif kind not in ("disabled", None):
            raise InvalidRequestError("thinking.type: must be enabled, adaptive or disabled")
        display = thinking.get("display")
        if display in ("summarized", "omitted"):
            config.display = display
    elif thinking is not None:
        raise InvalidRequestError("thinking: must be an object")
    if isinstance(output_config, dict) and isinstance(output_config.get("effort"), str):
        config.effort = output_config["effort"]
    return config


def _str(obj: dict[str, Any], key: str, path: str, default: str | None = None) -> str:
    value = obj.get(key, default)
    if not isinstance(value, str):
        raise InvalidRequestError(f"{path}.{key}: a string is required")
    return value
