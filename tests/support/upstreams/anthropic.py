"""A scripted Anthropic Messages upstream (``POST /v1/messages``).

Besides the body's shape it enforces the rules the real API enforces that translators trip on:
non-empty text blocks, ``tool_use.id`` syntax, every ``tool_use`` answered by a ``tool_result``
at the head of the very next user message, thinking budgets, a thinking block (with this
upstream's own signature, byte-exact) first in the assistant turn of a tool loop while thinking
is on, and no forced ``tool_choice`` / ``temperature`` / ``top_k`` with thinking.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from aiohttp import web

from .base import ScriptedUpstream, halves, require, require_keys, require_type, sse
from .scenarios import (
    INPUT_TOKENS,
    OPAQUE_STATE,
    OUTPUT_TOKENS,
    Answer,
    AssistantSeen,
    CallSeen,
    Invalid,
    ResultSeen,
    Seen,
    ThinkingSeen,
)

ANTHROPIC_VERSION = "2023-06-01"
TOOL_USE_ID = re.compile(r"^[a-zA-Z0-9_-]+$")
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
REQUEST_KEYS = frozenset(
    {
        "model", "max_tokens", "messages", "system", "stop_sequences", "temperature", "top_p",
        "top_k", "stream", "tools", "tool_choice", "thinking", "output_config", "metadata",
        "cache_control", "service_tier", "container", "inference_geo", "context_management",
        "mcp_servers",
    }
)  # fmt: skip
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")


def _text_block(block: dict[str, Any], where: str) -> str:
    require_keys(block, {"type", "text", "cache_control", "citations"}, where)
    text = require_type(block.get("text"), str, f"{where}.text")
    require(bool(text), f"{where}: text content blocks must be non-empty")
    return text


def _image(block: dict[str, Any], where: str) -> tuple[str, bytes]:
    require_keys(block, {"type", "source", "cache_control"}, where)
    source = require_type(block.get("source"), dict, f"{where}.source")
    require(source.get("type") == "base64", f"{where}.source.type: expected base64")
    require_keys(source, {"type", "media_type", "data"}, f"{where}.source")
    media = source.get("media_type")
    require(media in IMAGE_TYPES, f"{where}.source.media_type: {media!r} is not supported")
    data = require_type(source.get("data"), str, f"{where}.source.data")
    try:
        return media, base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid(f"{where}.source.data: bad base64: {exc}") from None


class AnthropicUpstream(ScriptedUpstream):
    format = "anthropic"
    routes = (("POST", "/v1/messages"),)

    @property
    def base_url(self) -> str:
        return self.url

    def check_request(self, request: web.Request) -> None:
        key = request.headers.get("x-api-key")
        require(key == self.api_key, f"x-api-key is {key!r}, expected the provider key")
        version = request.headers.get("anthropic-version")
        require(
            version == ANTHROPIC_VERSION,
            f"anthropic-version is {version!r}, expected {ANTHROPIC_VERSION!r}",
        )

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        return {
            "type": "error",
            "error": {
                "type": "invalid_request_error" if status == 400 else "api_error",
                "message": message,
            },
            "request_id": "req_matrix",
        }

    # --- request --------------------------------------------------------------------------

    def parse(self, request: web.Request, body: dict[str, Any]) -> Seen:
        for key in sorted(set(body) - REQUEST_KEYS):
            raise Invalid(f"{key}: Extra inputs are not permitted")
        model = require_type(body.get("model"), str, "model")
        max_tokens = require_type(body.get("max_tokens"), int, "max_tokens")
        require(max_tokens >= 1, "max_tokens: must be at least 1")
        stream = require_type(body.get("stream", False), bool, "stream")
        seen = Seen(model=model, stream=stream)
        thinking_on = self._thinking(body, max_tokens)
        seen.thinking_requested = thinking_on
        seen.tool_names = self._tools(body.get("tools"))
        self._tool_choice(body.get("tool_choice"), thinking_on)
        if "system" in body:
            system = body["system"]
            if not isinstance(system, str):
                require_type(system, list, "system")
                for i, block in enumerate(system):
                    require(
                        isinstance(block, dict) and block.get("type") == "text",
                        f"system[{i}]: only text blocks",
                    )
                    _text_block(block, f"system[{i}]")
        messages = require_type(body.get("messages"), list, "messages")
        require(bool(messages), "messages: at least one message is required")
        require(
            isinstance(messages[0], dict) and messages[0].get("role") == "user",
            "messages: the first message must use the 'user' role",
        )
        open_calls: dict[str, str] = {}  # tool_use ids of the previous assistant message
        for i, message in enumerate(messages):
            where = f"messages.{i}"
            require_type(message, dict, where)
            require_keys(message, {"role", "content"}, where)
            role = message.get("role")
            require(role in ("user", "assistant"), f"{where}.role: invalid role {role!r}")
            content = message.get("content")
            if isinstance(content, str):
                require(bool(content), f"{where}.content: text content must be non-empty")
                blocks: list[Any] = [{"type": "text", "text": content}]
            else:
                blocks = require_type(content, list, f"{where}.content")
                require(bool(blocks), f"{where}.content: must not be empty")
            if role == "user":
                self._user(blocks, where, open_calls, seen)
                open_calls = {}
            else:
                require(
                    not open_calls,
                    f"{where}: `tool_use` ids were found without `tool_result` blocks "
                    f"immediately after: {sorted(open_calls)}",
                )
                last = i == len(messages) - 2 or i == len(messages) - 1
                seen.assistants.append(
                    self._assistant(blocks, where, open_calls, thinking_on, last)
                )
        require(
            not open_calls,
            f"`tool_use` ids were found without `tool_result` blocks immediately after: "
            f"{sorted(open_calls)}",
        )
        return seen

    def _thinking(self, body: dict[str, Any], max_tokens: int) -> bool:
        thinking = body.get("thinking")
        if thinking is None:
            return False
        require_type(thinking, dict, "thinking")
        kind = thinking.get("type")
        if kind == "disabled":
            require_keys(thinking, {"type"}, "thinking")
            return False
        if kind == "enabled":
            require_keys(thinking, {"type", "budget_tokens", "display"}, "thinking")
            budget = require_type(thinking.get("budget_tokens"), int, "thinking.budget_tokens")
            require(budget >= 1024, "thinking.budget_tokens: must be at least 1024")
            require(
                budget < max_tokens, "`max_tokens` must be greater than `thinking.budget_tokens`"
            )
        elif kind == "adaptive":
            require_keys(thinking, {"type", "display"}, "thinking")
        else:
            raise Invalid(f"thinking.type: invalid value {kind!r}")
        if "display" in thinking:
            require(thinking["display"] in ("summarized", "omitted"), "thinking.display: invalid")
        temperature = body.get("temperature")
        require(
            temperature in (None, 1, 1.0),
            "`temperature` may only be set to 1 when thinking is enabled",
        )
        require("top_k" not in body, "`top_k` is not supported when thinking is enabled")
        return True

    def _tools(self, tools: Any) -> list[str]:
        if tools is None:
            return []
        require_type(tools, list, "tools")
        names = []
        for i, tool in enumerate(tools):
            where = f"tools.{i}"
            require_type(tool, dict, where)
            require(tool.get("type") in (None, "custom"), f"{where}.type: not a custom tool")
            require_keys(
                tool,
                {"type", "name", "description", "input_schema", "cache_control", "strict"},
                where,
            )
            name = require_type(tool.get("name"), str, f"{where}.name")
            require(bool(TOOL_NAME.match(name)), f"{where}.name: String should match pattern")
            schema = require_type(tool.get("input_schema"), dict, f"{where}.input_schema")
            require(schema.get("type") == "object", f"{where}.input_schema.type: must be 'object'")
            names.append(name)
        return names

    def _tool_choice(self, choice: Any, thinking_on: bool) -> None:
        if choice is None:
            return
        require_type(choice, dict, "tool_choice")
        kind = choice.get("type")
        require(kind in ("auto", "any", "tool", "none"), f"tool_choice.type: invalid {kind!r}")
        require(
            not (thinking_on and kind in ("any", "tool")),
            "Thinking may not be enabled when tool_choice forces tool use.",
        )

    def _user(self, blocks: list[Any], where: str, open_calls: dict[str, str], seen: Seen) -> None:
        answered: list[str] = []
        seen_other = False
        for j, block in enumerate(blocks):
            bw = f"{where}.content.{j}"
            require_type(block, dict, bw)
            kind = block.get("type")
            if kind == "tool_result":
                require(
                    not seen_other,
                    f"{bw}: tool_result blocks must come first in the user message",
                )
                require_keys(
                    block, {"type", "tool_use_id", "content", "is_error", "cache_control"}, bw
                )
                use_id = require_type(block.get("tool_use_id"), str, f"{bw}.tool_use_id")
                require(
                    use_id in open_calls,
                    f"{bw}: unexpected `tool_use_id` found in `tool_result` blocks: {use_id}. "
                    "Each `tool_result` block must have a corresponding `tool_use` block in the "
                    "previous message.",
                )
                answered.append(use_id)
                seen.results.append(
                    ResultSeen(use_id, open_calls[use_id], self._result_text(block, bw, seen))
                )
                continue
            seen_other = True
            if kind == "text":
                seen.user_texts.append(_text_block(block, bw))
            elif kind == "image":
                seen.images.append(_image(block, bw))
            else:
                raise Invalid(f"{bw}.type: unexpected block {kind!r} in a user message")
        missing = sorted(set(open_calls) - set(answered))
        require(
            not missing,
            f"{where}: `tool_use` ids were found without `tool_result` blocks immediately "
            f"after: {missing}",
        )

    def _result_text(self, block: dict[str, Any], where: str, seen: Seen) -> str:
        content = block.get("content")
        if content is None or isinstance(content, str):
            return content or ""
        require_type(content, list, f"{where}.content")
        texts = []
        for k, part in enumerate(content):
            require_type(part, dict, f"{where}.content.{k}")
            if part.get("type") == "text":
                texts.append(_text_block(part, f"{where}.content.{k}"))
            elif part.get("type") == "image":
                seen.images.append(_image(part, f"{where}.content.{k}"))
            else:
                raise Invalid(f"{where}.content.{k}.type: unexpected {part.get('type')!r}")
        return "".join(texts)

    def _assistant(
        self,
        blocks: list[Any],
        where: str,
        open_calls: dict[str, str],
        thinking_on: bool,
        last: bool,
    ) -> AssistantSeen:
        seen = AssistantSeen()
        texts = []
        for j, block in enumerate(blocks):
            bw = f"{where}.content.{j}"
            require_type(block, dict, bw)
            kind = block.get("type")
            if kind == "text":
                texts.append(_text_block(block, bw))
            elif kind == "thinking":
                require_keys(block, {"type", "thinking", "signature"}, bw)
                text = require_type(block.get("thinking"), str, f"{bw}.thinking")
                signature = require_type(block.get("signature"), str, f"{bw}.signature")
                require(
                    signature == OPAQUE_STATE["anthropic"],
                    f"{bw}: Invalid `signature` in `thinking` block (got {signature!r:.60})",
                )
                seen.thinking.append(ThinkingSeen(text, signature))
            elif kind == "redacted_thinking":
                raise Invalid(f"{bw}: this upstream never produced redacted_thinking")
            elif kind == "tool_use":
                require_keys(block, {"type", "id", "name", "input", "cache_control", "caller"}, bw)
                use_id = require_type(block.get("id"), str, f"{bw}.id")
                require(
                    bool(TOOL_USE_ID.match(use_id)),
                    f"{bw}.id: String should match pattern '^[a-zA-Z0-9_-]+$' (got {use_id!r})",
                )
                name = require_type(block.get("name"), str, f"{bw}.name")
                args = require_type(block.get("input"), dict, f"{bw}.input")
                open_calls[use_id] = name
                seen.calls.append(CallSeen(use_id, name, args))
            else:
                raise Invalid(f"{bw}.type: unexpected block {kind!r} in an assistant message")
        seen.text = "".join(texts)
        if thinking_on and last and seen.calls:
            first = blocks[0].get("type")
            require(
                first in ("thinking", "redacted_thinking"),
                f"{where}.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
                f"`{first}`. When `thinking` is enabled, a final `assistant` message must start "
                "with a thinking block. To avoid this requirement, disable `thinking`.",
            )
        return seen

    # --- answer ---------------------------------------------------------------------------

    @staticmethod
    def _blocks(answer: Answer) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        if answer.thinking:
            blocks.append(
                {"type": "thinking", "thinking": answer.thinking, "signature": answer.opaque}
            )
        if answer.text:
            blocks.append({"type": "text", "text": answer.text})
        for call in answer.calls:
            blocks.append(
                {"type": "tool_use", "id": call.id, "name": call.name, "input": call.args}
            )
        return blocks

    @staticmethod
    def _stop_reason(answer: Answer) -> str:
        return "tool_use" if answer.calls else "end_turn"

    def render(self, answer: Answer, seen: Seen) -> dict[str, Any]:
        return {
            "id": "msg_01MatrixAnthropic",
            "type": "message",
            "role": "assistant",
            "model": seen.model,
            "content": self._blocks(answer),
            "stop_reason": self._stop_reason(answer),
            "stop_sequence": None,
            "usage": {
                "input_tokens": INPUT_TOKENS,
                "output_tokens": OUTPUT_TOKENS,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            },
        }

    def stream_frames(self, answer: Answer, seen: Seen) -> list[bytes]:
        events: list[dict[str, Any]] = []
        start = self.render(Answer(), seen)
        start.update(content=[], stop_reason=None)
        start["usage"]["output_tokens"] = 1
        events.append({"type": "message_start", "message": start})
        events.append({"type": "ping"})
        for index, block in enumerate(self._blocks(answer)):
            kind = block["type"]
            if kind == "thinking":
                initial: dict[str, Any] = {"type": "thinking", "thinking": "", "signature": ""}
                deltas = [
                    {"type": "thinking_delta", "thinking": p} for p in halves(block["thinking"])
                ]
                deltas.append({"type": "signature_delta", "signature": block["signature"]})
            elif kind == "text":
                initial = {"type": "text", "text": ""}
                deltas = [{"type": "text_delta", "text": p} for p in halves(block["text"])]
            else:
                initial = {
                    "type": "tool_use",
                    "id": block["id"],
                    "name": block["name"],
                    "input": {},
                }
                args = json.dumps(block["input"])
                deltas = [{"type": "input_json_delta", "partial_json": ""}] + [
                    {"type": "input_json_delta", "partial_json": p} for p in halves(args)
                ]
            events.append({"type": "content_block_start", "index": index, "content_block": initial})
            events += [{"type": "content_block_delta", "index": index, "delta": d} for d in deltas]
            events.append({"type": "content_block_stop", "index": index})
        events.append(
            {
                "type": "message_delta",
                "delta": {"stop_reason": self._stop_reason(answer), "stop_sequence": None},
                "usage": {"output_tokens": OUTPUT_TOKENS},
            }
        )
        events.append({"type": "message_stop"})
        return [sse(e, event=e["type"]) for e in events]
