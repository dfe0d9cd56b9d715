"""Anthropic Messages probes (``POST /v1/messages``), shaped as the ``anthropic`` SDK and
Claude Code send them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from crosswire.doctor.wire.base import (
    CLIENT_KEY,
    IMAGE_PNG_BASE64,
    THINKING_BUDGET,
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


class AnthropicWire:
    name = "anthropic"
    stream_end = "message_stop"

    def path(self, model: str, stream: bool) -> str:
        return "/v1/messages"

    def headers(self) -> dict[str, str]:
        return {
            "x-api-key": CLIENT_KEY,
            "anthropic-version": "2023-06-01",
            "user-agent": USER_AGENT,
        }

    def body(self, model: str, ask: Ask, history: Sequence[tuple[Reply, str]] = ()) -> Any:
        content: list[dict[str, Any]] = []
        if ask.image:
            source = {"type": "base64", "media_type": "image/png", "data": IMAGE_PNG_BASE64}
            content.append({"type": "image", "source": source})
        content.append({"type": "text", "text": ask.prompt})
        messages: list[dict[str, Any]] = [{"role": "user", "content": content}]
        for reply, result in history:
            messages.append(reply.assistant)
            results = [
                {"type": "tool_result", "tool_use_id": call.id, "content": result}
                for call in reply.tool_calls
            ]
            messages.append({"role": "user", "content": results})
        body: dict[str, Any] = {"model": model, "max_tokens": ask.max_tokens, "messages": messages}
        if ask.tools:
            body["tools"] = [
                {
                    "name": TOOL_NAME,
                    "description": TOOL_DESCRIPTION,
                    "input_schema": TOOL_PARAMETERS,
                }
            ]
        if ask.thinking:
            body["thinking"] = {"type": "enabled", "budget_tokens": THINKING_BUDGET}
        if ask.stream:
            body["stream"] = True
        return body

    def parse(self, payload: Any) -> Reply:
        if not isinstance(payload, dict) or not isinstance(payload.get("content"), list):
            raise ProbeFailure(f"not an Anthropic message: {str(payload)[:200]}")
        reply = Reply(finished=True, assistant={"role": "assistant", "content": payload["content"]})
        for block in payload["content"]:
            kind = block.get("type")
            if kind == "text":
                reply.text += block.get("text", "")
            elif kind in ("thinking", "redacted_thinking"):
                reply.thinking = True
            elif kind == "tool_use":
                arguments = json.dumps(block.get("input", {}))
                reply.tool_calls.append(
                    ToolCall(block.get("id", ""), block.get("name", ""), arguments)
                )
        return reply

    def parse_stream(self, events: Sequence[SSEvent]) -> Reply:
        reply = Reply()
        for event in events:
            data = json.loads(event.data)
            kind = data.get("type")
            if kind == "error":
                raise ProbeFailure(f"error event mid-stream: {error_message(data)}")
            if kind == "message_stop":
                reply.finished = True
            elif kind == "content_block_start":
                block = data.get("content_block", {})
                if block.get("type") == "tool_use":
                    reply.tool_calls.append(
                        ToolCall(block.get("id", ""), block.get("name", ""), "")
                    )
                elif block.get("type") in ("thinking", "redacted_thinking"):
                    reply.thinking = True
            elif kind == "content_block_delta":
                delta = data.get("delta", {})
                if delta.get("type") == "text_delta":
                    reply.text += delta.get("text", "")
                elif delta.get("type") == "thinking_delta":
                    reply.thinking = True
                elif delta.get("type") == "input_json_delta" and reply.tool_calls:
                    reply.tool_calls[-1].arguments += delta.get("partial_json", "")
        return reply
