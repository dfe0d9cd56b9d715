"""Drive the gateway with the official Anthropic SDK (``messages.create`` / ``messages.stream``)."""

from __future__ import annotations

from typing import Any

import anthropic

from tests.support.upstreams.scenarios import CLIENT_KEY, PNG_B64, PNG_MIME

from .common import (
    TOOL_DESCRIPTION,
    TOOL_NAME,
    TOOL_SCHEMA,
    Conversation,
    ToolCall,
    TurnResult,
    check_streamed,
)

TOOLS = [{"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "input_schema": TOOL_SCHEMA}]
THINKING = {"type": "enabled", "budget_tokens": 2048}


class AnthropicDriver:
    format = "anthropic"

    def __init__(self, base_url: str) -> None:
        self.client = anthropic.Anthropic(
            base_url=base_url, api_key=CLIENT_KEY, max_retries=0, timeout=20
        )

    def new(self, model: str, prompt: str, image: bool) -> Conversation:
        content: Any = prompt
        if image:
            content = [
                {"type": "text", "text": prompt},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": PNG_MIME, "data": PNG_B64},
                },
            ]
        return Conversation(model, [{"role": "user", "content": content}])

    def run_turn(
        self, conv: Conversation, *, tools: bool, thinking: bool, stream: bool
    ) -> TurnResult:
        kwargs: dict[str, Any] = {"model": conv.model, "max_tokens": 4096, "messages": conv.history}
        if tools:
            kwargs["tools"] = TOOLS
        if thinking:
            kwargs["thinking"] = THINKING
        events: list[str] = []
        if stream:
            streamed = {"text": "", "thinking": ""}
            with self.client.messages.stream(**kwargs) as s:
                for event in s:
                    if event.type == "content_block_delta":
                        events.append(event.delta.type)
                        if event.delta.type == "text_delta":
                            streamed["text"] += event.delta.text
                        elif event.delta.type == "thinking_delta":
                            streamed["thinking"] += event.delta.thinking
                    elif event.type in ("message_start", "content_block_start", "message_stop"):
                        events.append(event.type)
                message = s.get_final_message()
        else:
            message = self.client.messages.create(**kwargs)
        text = "".join(b.text for b in message.content if b.type == "text")
        thoughts = [b for b in message.content if b.type == "thinking"]
        result = TurnResult(
            text=text,
            tool_calls=[
                ToolCall(b.id, b.name, dict(b.input))
                for b in message.content
                if b.type == "tool_use"
            ],
            thinking="".join(b.thinking for b in thoughts),
            opaque=bool(thoughts) and all(b.signature for b in thoughts),
            stop=message.stop_reason,
            usage=(
                message.usage.input_tokens
                + (message.usage.cache_creation_input_tokens or 0)
                + (message.usage.cache_read_input_tokens or 0),
                message.usage.output_tokens,
            ),
            events=events,
            raw=message,
        )
        if stream:
            check_streamed("text", streamed["text"], result.text)
            check_streamed("thinking", streamed["thinking"], result.thinking)
        # What Claude Code and the SDK docs do: send the content blocks back as they came.
        conv.history.append({"role": "assistant", "content": message.content})
        return result

    def append_tool_results(self, conv: Conversation, results: list[tuple[ToolCall, str]]) -> None:
        conv.history.append(
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": call.id, "content": output}
                    for call, output in results
                ],
            }
        )
