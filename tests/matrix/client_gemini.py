"""Drive the gateway with the official google-genai SDK (``models.generate_content`` /
``generate_content_stream``), keeping the model's parts (thoughts, signatures) in history as
returned, as Gemini CLI does."""

from __future__ import annotations

from typing import Any

from google import genai
from google.genai import types

from tests.support.upstreams.scenarios import CLIENT_KEY, PNG_BYTES, PNG_MIME

from .common import TOOL_DESCRIPTION, TOOL_NAME, TOOL_SCHEMA, Conversation, ToolCall, TurnResult

# TOOL_SCHEMA as the SDK's own Schema type (what most google-genai code writes).
TOOL = types.Tool(
    function_declarations=[
        types.FunctionDeclaration(
            name=TOOL_NAME,
            description=TOOL_DESCRIPTION,
            parameters=types.Schema(
                type=types.Type.OBJECT,
                properties={
                    name: types.Schema(type=types.Type.STRING, description=prop["description"])
                    for name, prop in TOOL_SCHEMA["properties"].items()
                },
                required=list(TOOL_SCHEMA["required"]),
            ),
        )
    ]
)


class GeminiDriver:
    format = "gemini"

    def __init__(self, base_url: str) -> None:
        self.client = genai.Client(
            api_key=CLIENT_KEY,
            http_options=types.HttpOptions(
                base_url=base_url,
                timeout=20_000,
                retry_options=types.HttpRetryOptions(attempts=1),
            ),
        )

    def new(self, model: str, prompt: str, image: bool) -> Conversation:
        parts = [types.Part(text=prompt)]
        if image:
            parts.append(types.Part.from_bytes(data=PNG_BYTES, mime_type=PNG_MIME))
        return Conversation(model, [types.Content(role="user", parts=parts)])

    def run_turn(
        self, conv: Conversation, *, tools: bool, thinking: bool, stream: bool
    ) -> TurnResult:
        config = types.GenerateContentConfig(
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        )
        if tools:
            config.tools = [TOOL]
        if thinking:
            config.thinking_config = types.ThinkingConfig(
                include_thoughts=True, thinking_budget=2048
            )
        kwargs: dict[str, Any] = {
            "model": conv.model,
            "contents": list(conv.history),
            "config": config,
        }
        parts: list[types.Part] = []
        finish = None
        events: list[str] = []
        raw: Any = None
        meta: Any = None
        if stream:
            for chunk in self.client.models.generate_content_stream(**kwargs):
                events.append("chunk")
                meta = chunk.usage_metadata or meta  # the last one counts
                if not chunk.candidates:
                    continue
                candidate = chunk.candidates[0]
                if candidate.content and candidate.content.parts:
                    parts += candidate.content.parts
                if candidate.finish_reason:
                    finish = candidate.finish_reason
        else:
            raw = self.client.models.generate_content(**kwargs)
            meta = raw.usage_metadata
            if raw.candidates:
                candidate = raw.candidates[0]
                parts = list(candidate.content.parts or []) if candidate.content else []
                finish = candidate.finish_reason
        text = "".join(p.text for p in parts if p.text and not p.thought)
        thoughts = "".join(p.text for p in parts if p.text and p.thought)
        calls = [
            ToolCall(
                p.function_call.id, p.function_call.name or "", dict(p.function_call.args or {})
            )
            for p in parts
            if p.function_call
        ]
        opaque = any(p.thought_signature for p in parts)
        conv.history.append(types.Content(role="model", parts=parts))
        usage = (
            (
                meta.prompt_token_count,
                (meta.candidates_token_count or 0) + (meta.thoughts_token_count or 0),
            )
            if meta
            else (None, None)
        )
        stop = str(finish.value) if finish else None
        return TurnResult(text, calls, thoughts, opaque, stop, usage, events, raw)

    def append_tool_results(self, conv: Conversation, results: list[tuple[ToolCall, str]]) -> None:
        conv.history.append(
            types.Content(
                role="user",
                parts=[
                    types.Part(
                        function_response=types.FunctionResponse(
                            id=call.id, name=call.name, response={"output": output}
                        )
                    )
                    for call, output in results
                ],
            )
        )
