"""Encode a canonical request as an OpenAI Chat Completions body.

- system blocks are hoisted into one leading ``system`` message;
- a user turn's tool results become ``tool`` messages, in order, before the turn's own text;
  images inside tool results follow as a user message (``tool`` messages carry only text);
- assistant reasoning that came from an OpenAI-format upstream goes back in ``reasoning_key``
  (Kimi and DeepSeek reject tool loops without it); Anthropic-signed thinking is dropped;
- ``tool_choice`` any → ``required``; ``parallel_tool_calls`` is the inverse of Anthropic's
  ``disable_parallel_tool_use``; streams ask for ``include_usage``.
Tool arguments are passed through as the exact JSON text recorded, so prefix caches keep hitting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from crosswire.canonical import (
    DocumentPart,
    ImagePart,
    InvalidRequestError,
    Message,
    Request,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolResultPart,
)

log = logging.getLogger(__name__)

FORMAT = "openai_chat"
_TOOL_CHOICE = {"auto": "auto", "any": "required", "none": "none"}
_ERROR_PREFIX = "Error: "


@dataclass(frozen=True, slots=True)
class EncodeOptions:
    max_tokens_field: str = "max_tokens"
    """``max_tokens`` for most servers; ``max_completion_tokens`` for OpenAI's own models."""
    reasoning_key: str = "reasoning_content"
    """Where assistant reasoning goes back upstream."""
    omit_empty_assistant_content: bool = False
    """Leave ``content`` out (rather than null) on a tool-call message with no text (Kimi)."""
    reasoning_on_tool_calls: bool = False
    """Give every assistant tool-call message a reasoning field, empty if unknown (Kimi)."""


def encode_request(request: Request, model: str, options: EncodeOptions) -> dict[str, Any]:
    if request.server_tools:
        names = ", ".join(t.type for t in request.server_tools)
        raise InvalidRequestError(
            f"server tools ({names}) run on the provider's side and this OpenAI-format "
            "upstream has no equivalent; remove them or route this model to a provider that has"
        )
    messages: list[dict[str, Any]] = []
    system = request.system_text()
    if system:
        messages.append({"role": "system", "content": system})
    for message in request.messages:
        if message.role == "assistant":
            messages.append(_assistant(message, options))
        else:
            messages.extend(_user(message))

    body: dict[str, Any] = {"model": model, "messages": messages}
    if request.max_tokens is not None:
        body[options.max_tokens_field] = request.max_tokens
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.stop:
        body["stop"] = request.stop[:4]
    if request.tools:
        body["tools"] = [_tool(t) for t in request.tools]
        choice = request.tool_choice
        if choice is not None:
            if choice.mode == "tool":
                body["tool_choice"] = {"type": "function", "function": {"name": choice.name}}
            else:
                body["tool_choice"] = _TOOL_CHOICE[choice.mode]
            if choice.parallel is not None:
                body["parallel_tool_calls"] = choice.parallel
    if request.response_format is not None:
        body["response_format"] = _response_format(request.response_format)
    if request.stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def _tool(tool: Any) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.name}
    if tool.description:
        function["description"] = tool.description
    function["parameters"] = tool.input_schema
    if tool.strict is not None:
        function["strict"] = tool.strict
    return {"type": "function", "function": function}


def _response_format(fmt: dict[str, Any]) -> dict[str, Any]:
    if fmt.get("type") == "json_schema":
        schema = fmt.get("schema", {})
        return {"type": "json_schema", "json_schema": {"name": "output", "schema": schema}}
    return fmt


def _assistant(message: Message, options: EncodeOptions) -> dict[str, Any]:
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, ToolCallPart):
            calls.append(
                {
                    "id": part.id,
                    "type": "function",
                    "function": {"name": part.name, "arguments": part.arguments or "{}"},
                }
            )
        elif isinstance(part, ThinkingPart) and (part.origin == FORMAT or not part.signature):
            reasoning.append(part.text)  # ours, or plain unsigned reasoning text
    out: dict[str, Any] = {"role": "assistant"}
    text = "".join(texts)
    if text or not calls:
        out["content"] = text
    elif not options.omit_empty_assistant_content:
        out["content"] = None
    if reasoning or (calls and options.reasoning_on_tool_calls):
        out[options.reasoning_key] = "".join(reasoning)
    if calls:
        out["tool_calls"] = calls
    return out


def _user(message: Message) -> list[dict[str, Any]]:
    """Tool results first (as ``tool`` messages, in order), then the turn's own content."""
    tool_messages: list[dict[str, Any]] = []
    result_media: list[dict[str, Any]] = []
    content: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, ToolResultPart):
            text, media = _tool_result(part)
            tool_messages.append(
                {"role": "tool", "tool_call_id": part.tool_call_id, "content": text}
            )
            if media:
                label = f"Images returned by tool call {part.tool_call_id}:"
                result_media.append({"type": "text", "text": label})
                result_media.extend(media)
        elif isinstance(part, TextPart):
            content.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            content.append({"type": "image_url", "image_url": {"url": part.as_data_url()}})
        elif isinstance(part, DocumentPart):
            content.append(_document(part))
        else:
            log.debug(
                "dropping %s in a user turn for an OpenAI-format upstream", type(part).__name__
            )
    out = tool_messages
    media_then_content = result_media + content
    if media_then_content:
        out.append({"role": "user", "content": _compact(media_then_content)})
    elif not tool_messages:
        out.append({"role": "user", "content": ""})
    return out


def _compact(parts: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """A plain string when the content is only text: the form every server accepts."""
    if all(p["type"] == "text" for p in parts):
        return "\n\n".join(p["text"] for p in parts) if len(parts) > 1 else parts[0]["text"]
    return parts


def _tool_result(part: ToolResultPart) -> tuple[str, list[dict[str, Any]]]:
    texts: list[str] = []
    media: list[dict[str, Any]] = []
    for item in part.content:
        if isinstance(item, TextPart):
            texts.append(item.text)
        elif isinstance(item, ImagePart):
            media.append({"type": "image_url", "image_url": {"url": item.as_data_url()}})
        else:
            media.append(_document(item))
    text = "\n".join(texts)
    if part.is_error:
        text = _ERROR_PREFIX + text
    return text, media


def _document(part: DocumentPart) -> dict[str, Any]:
    if part.text is not None:
        title = f"{part.title}\n" if part.title else ""
        return {"type": "text", "text": title + part.text}
    if part.url is not None:
        return {"type": "text", "text": f"Document: {part.url}"}
    data_url = f"data:{part.media_type or 'application/pdf'};base64,{part.data or ''}"
    return {
        "type": "file",
        "file": {"file_data": data_url, "filename": part.title or "document.pdf"},
    }
