"""A scripted Anthropic Messages upstream (``POST /v1/messages``) for the end-to-end tests.

Like :class:`tests.support.servers.ScriptedOpenAIUpstream`: each request is recorded (path,
headers, body) and answered by ``default(body)`` (or the next scripted reply), streamed as
Anthropic SSE events when the request asks for ``stream: true`` and as one message object
otherwise. A few rules the real API enforces are checked first and answered with Anthropic's
400 envelope (``problems`` lists them), so a translation slip shows up as the error it would
cause in production rather than as a silently accepted body.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.servers import ThreadedApp

TOOL_USE_ID = re.compile(r"^[a-zA-Z0-9_-]+$")
USAGE = {"input_tokens": 1200, "output_tokens": 40}
SIGNATURE = "c2lnLWN3LTAwMQ=="
"""The signature this upstream gives its thinking blocks; any other one is "invalid"."""


@dataclass
class AnthropicReply:
    """One scripted answer: content blocks (``text`` / ``tool_use`` / ``thinking`` dicts in
    Anthropic's own shape), or an error ``status`` with its message."""

    blocks: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str = "end_turn"
    status: int = 200
    error: str = ""


def text_reply(text: str) -> AnthropicReply:
    return AnthropicReply([{"type": "text", "text": text}], "end_turn")


def tool_use_reply(
    tool_id: str, name: str, arguments: dict[str, Any], *, thinking: str | None = None
) -> AnthropicReply:
    blocks: list[dict[str, Any]] = []
    if thinking:
        blocks.append({"type": "thinking", "thinking": thinking, "signature": SIGNATURE})
    blocks.append({"type": "tool_use", "id": tool_id, "name": name, "input": arguments})
    return AnthropicReply(blocks, "tool_use")


@dataclass
class AnthropicRecorded:
    path: str
    query: str
    headers: dict[str, str]
    body: Any
    problems: list[str] = field(default_factory=list)
    """Rule violations the upstream answered 400 for (empty when it answered normally)."""
    ended: threading.Event = field(default_factory=threading.Event, repr=False)


def problems_of(body: Any) -> list[str]:
    """What the real Messages API would reject in ``body`` (a small, common subset): missing
    fields, empty text blocks, bad ``tool_use`` ids, a ``tool_use`` not answered at the head of
    the next user turn, thinking blocks with a signature this upstream did not issue, and,
    while thinking is on, a tool loop whose assistant turn does not start with thinking."""
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    found: list[str] = []
    for key in ("model", "max_tokens", "messages"):
        if key not in body:
            found.append(f"{key}: Field required")
    messages = body.get("messages") or []
    for tool in body.get("tools") or []:
        if "input_schema" not in tool and tool.get("type") in (None, "custom"):
            found.append(f"tools: {tool.get('name')!r} has no input_schema")
    pending: set[str] = set()
    for n, message in enumerate(messages):
        content = message.get("content")
        blocks = content if isinstance(content, list) else [{"type": "text", "text": content}]
        role = message.get("role")
        if role not in ("user", "assistant"):
            found.append(f"messages.{n}.role: {role!r} is not user or assistant")
        if pending:
            results = {b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"}
            if role != "user" or not pending <= results:
                found.append(
                    f"messages.{n}: tool_use ids {sorted(pending)} were found without "
                    "tool_result blocks immediately after"
                )
            pending = set()
        for b, block in enumerate(blocks):
            where = f"messages.{n}.content.{b}"
            if block.get("type") == "text" and not block.get("text"):
                found.append(f"{where}: text content blocks must be non-empty")
            if block.get("type") == "tool_use":
                if not TOOL_USE_ID.match(str(block.get("id", ""))):
                    found.append(f"{where}.id: String should match pattern '^[a-zA-Z0-9_-]+$'")
                if not isinstance(block.get("input"), dict):
                    found.append(f"{where}.input: Input should be a valid dictionary")
                pending.add(block.get("id"))
            if block.get("type") == "thinking" and block.get("signature") != SIGNATURE:
                found.append(f"{where}: Invalid `signature` in `thinking` block")
    thinking = (body.get("thinking") or {}).get("type") in ("enabled", "adaptive")
    if thinking and messages and _in_tool_loop(messages):
        last = next(m for m in reversed(messages) if m.get("role") == "assistant")
        content = last.get("content")
        head = content[0].get("type") if isinstance(content, list) and content else "text"
        if head not in ("thinking", "redacted_thinking"):
            found.append(
                f"Expected `thinking` or `redacted_thinking`, but found `{head}`. When "
                "`thinking` is enabled, a final `assistant` message must start with a thinking "
                "block (preceeding the lastmost set of `tool_use` and `tool_result` blocks)."
            )
    return found


def _in_tool_loop(messages: list[dict[str, Any]]) -> bool:
    """The conversation ends with tool results (the model is mid-way through a tool loop)."""
    content = messages[-1].get("content")
    return isinstance(content, list) and any(b.get("type") == "tool_result" for b in content)


class ScriptedAnthropicUpstream:
    def __init__(self) -> None:
        self.requests: list[AnthropicRecorded] = []
        self.script: list[AnthropicReply | Callable[[Any], AnthropicReply]] = []
        self.default: AnthropicReply | Callable[[Any], AnthropicReply] = text_reply("default")
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/messages", self._handle)
        self.server = ThreadedApp(app)
        self._ids = 0

    @property
    def base_url(self) -> str:
        """What a provider's ``base_url`` is set to (the adapter appends ``/v1/messages``)."""
        return self.server.url

    def start(self) -> ScriptedAnthropicUpstream:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw.decode(errors="replace")
        recorded = AnthropicRecorded(
            request.path, request.query_string, dict(request.headers), body
        )
        self.requests.append(recorded)
        try:
            recorded.problems = problems_of(body)
            if recorded.problems:
                return _error(400, "invalid_request_error", "; ".join(recorded.problems))
            reply = self.script.pop(0) if self.script else self.default
            if callable(reply):
                reply = reply(body)
            if reply.status != 200:
                kind = "rate_limit_error" if reply.status == 429 else "api_error"
                return _error(reply.status, kind, reply.error or "scripted error")
            self._ids += 1
            message = {
                "id": f"msg_cw_{self._ids:03d}",
                "type": "message",
                "role": "assistant",
                "model": body.get("model", "claude-test"),
                "content": reply.blocks,
                "stop_reason": reply.stop_reason,
                "stop_sequence": None,
                "usage": USAGE,
            }
            if not body.get("stream"):
                return web.json_response(message)
            return await self._stream(request, message)
        finally:
            recorded.ended.set()

    async def _stream(self, request: web.Request, message: dict[str, Any]) -> web.StreamResponse:
        response = web.StreamResponse(
            status=200, headers={"content-type": "text/event-stream", "cache-control": "no-cache"}
        )
        await response.prepare(request)
        for event, data in sse_events(message):
            frame = f"event: {event}\ndata: {json.dumps(data)}\n\n"
            await response.write(frame.encode())
            await asyncio.sleep(0)
        await response.write_eof()
        return response


def _error(status: int, kind: str, message: str) -> web.Response:
    body = {"type": "error", "error": {"type": kind, "message": message}}
    return web.json_response(body, status=status, headers={"request-id": "req_cw_anthropic"})


def _halves(text: str) -> list[str]:
    cut = max(1, len(text) // 2)
    return [text[:cut], text[cut:]] if len(text) > 1 else [text]


def sse_events(message: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The event sequence of a streamed message, each block's payload in two deltas."""
    start = dict(message, content=[], stop_reason=None, usage={**USAGE, "output_tokens": 1})
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": start}),
        ("ping", {"type": "ping"}),
    ]
    for i, block in enumerate(message["content"]):
        kind = block["type"]
        first: dict[str, Any]
        if kind == "text":
            first = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": p} for p in _halves(block["text"])]
        elif kind == "thinking":
            first = {"type": "thinking", "thinking": "", "signature": ""}
            deltas = [{"type": "thinking_delta", "thinking": p} for p in _halves(block["thinking"])]
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
        else:  # tool_use
            first = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            payload = json.dumps(block["input"])
            deltas = [{"type": "input_json_delta", "partial_json": p} for p in _halves(payload)]
        events.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": i, "content_block": first},
            )
        )
        events += [
            ("content_block_delta", {"type": "content_block_delta", "index": i, "delta": d})
            for d in deltas
        ]
        events.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    events.append(
        ("message_delta", {"type": "message_delta", "delta": delta, "usage": {"output_tokens": 40}})
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def anthropic_gateway_config(upstream_url: str, *, extra: str = "") -> str:
    """A config with one Anthropic-format provider at ``upstream_url`` and a catch-all route."""
    return f"""
default_model = "main"
[server]
ping_interval = 0.5
log_level = "debug"
[providers.up]
type = "anthropic"
base_url = "{upstream_url}"
api_key = "sk-upstream-secret-key-0001"
[models.main]
provider = "up"
model = "upstream-model"
max_context_size = 200000
capabilities = ["thinking"]
{extra}
"""
