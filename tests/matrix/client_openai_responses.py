"""Drive the gateway with the official OpenAI SDK's Responses API, statelessly (``store=False``,
``include=["reasoning.encrypted_content"]``), replaying ``response.output`` as input the way
the SDK docs (and Codex) do."""

from __future__ import annotations

import json
from typing import Any

import openai

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

TOOLS = [
    {
        "type": "function",
        "name": TOOL_NAME,
        "description": TOOL_DESCRIPTION,
        "parameters": TOOL_SCHEMA,
        "strict": False,
    }
]


class ResponsesDriver:
    format = "openai_responses"

    def __init__(self, base_url: str) -> None:
        self.client = openai.OpenAI(
            base_url=base_url + "/v1", api_key=CLIENT_KEY, max_retries=0, timeout=20
        )

    def new(self, model: str, prompt: str, image: bool) -> Conversation:
        content: list[dict[str, Any]] = [{"type": "input_text", "text": prompt}]
        if image:
            content.append(
                {
                    "type": "input_image",
                    "image_url": f"data:{PNG_MIME};base64,{PNG_B64}",
                    "detail": "auto",
                }
            )
        return Conversation(model, [{"type": "message", "role": "user", "content": content}])

    def run_turn(
        self, conv: Conversation, *, tools: bool, thinking: bool, stream: bool
    ) -> TurnResult:
        kwargs: dict[str, Any] = {"model": conv.model, "input": conv.history, "store": False}
        if tools:
            kwargs["tools"] = TOOLS
        if thinking:
            kwargs["reasoning"] = {"effort": "medium", "summary": "auto"}
            kwargs["include"] = ["reasoning.encrypted_content"]
        events: list[str] = []
        if stream:
            response = None
            streamed = {"text": "", "thinking": ""}
            numbers: list[int] = []
            for event in self.client.responses.create(stream=True, **kwargs):
                events.append(event.type)
                numbers.append(event.sequence_number)
                if event.type == "response.output_text.delta":
                    streamed["text"] += event.delta
                elif event.type in (
                    "response.reasoning_summary_text.delta",
                    "response.reasoning_text.delta",
                ):
                    streamed["thinking"] += event.delta
                elif event.type in ("response.completed", "response.incomplete", "response.failed"):
                    response = event.response
            if response is None:
                raise AssertionError(f"the stream ended without a terminal event: {events}")
            if numbers != sorted(set(numbers)):
                raise AssertionError(f"sequence_number is not strictly increasing: {numbers}")
        else:
            response = self.client.responses.create(**kwargs)
        text, thoughts, calls, opaque = "", "", [], False
        for item in response.output:
            if item.type == "message":
                text += "".join(c.text for c in item.content if c.type == "output_text")
            elif item.type == "function_call":
                calls.append(ToolCall(item.call_id, item.name, json.loads(item.arguments or "{}")))
            elif item.type == "reasoning":
                summary = "".join(s.text for s in item.summary)
                content = "".join(c.text for c in item.content or [])
                thoughts += summary or content
                opaque = opaque or bool(item.encrypted_content)
        if stream:
            check_streamed("text", streamed["text"], text)
            check_streamed("reasoning", streamed["thinking"], thoughts)
        conv.history += [item.model_dump(exclude_none=True) for item in response.output]
        usage = (
            (response.usage.input_tokens, response.usage.output_tokens)
            if response.usage
            else (None, None)
        )
        return TurnResult(text, calls, thoughts, opaque, response.status, usage, events, response)

    def append_tool_results(self, conv: Conversation, results: list[tuple[ToolCall, str]]) -> None:
        conv.history += [
            {"type": "function_call_output", "call_id": call.id, "output": output}
            for call, output in results
        ]
