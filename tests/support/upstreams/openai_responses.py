"""A scripted OpenAI Responses upstream (``POST /v1/responses``), stateless like ``store:false``.

It stores nothing, so ``previous_response_id`` and ``item_reference`` are rejected, and a
replayed ``reasoning`` item must bring its ``encrypted_content`` (this upstream's own,
byte-exact). ``encrypted_content`` is only returned when ``include`` asks for
``reasoning.encrypted_content``, as OpenAI does. Every ``function_call`` needs its
``function_call_output``; tools must be flat (``{type, name, parameters}``).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .base import ScriptedUpstream, halves, require, require_keys, require_type, sse
from .openai_chat import decode_data_url
from .scenarios import (
    INPUT_TOKENS,
    OPAQUE_STATE,
    OUTPUT_TOKENS,
    REASONING_TOKENS,
    RESPONSES_ITEM_IDS,
    Answer,
    AssistantSeen,
    CallSeen,
    Invalid,
    ResultSeen,
    Seen,
    ThinkingSeen,
)

REQUEST_KEYS = frozenset(
    {
        "model", "input", "instructions", "max_output_tokens", "temperature", "top_p",
        "top_logprobs", "tools", "tool_choice", "parallel_tool_calls", "max_tool_calls",
        "reasoning", "text", "include", "store", "previous_response_id", "conversation",
        "background", "truncation", "context_management", "metadata", "user",
        "safety_identifier", "prompt_cache_key", "prompt_cache_retention", "service_tier",
        "prompt", "stream", "stream_options",
    }
)  # fmt: skip
INCLUDE_VALUES = frozenset(
    {
        "reasoning.encrypted_content", "message.output_text.logprobs",
        "web_search_call.action.sources", "file_search_call.results",
        "code_interpreter_call.outputs", "message.input_image.image_url",
        "computer_call_output.output.image_url",
    }
)  # fmt: skip
REASONING_ID = "rs_matrix_reasoning"
MESSAGE_ID = "msg_matrix_message"


class ResponsesUpstream(ScriptedUpstream):
    format = "openai_responses"
    routes = (("POST", "/v1/responses"),)

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def check_request(self, request: web.Request) -> None:
        auth = request.headers.get("authorization")
        require(
            auth == f"Bearer {self.api_key}",
            f"authorization is {auth!r}, expected 'Bearer <provider key>'",
        )

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        return {
            "error": {
                "message": message,
                "type": "invalid_request_error" if status == 400 else "server_error",
                "param": None,
                "code": None,
            }
        }

    # --- request --------------------------------------------------------------------------

    def parse(self, request: web.Request, body: dict[str, Any]) -> Seen:
        for key in sorted(set(body) - REQUEST_KEYS):
            raise Invalid(f"Unknown parameter: '{key}'.")
        require(
            body.get("previous_response_id") is None,
            f"Previous response with id '{body.get('previous_response_id')}' not found.",
        )
        model = require_type(body.get("model"), str, "model")
        stream = require_type(body.get("stream", False), bool, "stream")
        seen = Seen(model=model, stream=stream)
        include = require_type(body.get("include", []), list, "include")
        for value in include:
            require(value in INCLUDE_VALUES, f"include: invalid value {value!r}")
        seen.extra["include"] = include
        seen.extra["store"] = body.get("store", True)
        reasoning = body.get("reasoning")
        if reasoning is not None:
            require_type(reasoning, dict, "reasoning")
            require_keys(reasoning, {"effort", "summary", "generate_summary"}, "reasoning")
            seen.thinking_requested = reasoning.get("effort") != "none"
            seen.extra["summary"] = reasoning.get("summary")
        else:
            seen.thinking_requested = False
        if "instructions" in body and body["instructions"] is not None:
            require_type(body["instructions"], str, "instructions")
        seen.tool_names = self._tools(body.get("tools"))
        items = body.get("input")
        if isinstance(items, str):
            seen.user_texts.append(items)
            return seen
        items = require_type(items, list, "input")
        require(bool(items), "input: must not be empty")
        calls: dict[str, str] = {}
        answered: set[str] = set()
        current: AssistantSeen | None = None
        for i, item in enumerate(items):
            where = f"input[{i}]"
            require_type(item, dict, where)
            kind = item.get("type", "message" if "role" in item else None)
            if kind in ("reasoning", "function_call") or (
                kind == "message" and item.get("role") == "assistant"
            ):
                if current is None:
                    current = AssistantSeen()
                    seen.assistants.append(current)
                if kind == "reasoning":
                    current.thinking.append(self._reasoning(item, where))
                elif kind == "function_call":
                    call = self._function_call(item, where)
                    calls[call.id or ""] = call.name
                    current.calls.append(call)
                else:
                    current.text += self._assistant_message(item, where)
                continue
            current = None
            if kind == "function_call_output":
                require_keys(item, {"type", "call_id", "output", "id", "status"}, where)
                call_id = require_type(item.get("call_id"), str, f"{where}.call_id")
                require(
                    call_id in calls,
                    f"{where}: No tool call found for function call output with call_id {call_id}.",
                )
                answered.add(call_id)
                seen.results.append(
                    ResultSeen(
                        call_id, calls[call_id], self._output_text(item.get("output"), where, seen)
                    )
                )
            elif kind == "message":
                self._input_message(item, where, seen)
            elif kind == "item_reference":
                raise Invalid(f"{where}: Item with id '{item.get('id')}' not found.")
            else:
                raise Invalid(f"{where}.type: unexpected item type {kind!r}")
        missing = sorted(set(calls) - answered)
        require(not missing, f"No tool output found for function call {', '.join(missing)}.")
        return seen

    def _tools(self, tools: Any) -> list[str]:
        if tools is None:
            return []
        require_type(tools, list, "tools")
        names = []
        for i, tool in enumerate(tools):
            where = f"tools[{i}]"
            require_type(tool, dict, where)
            require(tool.get("type") == "function", f"{where}.type: expected 'function'")
            require("name" in tool, f"Missing required parameter: '{where}.name'.")
            require_keys(tool, {"type", "name", "description", "parameters", "strict"}, where)
            name = require_type(tool["name"], str, f"{where}.name")
            params = tool.get("parameters")
            if params is not None:
                require_type(params, dict, f"{where}.parameters")
                require(
                    params.get("type") == "object", f"{where}.parameters: must be an object schema"
                )
            names.append(name)
        return names

    def _reasoning(self, item: dict[str, Any], where: str) -> ThinkingSeen:
        require_keys(
            item, {"type", "id", "summary", "content", "encrypted_content", "status"}, where
        )
        summary = require_type(item.get("summary"), list, f"{where}.summary")
        texts = []
        for k, part in enumerate(summary):
            require(
                isinstance(part, dict) and part.get("type") == "summary_text",
                f"{where}.summary[{k}]: expected a summary_text part",
            )
            texts.append(require_type(part.get("text"), str, f"{where}.summary[{k}].text"))
        encrypted = item.get("encrypted_content")
        require(
            encrypted is not None,
            f"{where}: Item with id '{item.get('id')}' not found. Items are not persisted when "
            "`store` is set to false; send its encrypted_content.",
        )
        require_type(encrypted, str, f"{where}.encrypted_content")
        require(
            encrypted == OPAQUE_STATE["openai_responses"],
            f"{where}: The encrypted content for item {item.get('id')} could not be verified "
            f"(got {encrypted!r:.60})",
        )
        return ThinkingSeen("".join(texts), encrypted)

    def _function_call(self, item: dict[str, Any], where: str) -> CallSeen:
        require_keys(
            item, {"type", "id", "call_id", "name", "arguments", "status", "namespace"}, where
        )
        call_id = require_type(item.get("call_id"), str, f"{where}.call_id")
        name = require_type(item.get("name"), str, f"{where}.name")
        arguments = require_type(item.get("arguments"), str, f"{where}.arguments")
        try:
            args = json.loads(arguments)
        except ValueError:
            raise Invalid(f"{where}.arguments is not valid JSON: {arguments!r}") from None
        item_id = item.get("id")
        if item_id is not None:
            require_type(item_id, str, f"{where}.id")
            require(item_id.startswith("fc"), f"{where}.id: Invalid 'id': {item_id!r}")
        return CallSeen(call_id, name, args, item_id=item_id)

    def _assistant_message(self, item: dict[str, Any], where: str) -> str:
        require_keys(item, {"type", "id", "role", "content", "status", "phase"}, where)
        content = item.get("content")
        if isinstance(content, str):
            return content
        require_type(content, list, f"{where}.content")
        texts = []
        for k, part in enumerate(content):
            pw = f"{where}.content[{k}]"
            require_type(part, dict, pw)
            require(
                part.get("type") in ("output_text", "refusal"),
                f"{pw}.type: assistant content must be output_text or refusal, got "
                f"{part.get('type')!r}",
            )
            if part["type"] == "output_text":
                require_keys(part, {"type", "text", "annotations", "logprobs"}, pw)
                texts.append(require_type(part.get("text"), str, f"{pw}.text"))
        return "".join(texts)

    def _input_message(self, item: dict[str, Any], where: str, seen: Seen) -> None:
        require_keys(item, {"type", "role", "content", "id", "status"}, where)
        role = item.get("role")
        require(role in ("user", "system", "developer"), f"{where}.role: invalid role {role!r}")
        content = item.get("content")
        if isinstance(content, str):
            if role == "user":
                seen.user_texts.append(content)
            return
        require_type(content, list, f"{where}.content")
        for k, part in enumerate(content):
            pw = f"{where}.content[{k}]"
            require_type(part, dict, pw)
            kind = part.get("type")
            if kind == "input_text":
                require_keys(part, {"type", "text"}, pw)
                text = require_type(part.get("text"), str, f"{pw}.text")
                if role == "user":
                    seen.user_texts.append(text)
            elif kind == "input_image" and role == "user":
                require_keys(part, {"type", "image_url", "file_id", "detail"}, pw)
                url = require_type(part.get("image_url"), str, f"{pw}.image_url")
                seen.images.append(decode_data_url(url, f"{pw}.image_url"))
            else:
                raise Invalid(f"{pw}.type: unexpected {kind!r} in a {role} message")

    def _output_text(self, output: Any, where: str, seen: Seen) -> str:
        if isinstance(output, str):
            return output
        require_type(output, list, f"{where}.output")
        texts = []
        for k, part in enumerate(output):
            require_type(part, dict, f"{where}.output[{k}]")
            if part.get("type") == "input_text":
                texts.append(require_type(part.get("text"), str, f"{where}.output[{k}].text"))
            elif part.get("type") == "input_image":
                url = require_type(part.get("image_url"), str, f"{where}.output[{k}].image_url")
                seen.images.append(decode_data_url(url, f"{where}.output[{k}].image_url"))
            else:
                raise Invalid(f"{where}.output[{k}].type: unexpected {part.get('type')!r}")
        return "".join(texts)

    # --- answer ---------------------------------------------------------------------------

    def _items(self, answer: Answer, seen: Seen) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        if answer.thinking:
            reasoning: dict[str, Any] = {
                "type": "reasoning",
                "id": REASONING_ID,
                "summary": [{"type": "summary_text", "text": answer.thinking}],
            }
            if "reasoning.encrypted_content" in seen.extra.get("include", []):
                reasoning["encrypted_content"] = answer.opaque
            items.append(reasoning)
        if answer.text:
            items.append(
                {
                    "type": "message",
                    "id": MESSAGE_ID,
                    "role": "assistant",
                    "status": "completed",
                    "content": [
                        {
                            "type": "output_text",
                            "text": answer.text,
                            "annotations": [],
                            "logprobs": [],
                        }
                    ],
                }
            )
        for call in answer.calls:
            items.append(
                {
                    "type": "function_call",
                    "id": RESPONSES_ITEM_IDS[call.city],
                    "call_id": call.id,
                    "name": call.name,
                    "arguments": json.dumps(call.args),
                    "status": "completed",
                }
            )
        return items

    def _response(self, seen: Seen, output: list[dict[str, Any]], status: str) -> dict[str, Any]:
        done = status == "completed"
        return {
            "id": "resp_matrix_response",
            "object": "response",
            "created_at": 1700000000,
            "status": status,
            "model": seen.model,
            "output": output,
            "error": None,
            "incomplete_details": None,
            "instructions": None,
            "metadata": {},
            "parallel_tool_calls": True,
            "temperature": 1.0,
            "top_p": 1.0,
            "tool_choice": "auto",
            "tools": [],
            "text": {"format": {"type": "text"}},
            "store": bool(seen.extra.get("store")),
            "usage": {
                "input_tokens": INPUT_TOKENS,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": OUTPUT_TOKENS,
                "output_tokens_details": {"reasoning_tokens": REASONING_TOKENS},
                "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS,
            }
            if done
            else None,
        }

    def render(self, answer: Answer, seen: Seen) -> dict[str, Any]:
        return self._response(seen, self._items(answer, seen), "completed")

    def stream_frames(self, answer: Answer, seen: Seen) -> list[bytes]:
        events: list[dict[str, Any]] = [
            {"type": "response.created", "response": self._response(seen, [], "in_progress")},
            {"type": "response.in_progress", "response": self._response(seen, [], "in_progress")},
        ]
        items = self._items(answer, seen)
        for index, item in enumerate(items):
            base = {"item_id": item["id"], "output_index": index}
            kind = item["type"]
            if kind == "reasoning":
                text = item["summary"][0]["text"]
                events.append(
                    {
                        "type": "response.output_item.added",
                        "output_index": index,
                        "item": {"type": "reasoning", "id": item["id"], "summary": []},
                    }
                )
                part = {"type": "summary_text", "text": ""}
                events.append(
                    {
                        "type": "response.reasoning_summary_part.added",
                        **base,
                        "summary_index": 0,
                        "part": part,
                    }
                )
                for piece in halves(text):
                    events.append(
                        {
                            "type": "response.reasoning_summary_text.delta",
                            **base,
                            "summary_index": 0,
                            "delta": piece,
                        }
                    )
                events.append(
                    {
                        "type": "response.reasoning_summary_text.done",
                        **base,
                        "summary_index": 0,
                        "text": text,
                    }
                )
                events.append(
                    {
                        "type": "response.reasoning_summary_part.done",
                        **base,
                        "summary_index": 0,
                        "part": {"type": "summary_text", "text": text},
                    }
                )
            elif kind == "message":
                text = item["content"][0]["text"]
                events.append(
                    {
                        "type": "response.output_item.added",
                        "output_index": index,
                        "item": {**item, "status": "in_progress", "content": []},
                    }
                )
                part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
                events.append(
                    {
                        "type": "response.content_part.added",
                        **base,
                        "content_index": 0,
                        "part": part,
                    }
                )
                for piece in halves(text):
                    events.append(
                        {
                            "type": "response.output_text.delta",
                            **base,
                            "content_index": 0,
                            "delta": piece,
                            "logprobs": [],
                        }
                    )
                events.append(
                    {
                        "type": "response.output_text.done",
                        **base,
                        "content_index": 0,
                        "text": text,
                        "logprobs": [],
                    }
                )
                events.append(
                    {
                        "type": "response.content_part.done",
                        **base,
                        "content_index": 0,
                        "part": item["content"][0],
                    }
                )
            else:
                events.append(
                    {
                        "type": "response.output_item.added",
                        "output_index": index,
                        "item": {**item, "arguments": "", "status": "in_progress"},
                    }
                )
                for piece in halves(item["arguments"]):
                    events.append(
                        {"type": "response.function_call_arguments.delta", **base, "delta": piece}
                    )
                events.append(
                    {
                        "type": "response.function_call_arguments.done",
                        **base,
                        "name": item["name"],
                        "arguments": item["arguments"],
                    }
                )
            events.append(
                {"type": "response.output_item.done", "output_index": index, "item": item}
            )
        events.append(
            {"type": "response.completed", "response": self._response(seen, items, "completed")}
        )
        frames = []
        for number, event in enumerate(events):
            event["sequence_number"] = number
            frames.append(sse(event, event=event["type"]))
        return frames
