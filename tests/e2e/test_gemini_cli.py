"""The real Gemini CLI (npm, pinned) driving a scripted OpenAI Chat upstream through crosswire.

Gemini CLI speaks the Gemini API: with ``GOOGLE_GEMINI_BASE_URL`` pointing at the gateway it
sends ``POST /v1beta/models/<model>:streamGenerateContent?alt=sse`` with ``x-goog-api-key``,
its tools as ``functionDeclarations`` with ``parametersJsonSchema``, and replays each
``functionCall`` part's ``thoughtSignature`` on the next turn (it drops thought parts from its
history). Each test scripts the upstream as a function of the request it receives (the turn
follows from the ``tool`` messages already in the conversation), runs ``gemini -p`` in a fresh
HOME and cwd with an ``env -i``-style environment, then checks every end: the file the agent
wrote, its final text, what the CLI sent the gateway and what the upstream was sent.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from crosswire.formats.opaque import PREFIX
from tests.e2e.harness import (
    GEMINI_CLI_VERSION,
    GEMINI_CLIENT_KEY,
    GEMINI_MODEL,
    PROVIDER_KEY,
    AgentRun,
    GeminiCli,
    GeminiStack,
)
from tests.support.servers import Recorded, Reply, chunk

pytestmark = pytest.mark.e2e

CONTENT = "hi from crosswire"
PROMPT = "Create hello.txt containing 'hi from crosswire'."
WRITE_ID = "functions.write_file:0"  # Kimi-style: not a Gemini id, must round-trip as it is
USAGE = {"prompt_tokens": 1200, "completion_tokens": 40, "total_tokens": 1240}
CLIENT_PATH = f"/v1beta/models/{GEMINI_MODEL}:streamGenerateContent?alt=sse"
SKIP_VALIDATOR = "skip_thought_signature_validator"
"""What Gemini CLI puts in a replayed functionCall's ``thoughtSignature`` when it got none."""


# --------------------------------------------------------------------------- scripting


def _pieces(text: str, n: int) -> list[str]:
    size = max(1, -(-len(text) // n))
    return [text[i : i + size] for i in range(0, len(text), size)]


def streamed_tool_call(
    call_id: str, name: str, arguments: dict[str, Any], *, reasoning: str | None = None
) -> Reply:
    """A streamed Chat Completions tool call: optional reasoning deltas, the call's header, its
    arguments in several fragments, ``finish_reason: tool_calls``, then a usage-only chunk."""
    chunks: list[Any] = [chunk({"role": "assistant", "content": ""})]
    if reasoning:
        chunks += [chunk({"reasoning_content": piece}) for piece in _pieces(reasoning, 3)]
    header = {"index": 0, "id": call_id, "type": "function"}
    chunks.append(chunk({"tool_calls": [{**header, "function": {"name": name, "arguments": ""}}]}))
    chunks += [
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
        for piece in _pieces(json.dumps(arguments), 5)
    ]
    chunks.append(chunk({}, finish_reason="tool_calls"))
    chunks.append(chunk(usage=USAGE))
    return Reply(chunks=chunks)


def streamed_text(text: str, *, reasoning: str | None = None) -> Reply:
    chunks: list[Any] = [chunk({"role": "assistant", "content": ""})]
    if reasoning:
        chunks += [chunk({"reasoning_content": piece}) for piece in _pieces(reasoning, 2)]
    chunks += [chunk({"content": piece}) for piece in _pieces(text, 2)]
    chunks.append(chunk({}, finish_reason="stop"))
    chunks.append(chunk(usage=USAGE))
    return Reply(chunks=chunks)


def tool_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body["messages"] if m.get("role") == "tool"]


def assistant_calls(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body["messages"] if m.get("role") == "assistant" and m.get("tool_calls")]


def gemini_parts(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The parts of a Gemini request's ``contents`` that hold ``kind`` (e.g. functionCall)."""
    return [
        part
        for content in body.get("contents", [])
        for part in content.get("parts", [])
        if kind in part
    ]


def write_then_done(
    path: str, *, reasoning: str | None = None, final_reasoning: str | None = None
) -> Any:
    """Turn 1: a write_file call creating ``path``; turn 2 (after its tool result): "done"."""

    def reply(body: dict[str, Any]) -> Reply:
        if not tool_messages(body):
            arguments = {"file_path": path, "content": CONTENT}
            return streamed_tool_call(WRITE_ID, "write_file", arguments, reasoning=reasoning)
        return streamed_text("done", reasoning=final_reasoning)

    return reply


# --------------------------------------------------------------------------- diagnostics


def _brief(value: Any, limit: int = 300) -> Any:
    """``value`` with long strings shortened (Gemini CLI's prompts are tens of KB)."""
    if isinstance(value, str):
        return value if len(value) <= limit else value[:limit] + f"... ({len(value)} chars)"
    if isinstance(value, list):
        return [_brief(item, limit) for item in value]
    if isinstance(value, dict):
        return {k: _brief(v, limit) for k, v in value.items()}
    return value


def context(run: AgentRun, stack: GeminiStack) -> str:
    """Everything needed to diagnose a failure: the agent's output, what it sent the gateway
    and what the upstream got (the gateway's own log is under "Captured log")."""
    lines = [run.describe(), "--- client (Gemini CLI) requests"]
    for n, recorded in enumerate(stack.clients, 1):
        body = recorded.body if isinstance(recorded.body, dict) else {"_raw": recorded.body}
        settings = {k: v for k, v in body.items() if k not in ("contents", "tools")}
        names = [d.get("name") for t in body.get("tools", []) for d in t["functionDeclarations"]]
        lines.append(f"request {n} {recorded.path}: {json.dumps(_brief(settings))[:600]}")
        lines.append(f"  tools={names}")
        lines += [f"  {json.dumps(_brief(c))[:800]}" for c in body.get("contents", [])]
    lines.append("--- upstream requests")
    for n, recorded in enumerate(stack.upstream.requests, 1):
        body = recorded.body
        settings = {k: v for k, v in body.items() if k not in ("messages", "tools")}
        names = [t.get("function", {}).get("name") for t in body.get("tools", [])]
        lines.append(f"request {n} {recorded.path}: {json.dumps(settings)[:600]} tools={names}")
        lines += [f"  {json.dumps(_brief(m))[:800]}" for m in body.get("messages", [])]
    return "\n".join(lines)


# --------------------------------------------------------------------------- checks


def check_client_requests(clients: list[Recorded]) -> None:
    """What Gemini CLI sent: the streamed Gemini endpoint, its key, its tool declarations."""
    for recorded in clients:
        assert recorded.path == CLIENT_PATH
        headers = {k.lower(): v for k, v in recorded.headers.items()}
        assert headers.get("x-goog-api-key") == GEMINI_CLIENT_KEY
        assert headers.get("user-agent", "").startswith(f"GeminiCLI-tui/{GEMINI_CLI_VERSION}/")
        # the function calls it replays keep the upstream's id (the CLI makes up none)
        calls = gemini_parts(recorded.body, "functionCall")
        assert all(part["functionCall"]["id"] == WRITE_ID for part in calls), calls


def check_upstream_requests(stack: GeminiStack) -> None:
    """Every upstream request: the provider key only, a streamed Chat request, and Gemini
    CLI's ``functionDeclarations`` as the same OpenAI function tools (name, description and
    the ``parametersJsonSchema`` unchanged as ``parameters``)."""
    assert len(stack.upstream.requests) == len(stack.clients)
    for recorded, client in zip(stack.upstream.requests, stack.clients, strict=True):
        assert recorded.path == "/v1/chat/completions"
        headers = {k.lower(): v for k, v in recorded.headers.items()}
        assert headers.get("authorization") == f"Bearer {PROVIDER_KEY}"
        assert "x-goog-api-key" not in headers
        leaked = {k: v for k, v in headers.items() if GEMINI_CLIENT_KEY in v}
        assert not leaked, f"the client key reached the upstream in {leaked}"
        assert GEMINI_CLIENT_KEY not in json.dumps(recorded.body), "the client key is in the body"

        body = recorded.body
        assert body["model"] == "upstream-model"
        assert body["stream"] is True
        declarations = [d for t in client.body["tools"] for d in t["functionDeclarations"]]
        tools = body["tools"]
        assert [t["type"] for t in tools] == ["function"] * len(declarations)
        assert [t["function"]["name"] for t in tools] == [d["name"] for d in declarations]
        for tool, declaration in zip(tools, declarations, strict=True):
            function = tool["function"]
            assert function["description"] == declaration["description"]
            assert function["parameters"] == declaration["parametersJsonSchema"], function["name"]
        write = next(t["function"] for t in tools if t["function"]["name"] == "write_file")
        schema = write["parameters"]
        assert schema["type"] == "object"
        assert schema["properties"]["file_path"]["type"] == "string"
        assert schema["properties"]["content"]["type"] == "string"
        assert sorted(schema["required"]) == ["content", "file_path"]

        # the system instruction and the prompt arrive as system and user messages
        first = body["messages"][0]
        assert first["role"] == "system", first
        assert "non-interactive CLI agent" in json.dumps(first["content"]), first
        prompts = [m for m in body["messages"] if m.get("role") == "user"]
        assert any(PROMPT in json.dumps(m["content"]) for m in prompts)


def check_write_round_trip(body: dict[str, Any], path: str) -> dict[str, Any]:
    """The write_file call comes back to the upstream as issued, directly followed by its
    result as a ``tool`` message with the call's id; returns the assistant message."""
    (call_message,) = assistant_calls(body)
    (call,) = call_message["tool_calls"]
    assert call["id"] == WRITE_ID
    assert call["type"] == "function"
    assert call["function"]["name"] == "write_file"
    assert json.loads(call["function"]["arguments"]) == {"file_path": path, "content": CONTENT}
    (result,) = tool_messages(body)
    assert result["tool_call_id"] == WRITE_ID
    assert isinstance(result["content"], str)
    assert "Successfully created and wrote to new file" in result["content"], result
    assert path in result["content"], result
    messages = body["messages"]
    assert messages[messages.index(call_message) + 1] is result
    return call_message


def _sealed(signature: str) -> bool:
    """``signature`` is a crosswire token (standard base64 of ``cw1.…``), not the CLI's
    placeholder or a Gemini signature."""
    try:
        return base64.b64decode(signature, validate=True).startswith(PREFIX.encode())
    except ValueError:  # binascii.Error
        return False


def check_client_round_trip(body: dict[str, Any], path: str) -> dict[str, Any]:
    """Gemini CLI's turn 2: the model's functionCall with the upstream's id, then the
    functionResponse for it; returns the functionCall part (to look at its signature)."""
    (call_part,) = gemini_parts(body, "functionCall")
    call = call_part["functionCall"]
    assert call["id"] == WRITE_ID
    assert call["name"] == "write_file"
    assert call["args"] == {"file_path": path, "content": CONTENT}
    (response_part,) = gemini_parts(body, "functionResponse")
    response = response_part["functionResponse"]
    assert response["id"] == WRITE_ID
    assert response["name"] == "write_file"
    return call_part


# --------------------------------------------------------------------------- tests


def test_gemini_cli_writes_a_file_through_a_chat_upstream(
    gemini_cli: GeminiCli, make_gemini_stack: Callable[..., GeminiStack]
) -> None:
    """Gemini CLI → /v1beta streamGenerateContent → OpenAI Chat upstream: turn 1 streams a
    write_file call, the CLI writes hello.txt and sends the result back, turn 2 says "done"."""
    stack: GeminiStack = make_gemini_stack()
    cwd = gemini_cli.workspace()
    path = str(cwd / "hello.txt")
    stack.upstream.default = write_then_done(path)

    run = gemini_cli.run(PROMPT, base_url=stack.gateway.url)
    info = context(run, stack)

    assert run.returncode == 0, info
    assert (cwd / "hello.txt").read_text() == CONTENT, info
    assert run.stdout.strip() == "done", info
    assert len(stack.clients) == 2, info
    assert len(stack.upstream.requests) == 2, info
    check_client_requests(stack.clients)
    check_upstream_requests(stack)

    first, second = (r.body for r in stack.upstream.requests)
    assert tool_messages(first) == [] and assistant_calls(first) == [], info
    call_message = check_write_round_trip(second, path)
    call_part = check_client_round_trip(stack.clients[1].body, path)

    # No reasoning anywhere: the CLI got no signature and replays its own placeholder, which
    # is not reasoning to hand back; and no thinking switch for the plain profile.
    assert call_part.get("thoughtSignature") in (None, SKIP_VALIDATOR), call_part
    assert not call_message.get("reasoning_content"), call_message
    assert SKIP_VALIDATOR not in json.dumps(second), info
    for recorded in stack.upstream.requests:
        assert "thinking" not in recorded.body


@pytest.mark.parametrize("profile", ["kimi", "deepseek"])
def test_gemini_cli_replays_reasoning_through_the_thought_signature(
    gemini_cli: GeminiCli, make_gemini_stack: Callable[..., GeminiStack], profile: str
) -> None:
    """A thinking Chat upstream (Kimi, DeepSeek) streams ``reasoning_content`` with the call.
    Gemini CLI keeps no thought parts in its history, so crosswire seals the reasoning into
    the functionCall's ``thoughtSignature``; the CLI replays it, and turn 2's assistant
    message must carry the reasoning back as ``reasoning_content``."""
    stack: GeminiStack = make_gemini_stack(profile=profile, capabilities='["thinking"]')
    cwd = gemini_cli.workspace()
    path = str(cwd / "hello.txt")
    reasoning = "I will write the file with write_file."
    final_reasoning = "The file is written."
    stack.upstream.default = write_then_done(
        path, reasoning=reasoning, final_reasoning=final_reasoning
    )

    run = gemini_cli.run(PROMPT, base_url=stack.gateway.url)
    info = context(run, stack)

    assert run.returncode == 0, info
    assert (cwd / "hello.txt").read_text() == CONTENT, info
    assert run.stdout.strip() == "done", info  # thoughts are not printed as the answer
    assert len(stack.clients) == 2, info
    assert len(stack.upstream.requests) == 2, info
    check_client_requests(stack.clients)
    check_upstream_requests(stack)

    # the CLI got the reasoning sealed in the call's signature and sent it back
    call_part = check_client_round_trip(stack.clients[1].body, path)
    signature = call_part.get("thoughtSignature") or ""
    assert _sealed(signature), f"the replayed functionCall has no sealed signature: {call_part}"

    call_message = check_write_round_trip(stack.upstream.requests[1].body, path)
    assert call_message.get("reasoning_content") == reasoning, info
    if profile == "kimi":
        for recorded in stack.upstream.requests:
            body = recorded.body
            assert body.get("thinking") == {"type": "enabled"}, body.get("thinking")
            assert "temperature" not in body
            assert "top_p" not in body
