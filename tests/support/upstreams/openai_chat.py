"""A scripted OpenAI Chat Completions upstream (``POST /v1/chat/completions``).

Reasoning comes out as ``reasoning_content`` (DeepSeek / vLLM style), always: the generic
``openai`` profile has no thinking switch, so ``thinking_requested`` is not checked. Answers are
built with :func:`tests.support.servers.chat_completion` / :func:`~tests.support.servers.chunk`,
the same builders :class:`~tests.support.servers.ScriptedOpenAIUpstream` scripts use.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aiohttp import web

from tests.support.servers import chat_completion, chunk

from .base import ScriptedUpstream, halves, require, require_keys, require_type, sse
from .scenarios import (
    INPUT_TOKENS,
    OUTPUT_TOKENS,
    REASONING_TOKENS,
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
        "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p",
        "frequency_penalty", "presence_penalty", "seed", "logit_bias", "logprobs",
        "top_logprobs", "n", "stop", "stream", "stream_options", "tools", "tool_choice",
        "parallel_tool_calls", "reasoning_effort", "response_format", "user", "metadata",
        "safety_identifier", "prompt_cache_key", "store", "service_tier", "verbosity",
    }
)  # fmt: skip
MESSAGE_KEYS = {
    "system": {"role", "content", "name"},
    "developer": {"role", "content", "name"},
    "user": {"role", "content", "name"},
    "assistant": {"role", "content", "name", "tool_calls", "refusal", "reasoning_content"},
    "tool": {"role", "content", "tool_call_id"},
}


def decode_data_url(url: str, where: str) -> tuple[str, bytes]:
    require(url.startswith("data:") and ";base64," in url, f"{where}: not a base64 data URL")
    head, _, payload = url[len("data:") :].partition(";base64,")
    try:
        return head, base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid(f"{where}: bad base64: {exc}") from None


def _text_content(content: Any, where: str, *, allow_none: bool = False) -> str:
    if content is None and allow_none:
        return ""
    if isinstance(content, str):
        return content
    require_type(content, list, where)
    texts = []
    for i, part in enumerate(content):
        require_type(part, dict, f"{where}[{i}]")
        require(part.get("type") == "text", f"{where}[{i}]: only text parts are allowed here")
        texts.append(require_type(part.get("text"), str, f"{where}[{i}].text"))
    return "".join(texts)


class ChatUpstream(ScriptedUpstream):
    format = "openai_chat"
    routes = (("POST", "/v1/chat/completions"),)

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def check_request(self, request: web.Request) -> None:
        auth = request.headers.get("authorization")
        require(
            auth == f"Bearer {self.api_key}",
            f"authorization is {auth!r}, expected 'Bearer <provider key>'",
        )
        require(
            request.headers.get("content-type", "").startswith("application/json"),
            "content-type is not application/json",
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
        unknown = sorted(set(body) - REQUEST_KEYS)
        require(not unknown, f"Unrecognized request argument supplied: {', '.join(unknown)}")
        model = require_type(body.get("model"), str, "model")
        stream = require_type(body.get("stream", False), bool, "stream")
        if "stream_options" in body:
            require(
                stream, "The 'stream_options' parameter is only allowed when 'stream' is enabled."
            )
        for key in ("max_tokens", "max_completion_tokens"):
            if key in body:
                require_type(body[key], int, key)
        seen = Seen(model=model, stream=stream)
        seen.extra["include_usage"] = bool((body.get("stream_options") or {}).get("include_usage"))
        seen.tool_names = self._tools(body.get("tools"))
        if "tool_choice" in body:
            choice = body["tool_choice"]
            require(
                choice in ("auto", "none", "required")
                or (
                    isinstance(choice, dict) and choice.get("type") in ("function", "allowed_tools")
                ),
                f"tool_choice: invalid value {choice!r}",
            )
        messages = require_type(body.get("messages"), list, "messages")
        require(bool(messages), "messages: must not be empty")
        pending: dict[str, str] = {}  # unanswered tool_call_id -> name
        names: dict[str, str] = {}
        for i, message in enumerate(messages):
            where = f"messages[{i}]"
            require_type(message, dict, where)
            role = message.get("role")
            require(role in MESSAGE_KEYS, f"{where}.role: invalid role {role!r}")
            require_keys(message, MESSAGE_KEYS[role], where)
            if pending and role != "tool":
                raise Invalid(
                    "An assistant message with 'tool_calls' must be followed by tool messages "
                    f"responding to each 'tool_call_id'. Missing: {sorted(pending)} (at {where})"
                )
            if role in ("system", "developer"):
                _text_content(message.get("content"), f"{where}.content")
            elif role == "user":
                self._user(message.get("content"), f"{where}.content", seen)
            elif role == "assistant":
                seen.assistants.append(self._assistant(message, where, pending, names))
            else:
                call_id = require_type(message.get("tool_call_id"), str, f"{where}.tool_call_id")
                require(
                    call_id in pending,
                    f"{where}: Invalid parameter: messages with role 'tool' must be a response "
                    f"to a preceding message with 'tool_calls' (tool_call_id {call_id!r})",
                )
                pending.pop(call_id)
                text = _text_content(message.get("content"), f"{where}.content")
                seen.results.append(ResultSeen(call_id, names.get(call_id), text))
        return seen

    def _tools(self, tools: Any) -> list[str]:
        if tools is None:
            return []
        require_type(tools, list, "tools")
        names = []
        for i, tool in enumerate(tools):
            where = f"tools[{i}]"
            require_type(tool, dict, where)
            require(tool.get("type") == "function", f"{where}.type must be 'function'")
            require_keys(tool, {"type", "function"}, where)
            function = require_type(tool.get("function"), dict, f"{where}.function")
            require_keys(
                function, {"name", "description", "parameters", "strict"}, f"{where}.function"
            )
            name = require_type(function.get("name"), str, f"{where}.function.name")
            if "parameters" in function:
                params = require_type(function["parameters"], dict, f"{where}.function.parameters")
                require(
                    params.get("type") == "object",
                    f"{where}.function.parameters: the schema must be of type object",
                )
            names.append(name)
        return names

    def _user(self, content: Any, where: str, seen: Seen) -> None:
        if isinstance(content, str):
            seen.user_texts.append(content)
            return
        require_type(content, list, where)
        for i, part in enumerate(content):
            require_type(part, dict, f"{where}[{i}]")
            kind = part.get("type")
            if kind == "text":
                require_keys(part, {"type", "text"}, f"{where}[{i}]")
                seen.user_texts.append(require_type(part.get("text"), str, f"{where}[{i}].text"))
            elif kind == "image_url":
                require_keys(part, {"type", "image_url"}, f"{where}[{i}]")
                image = require_type(part.get("image_url"), dict, f"{where}[{i}].image_url")
                require_keys(image, {"url", "detail"}, f"{where}[{i}].image_url")
                url = require_type(image.get("url"), str, f"{where}[{i}].image_url.url")
                seen.images.append(decode_data_url(url, f"{where}[{i}].image_url.url"))
            else:
                raise Invalid(f"{where}[{i}].type: unexpected user part type {kind!r}")

    def _assistant(
        self, message: dict[str, Any], where: str, pending: dict[str, str], names: dict[str, str]
    ) -> AssistantSeen:
        seen = AssistantSeen()
        seen.text = _text_content(message.get("content"), f"{where}.content", allow_none=True)
        reasoning = message.get("reasoning_content")
        if reasoning is not None:
            require_type(reasoning, str, f"{where}.reasoning_content")
            if reasoning:
                seen.thinking.append(ThinkingSeen(reasoning, None))
        calls = message.get("tool_calls")
        if calls is not None:
            require_type(calls, list, f"{where}.tool_calls")
            require(bool(calls), f"{where}.tool_calls: empty array (omit it instead)")
            for j, call in enumerate(calls):
                cw = f"{where}.tool_calls[{j}]"
                require_type(call, dict, cw)
                require_keys(call, {"id", "type", "function"}, cw)
                require(call.get("type") == "function", f"{cw}.type must be 'function'")
                call_id = require_type(call.get("id"), str, f"{cw}.id")
                function = require_type(call.get("function"), dict, f"{cw}.function")
                name = require_type(function.get("name"), str, f"{cw}.function.name")
                arguments = require_type(function.get("arguments"), str, f"{cw}.function.arguments")
                try:
                    args = json.loads(arguments)
                except ValueError:
                    raise Invalid(
                        f"{cw}.function.arguments is not valid JSON: {arguments!r}"
                    ) from None
                pending[call_id] = name
                names[call_id] = name
                seen.calls.append(CallSeen(call_id, name, args))
        else:
            require(
                message.get("content") not in (None, "", []),
                f"{where}: an assistant message needs content or tool_calls",
            )
        return seen

    # --- answer ---------------------------------------------------------------------------

    @staticmethod
    def _tool_calls(answer: Answer) -> list[dict[str, Any]]:
        return [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": json.dumps(c.args)},
            }
            for c in answer.calls
        ]

    def render(self, answer: Answer, seen: Seen) -> dict[str, Any]:
        body = chat_completion(
            answer.text,
            tool_calls=self._tool_calls(answer) or None,
            reasoning=answer.thinking,
            prompt_tokens=INPUT_TOKENS,
            completion_tokens=OUTPUT_TOKENS,
        )
        body["usage"]["completion_tokens_details"] = {"reasoning_tokens": REASONING_TOKENS}
        return body

    def stream_frames(self, answer: Answer, seen: Seen) -> list[bytes]:
        chunks: list[dict[str, Any]] = [chunk({"role": "assistant", "content": ""})]
        for piece in halves(answer.thinking or ""):
            if piece:
                chunks.append(chunk({"reasoning_content": piece}))
        for piece in halves(answer.text or ""):
            if piece:
                chunks.append(chunk({"content": piece}))
        for index, call in enumerate(self._tool_calls(answer)):
            function = call["function"]
            chunks.append(
                chunk(
                    {
                        "tool_calls": [
                            {
                                "index": index,
                                "id": call["id"],
                                "type": "function",
                                "function": {"name": function["name"], "arguments": ""},
                            }
                        ]
                    }
                )
            )
            for piece in halves(function["arguments"]):
                chunks.append(
                    chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
                )
        chunks.append(chunk({}, "tool_calls" if answer.calls else "stop"))
        if seen.extra.get("include_usage"):
            chunks.append(
                chunk(
                    usage={
                        "prompt_tokens": INPUT_TOKENS,
                        "completion_tokens": OUTPUT_TOKENS,
                        "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS,
                        "completion_tokens_details": {"reasoning_tokens": REASONING_TOKENS},
                    }
                )
            )
        return [sse(c) for c in chunks] + [b"data: [DONE]\n\n"]
