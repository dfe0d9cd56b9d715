"""OpenAI Chat Completions probes (``POST /v1/chat/completions``), shaped as the ``openai``
SDK, Cline, Aider and OpenCode send them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from crosswire.doctor.wire.base import (
    CLIENT_KEY,
    IMAGE_PNG_BASE64,
    TOOL_DESCRIPTION,
    TOOL_NAME,
    TOOL_PARAMETERS,
    USER_AGENT,
    Ask,
    ProbeFailure,
    Reply,
    ToolCall,
    error_message,
)
from crosswire.formats.sse import SSEvent

DONE = b"[DONE]"
REASONING_FIELDS = ("reasoning_content", "reasoning")


class OpenAIChatWire:
    name = "openai_chat"
    stream_end = "data: [DONE]"

    def path(self, model: str, stream: bool) -> str:
        return "/v1/chat/completions"

    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {CLIENT_KEY}", "user-agent": USER_AGENT}

    def body(self, model: str, ask: Ask, history: Sequence[tuple[Reply, str]] = ()) -> Any:
        content: Any = ask.prompt
        if ask.image:
            image = {"url": f"data:image/png;base64,{IMAGE_PNG_BASE64}"}
            content = [
                {"type": "image_url", "image_url": image},
                {"type": "text", "text": ask.prompt},
            ]
        messages: list[dict[str, Any]] = [{"role": "user", "content": content}]
        for reply, result in history:
            messages.append(reply.assistant)
            messages += [
                {"role": "tool", "tool_call_id": call.id, "content": result}
                for call in reply.tool_calls
            ]
        body: dict[str, Any] = {"model": model, "max_tokens": ask.max_tokens, "messages": messages}
        if ask.tools:
            function = {
                "name": TOOL_NAME,
                "description": TOOL_DESCRIPTION,
                "parameters": TOOL_PARAMETERS,
            }
            body["tools"] = [{"type": "function", "function": function}]
        if ask.thinking:
            body["reasoning_effort"] = "low"
        if ask.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    def parse(self, payload: Any) -> Reply:
        try:
            message = payload["choices"][0]["message"]
        except (KeyError, IndexError, TypeError):
            raise ProbeFailure(f"not a chat completion: {str(payload)[:200]}") from None
        reply = Reply(finished=True, assistant=message, text=message.get("content") or "")
        reply.thinking = any(message.get(f) for f in REASONING_FIELDS)
        for call in message.get("tool_calls") or []:
            function = call.get("function", {})
            reply.tool_calls.append(
                ToolCall(
                    call.get("id", ""), function.get("name", ""), function.get("arguments", "")
                )
            )
        return reply

    def parse_stream(self, events: Sequence[SSEvent]) -> Reply:
        reply = Reply()
        calls: dict[int, ToolCall] = {}
        for event in events:
            if event.data.strip() == DONE:
                reply.finished = True
                continue
            data = json.loads(event.data)
            if "error" in data:
                raise ProbeFailure(f"error chunk mid-stream: {error_message(data)}")
            for choice in data.get("choices") or []:
                delta = choice.get("delta") or {}
                reply.text += delta.get("content") or ""
                reply.thinking = reply.thinking or any(delta.get(f) for f in REASONING_FIELDS)
                for fragment in delta.get("tool_calls") or []:
                    call = calls.setdefault(fragment.get("index", 0), ToolCall("", "", ""))
                    function = fragment.get("function") or {}
                    call.id = call.id or fragment.get("id") or ""
                    call.name = call.name or function.get("name") or ""
                    call.arguments += function.get("arguments") or ""
        reply.tool_calls = [calls[i] for i in sorted(calls)]
        return reply
