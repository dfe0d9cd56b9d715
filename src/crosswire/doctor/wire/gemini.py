"""Gemini probes (``POST /v1beta/models/{model}:generateContent`` and
``:streamGenerateContent?alt=sse``), shaped as ``google-genai`` and Gemini CLI send them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

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


class GeminiWire:
    name = "gemini"
    stream_end = "a chunk with finishReason"

    def path(self, model: str, stream: bool) -> str:
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        return f"/v1beta/models/{quote(model, safe='')}:{method}"

    def headers(self) -> dict[str, str]:
        return {"x-goog-api-key": CLIENT_KEY, "user-agent": USER_AGENT}

    def body(self, model: str, ask: Ask, history: Sequence[tuple[Reply, str]] = ()) -> Any:
        parts: list[dict[str, Any]] = [{"text": ask.prompt}]
        if ask.image:
            parts.insert(0, {"inlineData": {"mimeType": "image/png", "data": IMAGE_PNG_BASE64}})
        contents: list[dict[str, Any]] = [{"role": "user", "parts": parts}]
        for reply, result in history:
            contents.append(reply.assistant)
            responses = []
            for call in reply.tool_calls:
                response: dict[str, Any] = {"name": call.name, "response": {"result": result}}
                if call.id:
                    response["id"] = call.id
                responses.append({"functionResponse": response})
            contents.append({"role": "user", "parts": responses})
        config: dict[str, Any] = {"maxOutputTokens": ask.max_tokens}
        if ask.thinking:
            config["thinkingConfig"] = {"includeThoughts": True, "thinkingBudget": THINKING_BUDGET}
        body: dict[str, Any] = {"contents": contents, "generationConfig": config}
        if ask.tools:
            declaration = {
                "name": TOOL_NAME,
                "description": TOOL_DESCRIPTION,
                "parameters": TOOL_PARAMETERS,
            }
            body["tools"] = [{"functionDeclarations": [declaration]}]
        return body

    def parse(self, payload: Any) -> Reply:
        try:
            content = payload["candidates"][0]["content"]
        except (KeyError, IndexError, TypeError):
            raise ProbeFailure(f"not a Gemini response: {str(payload)[:200]}") from None
        reply = Reply(finished=True, assistant={"role": "model", **content})
        _read_parts(content.get("parts") or [], reply)
        return reply

    def parse_stream(self, events: Sequence[SSEvent]) -> Reply:
        reply = Reply()
        for event in events:
            data = json.loads(event.data)
            if isinstance(data, dict) and "error" in data:
                raise ProbeFailure(f"error chunk mid-stream: {error_message(data)}")
            for candidate in data.get("candidates") or []:
                _read_parts((candidate.get("content") or {}).get("parts") or [], reply)
                if candidate.get("finishReason"):
                    reply.finished = True
        return reply


def _read_parts(parts: list[dict[str, Any]], reply: Reply) -> None:
    for part in parts:
        if part.get("thought"):
            reply.thinking = True
        elif "text" in part:
            reply.text += part["text"]
        elif "functionCall" in part:
            call = part["functionCall"]
            arguments = json.dumps(call.get("args", {}))
            reply.tool_calls.append(ToolCall(call.get("id", ""), call.get("name", ""), arguments))
