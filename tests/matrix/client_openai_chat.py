"""Drive the gateway with the official OpenAI SDK's Chat Completions (``stream=True``
accumulated by hand, as clients do). Reasoning comes as ``reasoning_content`` (an extra field
the SDK keeps) and goes back on the assistant message, DeepSeek style."""

from __future__ import annotations

import json
from typing import Any

import openai

from tests.support.upstreams.scenarios import CLIENT_KEY, PNG_B64, PNG_MIME

from .common import TOOL_DESCRIPTION, TOOL_NAME, TOOL_SCHEMA, Conversation, ToolCall, TurnResult

TOOLS = [
    {
        "type": "function",
        "function": {"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "parameters": TOOL_SCHEMA},
    }
]


def _extra(obj: Any, name: str) -> Any:
    value = getattr(obj, name, None)
    if value is None and getattr(obj, "model_extra", None):
        value = obj.model_extra.get(name)
    return value


class ChatDriver:
    format = "openai_chat"

    def __init__(self, base_url: str) -> None:
        self.client = openai.OpenAI(
            base_url=base_url + "/v1", api_key=CLIENT_KEY, max_retries=0, timeout=20
        )

    def new(self, model: str, prompt: str, image: bool) -> Conversation:
        content: Any = prompt
        if image:
            content = [
                {"type": "text", "text": prompt},
                {"type": "image_url", "image_url": {"url": f"data:{PNG_MIME};base64,{PNG_B64}"}},
            ]
        return Conversation(model, [{"role": "user", "content": content}])

    def run_turn(
        self, conv: Conversation, *, tools: bool, thinking: bool, stream: bool
    ) -> TurnResult:
        kwargs: dict[str, Any] = {"model": conv.model, "messages": conv.history}
        if tools:
            kwargs["tools"] = TOOLS
        if thinking:
            kwargs["reasoning_effort"] = "medium"
        events: list[str] = []
        if stream:
            text, reasoning, finish = "", "", None
            usage: tuple[int | None, int | None] = (None, None)
            calls: dict[int, dict[str, Any]] = {}
            response = self.client.chat.completions.create(
                stream=True, stream_options={"include_usage": True}, **kwargs
            )
            for part in response:
                if part.usage is not None:
                    usage = (part.usage.prompt_tokens, part.usage.completion_tokens)
                if not part.choices:
                    events.append("usage")
                    continue
                choice = part.choices[0]
                delta = choice.delta
                if delta.content:
                    events.append("content")
                    text += delta.content
                piece = _extra(delta, "reasoning_content")
                if piece:
                    events.append("reasoning_content")
                    reasoning += piece
                for tc in delta.tool_calls or []:
                    events.append("tool_calls")
                    slot = calls.setdefault(tc.index, {"id": None, "name": "", "arguments": ""})
                    if tc.id:
                        slot["id"] = tc.id
                    if tc.function and tc.function.name:
                        slot["name"] += tc.function.name
                    if tc.function and tc.function.arguments:
                        slot["arguments"] += tc.function.arguments
                if choice.finish_reason:
                    finish = choice.finish_reason
            raw_calls = [calls[i] for i in sorted(calls)]
            raw: Any = None
        else:
            completion = self.client.chat.completions.create(**kwargs)
            message = completion.choices[0].message
            text = message.content or ""
            reasoning = _extra(message, "reasoning_content") or ""
            finish = completion.choices[0].finish_reason
            if completion.usage is not None:
                usage = (completion.usage.prompt_tokens, completion.usage.completion_tokens)
            else:
                usage = (None, None)
            raw_calls = [
                {"id": c.id, "name": c.function.name, "arguments": c.function.arguments}
                for c in message.tool_calls or []
            ]
            raw = completion
        tool_calls = [
            ToolCall(c["id"], c["name"], json.loads(c["arguments"] or "{}")) for c in raw_calls
        ]
        assistant: dict[str, Any] = {"role": "assistant", "content": text or None}
        if raw_calls:
            assistant["tool_calls"] = [
                {
                    "id": c["id"],
                    "type": "function",
                    "function": {"name": c["name"], "arguments": c["arguments"]},
                }
                for c in raw_calls
            ]
        if reasoning:
            assistant["reasoning_content"] = reasoning
        conv.history.append(assistant)
        return TurnResult(text, tool_calls, reasoning, False, finish, usage, events, raw)

    def append_tool_results(self, conv: Conversation, results: list[tuple[ToolCall, str]]) -> None:
        for call, output in results:
            conv.history.append({"role": "tool", "tool_call_id": call.id, "content": output})
