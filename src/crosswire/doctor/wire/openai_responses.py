"""OpenAI Responses probes (``POST /v1/responses``), shaped as Codex CLI sends them
(``store: false``, output items sent back as input on the next turn)."""

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

FAILED_EVENTS = ("error", "response.failed", "response.incomplete")


class OpenAIResponsesWire:
    name = "openai_responses"
    stream_end = "response.completed"

    def path(self, model: str, stream: bool) -> str:
        return "/v1/responses"

    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {CLIENT_KEY}", "user-agent": USER_AGENT}

    def body(self, model: str, ask: Ask, history: Sequence[tuple[Reply, str]] = ()) -> Any:
        content: list[dict[str, Any]] = [{"type": "input_text", "text": ask.prompt}]
        if ask.image:
            image = f"data:image/png;base64,{IMAGE_PNG_BASE64}"
            content.insert(0, {"type": "input_image", "image_url": image})
        items: list[dict[str, Any]] = [{"type": "message", "role": "user", "content": content}]
        for reply, result in history:
            items += reply.assistant
            items += [
                {"type": "function_call_output", "call_id": call.id, "output": result}
                for call in reply.tool_calls
            ]
        body: dict[str, Any] = {
            "model": model,
            "input": items,
            "max_output_tokens": ask.max_tokens,
            "store": False,
        }
        if ask.tools:
            body["tools"] = [
                {
                    "type": "function",
                    "name": TOOL_NAME,
                    "description": TOOL_DESCRIPTION,
                    "parameters": TOOL_PARAMETERS,
                }
            ]
        if ask.thinking:
            body["reasoning"] = {"effort": "low", "summary": "auto"}
        if ask.stream:
            body["stream"] = True
        return body

    def parse(self, payload: Any) -> Reply:
        if not isinstance(payload, dict) or not isinstance(payload.get("output"), list):
            raise ProbeFailure(f"not a Responses object: {str(payload)[:200]}")
        reply = Reply(finished=True, assistant=payload["output"])
        for item in payload["output"]:
            _read_item(item, reply)
        return reply

    def parse_stream(self, events: Sequence[SSEvent]) -> Reply:
        reply = Reply()
        for event in events:
            data = json.loads(event.data)
            kind = data.get("type") or event.event
            if kind in FAILED_EVENTS:
                response = data.get("response") or data
                raise ProbeFailure(f"{kind} mid-stream: {error_message(response)}")
            if kind == "response.output_text.delta":
                reply.text += data.get("delta", "")
            elif kind == "response.reasoning_summary_text.delta":
                reply.thinking = True
            elif kind == "response.output_item.done":
                item = data.get("item", {})
                if item.get("type") != "message":  # text came as deltas already
                    _read_item(item, reply)
            elif kind == "response.completed":
                reply.finished = True
        return reply


def _read_item(item: dict[str, Any], reply: Reply) -> None:
    kind = item.get("type")
    if kind == "message":
        for part in item.get("content") or []:
            if part.get("type") == "output_text":
                reply.text += part.get("text", "")
    elif kind == "reasoning":
        reply.thinking = True
    elif kind == "function_call":
        call_id = item.get("call_id", "")
        reply.tool_calls.append(ToolCall(call_id, item.get("name", ""), item.get("arguments", "")))
