"""The real Codex CLI (npm, pinned) driving scripted upstreams through crosswire.

Codex speaks the OpenAI Responses API (``POST /v1/responses``, always streamed; see
tests/fixtures/codex/NOTES.md). Each test scripts the upstream as a function of the request it
receives (the turn follows from the tool results already in the conversation), runs
``codex exec`` in a fresh HOME, CODEX_HOME and cwd with an ``env -i``-style environment, then
checks both ends: the file the agent's shell wrote, its final text, and what the upstream was
sent on every turn.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.anthropic_upstream import (
    SIGNATURE,
    AnthropicRecorded,
    AnthropicReply,
    text_reply,
    tool_use_reply,
)
from tests.e2e.harness import CLIENT_KEY, PROVIDER_KEY, AgentRun, AnthropicStack, Codex, Stack
from tests.support.servers import Recorded, Reply, chat_completion, chunk

pytestmark = pytest.mark.e2e

CONTENT = "hi from crosswire"
PROMPT = "Create hello.txt containing 'hi from crosswire'."
COMMAND = f"printf '{CONTENT}' > hello.txt"
CHAT_CALL_ID = "functions.exec_command:0"  # Kimi-style: must round-trip as Codex's call_id
ANTHROPIC_CALL_ID = "toolu_cw_0001"
PATCH = f"*** Begin Patch\n*** Add File: hello.txt\n+{CONTENT}\n*** End Patch\n"
USAGE = {"prompt_tokens": 1200, "completion_tokens": 40, "total_tokens": 1240}


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


def streamed_text(text: str) -> Reply:
    chunks: list[Any] = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": piece}) for piece in _pieces(text, 2)]
    chunks.append(chunk({}, finish_reason="stop"))
    chunks.append(chunk(usage=USAGE))
    return Reply(chunks=chunks)


def tool_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body["messages"] if m.get("role") == "tool"]


def assistant_calls(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body["messages"] if m.get("role") == "assistant" and m.get("tool_calls")]


def anthropic_blocks(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [
        block
        for message in body["messages"]
        if isinstance(message.get("content"), list)
        for block in message["content"]
        if block.get("type") == kind
    ]


def _text_of(content: Any) -> str:
    """A tool result's text, whether it is a string or a list of text blocks."""
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content or [] if isinstance(part, dict))


# --------------------------------------------------------------------------- diagnostics


def _brief(message: dict[str, Any]) -> dict[str, Any]:
    out = dict(message)
    content = out.get("content")
    if isinstance(content, str) and len(content) > 200:
        out["content"] = content[:200] + f"... ({len(content)} chars)"
    elif isinstance(content, list):
        out["content"] = [
            {k: (v[:120] if isinstance(v, str) else v) for k, v in part.items()}
            if isinstance(part, dict)
            else part
            for part in content
        ]
    return out


def context(run: AgentRun, stack: Stack | AnthropicStack) -> str:
    """Everything needed to diagnose a failure: the agent's output and what the upstream got."""
    lines = [run.describe(), "--- upstream requests"]
    requests: list[Recorded | AnthropicRecorded] = list(stack.upstream.requests)
    for n, recorded in enumerate(requests, 1):
        body = recorded.body if isinstance(recorded.body, dict) else {"_raw": recorded.body}
        settings = {k: v for k, v in body.items() if k not in ("messages", "tools", "system")}
        names = [t.get("name") or t.get("function", {}).get("name") for t in body.get("tools", [])]
        lines.append(f"request {n} {recorded.path}: {json.dumps(settings)[:600]} tools={names}")
        if isinstance(recorded, AnthropicRecorded) and recorded.problems:
            lines.append(f"  answered 400: {recorded.problems}")
        lines += [f"  {json.dumps(_brief(m))[:800]}" for m in body.get("messages", [])]
    return "\n".join(lines)


# --------------------------------------------------------------------------- checks


def check_no_client_key(headers: dict[str, str], body: Any) -> None:
    lowered = {k.lower(): v for k, v in headers.items()}
    leaked = {k: v for k, v in lowered.items() if CLIENT_KEY in v.lower()}
    assert not leaked, f"the client key reached the upstream in {leaked}"
    assert f"Bearer {CLIENT_KEY}" not in json.dumps(body)


def check_chat_requests(requests: list[Recorded]) -> None:
    for recorded in requests:
        assert recorded.path == "/v1/chat/completions"
        headers = {k.lower(): v for k, v in recorded.headers.items()}
        assert headers.get("authorization") == f"Bearer {PROVIDER_KEY}"
        check_no_client_key(recorded.headers, recorded.body)
        body = recorded.body
        assert body["model"] == "upstream-model"
        assert body["stream"] is True
        kinds = {tool.get("type") for tool in body.get("tools", [])}
        assert kinds == {"function"}, f"non-function tools reached a Chat upstream: {kinds}"
        names = [tool["function"]["name"] for tool in body["tools"]]
        assert "exec_command" in names, names
        # Codex's instructions are developer messages: they must arrive as the system prompt
        first = body["messages"][0]
        assert first["role"] in ("system", "developer"), first
        assert "Codex" in json.dumps(first["content"])
        prompts = [m for m in body["messages"] if m.get("role") == "user"]
        assert any("hi from crosswire" in json.dumps(m["content"]) for m in prompts)


def check_exec_round_trip(body: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """The exec_command call comes back to the Chat upstream as issued, then its result."""
    call_message = assistant_calls(body)[0]
    (call,) = call_message["tool_calls"]
    assert call["id"] == CHAT_CALL_ID
    assert call["type"] == "function"
    assert call["function"]["name"] == "exec_command"
    assert json.loads(call["function"]["arguments"]) == arguments
    (result,) = tool_messages(body)
    assert result["tool_call_id"] == CHAT_CALL_ID
    assert "Process exited with code 0" in _text_of(result["content"]), result
    messages = body["messages"]
    assert messages[messages.index(call_message) + 1] is result
    return call_message


# --------------------------------------------------------------------------- tests


def test_codex_runs_a_shell_command_through_a_chat_upstream(
    codex: Codex, make_stack: Callable[..., Stack]
) -> None:
    """Codex → /v1/responses → OpenAI Chat upstream: turn 1 streams an exec_command call that
    writes hello.txt, Codex runs it and sends the output back, turn 2 answers "done"."""
    stack: Stack = make_stack()
    cwd = codex.workspace()
    arguments = {"cmd": COMMAND, "workdir": str(cwd)}

    def reply(body: dict[str, Any]) -> Reply:
        if not tool_messages(body):
            return streamed_tool_call(CHAT_CALL_ID, "exec_command", arguments)
        return streamed_text("done")

    stack.upstream.default = reply
    run = codex.run(PROMPT, base_url=stack.gateway.url)
    info = context(run, stack)

    assert run.returncode == 0, info
    assert (cwd / "hello.txt").read_text() == CONTENT, info
    assert run.stdout.strip() == "done", info
    requests = stack.upstream.requests
    assert len(requests) == 2, info
    check_chat_requests(requests)
    first, second = (r.body for r in requests)
    assert tool_messages(first) == [] and assistant_calls(first) == [], info
    check_exec_round_trip(second, arguments)


def test_codex_reasoning_is_replayed_to_a_thinking_chat_upstream(
    codex: Codex, make_stack: Callable[..., Stack]
) -> None:
    """Kimi thinking: the reasoning streamed with the call reaches Codex as a reasoning item
    (sealed in ``encrypted_content``), Codex replays it, and the gateway must put it back on
    the assistant tool-call message as ``reasoning_content``."""
    stack: Stack = make_stack(profile="kimi", capabilities='["thinking"]')
    cwd = codex.workspace()
    arguments = {"cmd": COMMAND, "workdir": str(cwd)}
    reasoning = "I will write the file with printf."

    def reply(body: dict[str, Any]) -> Reply:
        if not tool_messages(body):
            return streamed_tool_call(CHAT_CALL_ID, "exec_command", arguments, reasoning=reasoning)
        return streamed_text("done")

    stack.upstream.default = reply
    run = codex.run(PROMPT, base_url=stack.gateway.url)
    info = context(run, stack)

    assert run.returncode == 0, info
    assert (cwd / "hello.txt").read_text() == CONTENT, info
    assert run.stdout.strip() == "done", info
    requests = stack.upstream.requests
    assert len(requests) == 2, info
    check_chat_requests(requests)
    call_message = check_exec_round_trip(requests[1].body, arguments)
    assert call_message.get("reasoning_content") == reasoning, info


def test_codex_freeform_apply_patch_through_a_chat_upstream(
    codex: Codex, make_stack: Callable[..., Stack]
) -> None:
    """gpt-5.5 gets Codex's freeform ``apply_patch`` (a ``custom`` tool with a lark grammar).
    A Chat upstream sees it as a function; its call must reach Codex as a ``custom_tool_call``
    whose ``input`` is the raw patch, and the patch result must come back as a tool message."""
    stack: Stack = make_stack()
    cwd = codex.workspace()

    def reply(body: dict[str, Any]) -> Reply:
        if not tool_messages(body):
            return streamed_tool_call(CHAT_CALL_ID, "apply_patch", {"input": PATCH})
        return streamed_text("done")

    stack.upstream.default = reply
    run = codex.run(PROMPT, base_url=stack.gateway.url, model="gpt-5.5")
    info = context(run, stack)

    assert run.returncode == 0, info
    assert (cwd / "hello.txt").read_text() == CONTENT + "\n", info
    assert run.stdout.strip() == "done", info
    requests = stack.upstream.requests
    assert len(requests) == 2, info
    for recorded in requests:
        assert recorded.path == "/v1/chat/completions"
        check_no_client_key(recorded.headers, recorded.body)
        tools = {t["function"]["name"]: t for t in recorded.body["tools"]}
        assert "apply_patch" in tools, info
        assert {t["type"] for t in recorded.body["tools"]} == {"function"}
    second = requests[1].body
    (call,) = assistant_calls(second)[0]["tool_calls"]
    assert call["id"] == CHAT_CALL_ID
    assert call["function"]["name"] == "apply_patch"
    assert json.loads(call["function"]["arguments"]) == {"input": PATCH}
    (result,) = tool_messages(second)
    assert result["tool_call_id"] == CHAT_CALL_ID
    assert "hello.txt" in _text_of(result["content"]), result


def test_codex_runs_a_shell_command_through_an_anthropic_upstream(
    codex: Codex, make_anthropic_stack: Callable[..., AnthropicStack]
) -> None:
    """Codex → /v1/responses → Anthropic Messages upstream (provider ``type = "anthropic"``):
    the same two-turn task, with a streamed thinking block and ``tool_use``, and the
    ``tool_result`` coming back. Thinking is on, so (as on the real API) turn 2 is refused
    unless the assistant turn starts with the signed thinking block: it has to survive the
    trip through Codex's ``reasoning`` item (``encrypted_content``) byte for byte."""
    stack: AnthropicStack = make_anthropic_stack()
    cwd = codex.workspace()
    arguments = {"cmd": COMMAND, "workdir": str(cwd)}
    thinking = "I will write the file with printf."

    def reply(body: dict[str, Any]) -> AnthropicReply:
        if not anthropic_blocks(body, "tool_result"):
            return tool_use_reply(ANTHROPIC_CALL_ID, "exec_command", arguments, thinking=thinking)
        return text_reply("done")

    stack.upstream.default = reply
    run = codex.run(PROMPT, base_url=stack.gateway.url)
    info = context(run, stack)

    assert run.returncode == 0, info
    assert (cwd / "hello.txt").read_text() == CONTENT, info
    assert run.stdout.strip() == "done", info
    requests = stack.upstream.requests
    assert len(requests) == 2, info
    for recorded in requests:
        assert not recorded.problems, info
        assert recorded.path == "/v1/messages"
        headers = {k.lower(): v for k, v in recorded.headers.items()}
        assert headers.get("x-api-key") == PROVIDER_KEY
        assert headers.get("anthropic-version") == "2023-06-01"
        check_no_client_key(recorded.headers, recorded.body)
        body = recorded.body
        assert body["model"] == "upstream-model"
        assert body["stream"] is True
        assert isinstance(body["max_tokens"], int) and body["max_tokens"] > 0
        assert "Codex" in json.dumps(body.get("system")), "the developer prompt was lost"
        names = [tool.get("name") for tool in body.get("tools", [])]
        assert "exec_command" in names, names
        assert all("input_schema" in tool for tool in body["tools"]), "a hosted tool leaked"
        assert body["messages"][0]["role"] == "user"

    first, second = (r.body for r in requests)
    assert not anthropic_blocks(first, "tool_use"), info
    (tool_use,) = anthropic_blocks(second, "tool_use")
    assert tool_use["id"] == ANTHROPIC_CALL_ID
    assert tool_use["name"] == "exec_command"
    assert tool_use["input"] == arguments
    (result,) = anthropic_blocks(second, "tool_result")
    assert result["tool_use_id"] == ANTHROPIC_CALL_ID
    assert "Process exited with code 0" in _text_of(result.get("content")), result
    messages = second["messages"]
    call_at = next(i for i, m in enumerate(messages) if tool_use in (m.get("content") or []))
    assert messages[call_at]["role"] == "assistant"
    head = messages[call_at]["content"][0]
    assert head == {"type": "thinking", "thinking": thinking, "signature": SIGNATURE}, info
    assert messages[call_at + 1]["role"] == "user"
    assert messages[call_at + 1]["content"][0] == result  # tool_result heads the next user turn


def test_codex_namespaced_tool_call_reaches_its_namespace(
    codex: Codex, make_stack: Callable[..., Stack]
) -> None:
    """Codex's ``namespace`` tools reach a Chat upstream as flat functions; a call to one must
    come back to Codex as ``function_call {namespace, name}`` (Codex answers "unsupported
    call" to the bare or the flat name), and be replayed to the upstream under the flat name."""
    stack: Stack = make_stack()
    flat: list[str] = []

    def reply(body: dict[str, Any]) -> Reply:
        if not tool_messages(body):
            names = [tool["function"]["name"] for tool in body["tools"]]
            flat.extend(name for name in names if name.endswith("close_agent"))
            assert flat, f"no close_agent tool among {names}"
            return streamed_tool_call(CHAT_CALL_ID, flat[0], {"target": "nope"})
        return streamed_text("done")

    stack.upstream.default = reply
    run = codex.run("Close the agent called nope.", base_url=stack.gateway.url)
    info = context(run, stack)

    assert run.returncode == 0, info
    assert run.stdout.strip() == "done", info
    requests = stack.upstream.requests
    assert len(requests) == 2, info
    assert flat[0] != "close_agent" and "multi_agent_v1" in flat[0], flat
    second = requests[1].body
    (call,) = assistant_calls(second)[0]["tool_calls"]
    assert call["function"]["name"] == flat[0]
    (result,) = tool_messages(second)
    output = _text_of(result["content"])
    assert "unsupported call" not in output, info
    assert "invalid agent id nope" in output, info  # close_agent itself ran and refused "nope"


def test_codex_gets_a_stream_when_the_upstream_answers_json(
    codex: Codex, make_stack: Callable[..., Stack]
) -> None:
    """Codex only reads SSE (a JSON body is "stream closed before response.completed"): an
    upstream that ignores ``stream: true`` and answers one JSON object must still reach Codex
    as a stream."""
    stack: Stack = make_stack()
    cwd = codex.workspace()
    arguments = {"cmd": COMMAND, "workdir": str(cwd)}

    def reply(body: dict[str, Any]) -> Reply:
        if not tool_messages(body):
            call = {
                "id": CHAT_CALL_ID,
                "type": "function",
                "function": {"name": "exec_command", "arguments": json.dumps(arguments)},
            }
            return Reply(json_body=chat_completion(tool_calls=[call]))
        return Reply(json_body=chat_completion("done"))

    stack.upstream.default = reply
    run = codex.run(PROMPT, base_url=stack.gateway.url)
    info = context(run, stack)

    assert run.returncode == 0, info
    assert (cwd / "hello.txt").read_text() == CONTENT, info
    assert run.stdout.strip() == "done", info
    requests = stack.upstream.requests
    assert len(requests) == 2, info
    check_exec_round_trip(requests[1].body, arguments)


def test_codex_stream_cut_inside_tool_arguments_runs_no_truncated_call(
    codex: Codex, make_stack: Callable[..., Stack]
) -> None:
    """The upstream drops the connection in the middle of the call's ``cmd`` (no
    finish_reason, no [DONE]). The gateway must not end Codex's stream with
    ``response.completed``: Codex then reconnects, re-sends the turn and runs the whole call.
    A cut call that Codex did run would write "hi fr" into hello.txt."""
    stack: Stack = make_stack()
    cwd = codex.workspace()
    arguments = {"cmd": COMMAND, "workdir": str(cwd)}
    text = json.dumps(arguments)
    cut = text[: text.index(CONTENT) + len("hi fr")]
    dropped: list[bool] = []

    def reply(body: dict[str, Any]) -> Reply:
        if not tool_messages(body) and not dropped:
            dropped.append(True)
            header = {"index": 0, "id": CHAT_CALL_ID, "type": "function"}
            function = {"name": "exec_command", "arguments": ""}
            chunks = [
                chunk({"role": "assistant", "content": ""}),
                chunk({"tool_calls": [{**header, "function": function}]}),
                *(
                    chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
                    for piece in _pieces(cut, 4)
                ),
            ]
            return Reply(chunks=chunks, done=False)
        if not tool_messages(body):
            return streamed_tool_call(CHAT_CALL_ID, "exec_command", arguments)
        return streamed_text("done")

    stack.upstream.default = reply
    run = codex.run(PROMPT, base_url=stack.gateway.url)
    info = context(run, stack)

    assert run.returncode == 0, info
    for recorded in stack.upstream.requests:
        for message in assistant_calls(recorded.body):
            for call in message["tool_calls"]:
                assert json.loads(call["function"]["arguments"]) == arguments, info
    assert (cwd / "hello.txt").read_text() == CONTENT, info
    assert run.stdout.strip() == "done", info
    assert len(stack.upstream.requests) == 3, info  # the cut turn, its retry, the final turn


def test_codex_retries_an_upstream_500_and_shows_an_upstream_400(
    codex: Codex, make_stack: Callable[..., Stack]
) -> None:
    """Upstream errors reach Codex as OpenAI error envelopes with the right status: a 500 is
    retried by Codex (and the task completes), a 400 ends the run with its message shown."""
    stack: Stack = make_stack()
    cwd = codex.workspace()
    arguments = {"cmd": COMMAND, "workdir": str(cwd)}
    server_error = {"error": {"message": "upstream exploded", "type": "server_error"}}
    failed: list[bool] = []

    def reply(body: dict[str, Any]) -> Reply:
        if not failed:
            failed.append(True)
            return Reply(status=500, json_body=server_error)
        if not tool_messages(body):
            return streamed_tool_call(CHAT_CALL_ID, "exec_command", arguments)
        return streamed_text("done")

    stack.upstream.default = reply
    run = codex.run(PROMPT, base_url=stack.gateway.url)
    info = context(run, stack)
    assert run.returncode == 0, info
    assert (cwd / "hello.txt").read_text() == CONTENT, info
    assert len(stack.upstream.requests) == 3, info

    stack.upstream.requests.clear()
    bad_request = {
        "error": {"message": "Invalid 'tools': scripted refusal", "type": "invalid_request_error"}
    }
    stack.upstream.default = Reply(status=400, json_body=bad_request)
    run = codex.run("Say hi.", base_url=stack.gateway.url)
    info = context(run, stack)
    assert run.returncode == 1, info
    assert "scripted refusal" in run.stderr, info
    assert len(stack.upstream.requests) == 1, info  # a 400 is not retried
