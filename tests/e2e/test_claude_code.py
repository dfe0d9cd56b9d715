"""The real Claude Code CLI (npm, pinned) driving a scripted OpenAI Chat upstream through crosswire.

Each test scripts the upstream as a function of the request it receives (which turn it is
follows from the ``tool`` messages already in the conversation), runs ``claude -p`` in a fresh
HOME and cwd with an ``env -i``-style environment, then checks both ends: the files the agent
wrote and its final text, and exactly what the upstream was sent on every turn.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import CLIENT_KEY, PROVIDER_KEY, AgentRun, ClaudeCode, Stack
from tests.support.servers import Recorded, Reply, chat_completion, chunk

pytestmark = pytest.mark.e2e

CONTENT = "hi from crosswire"
WRITE_ID = "functions.Write:0"  # Kimi-style ids: not valid Anthropic ids, must round-trip
READ_ID = "functions.Read:1"
USAGE = {"prompt_tokens": 1200, "completion_tokens": 40, "total_tokens": 1240}


# --------------------------------------------------------------------------- scripting


def _pieces(text: str, n: int) -> list[str]:
    size = max(1, -(-len(text) // n))
    return [text[i : i + size] for i in range(0, len(text), size)]


def streamed_tool_call(
    call_id: str, name: str, arguments: dict[str, Any], *, reasoning: str | None = None
) -> Reply:
    """A Kimi-like streamed tool call: reasoning deltas, the call's header, its arguments in
    several fragments, ``finish_reason: tool_calls``, then a usage-only chunk."""
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
        chunks.append(chunk({"reasoning_content": reasoning}))
    chunks += [chunk({"content": piece}) for piece in _pieces(text, 2)]
    chunks.append(chunk({}, finish_reason="stop"))
    chunks.append(chunk(usage=USAGE))
    return Reply(chunks=chunks)


def tool_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body["messages"] if m.get("role") == "tool"]


def assistant_calls(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body["messages"] if m.get("role") == "assistant" and m.get("tool_calls")]


# --------------------------------------------------------------------------- checks


def _brief(message: dict[str, Any]) -> dict[str, Any]:
    """A message with long texts shortened (Claude Code's prompts are tens of KB)."""
    out = dict(message)
    content = out.get("content")
    if isinstance(content, str) and len(content) > 200:
        out["content"] = content[:200] + f"... ({len(content)} chars)"
    elif isinstance(content, list):
        out["content"] = f"[{len(content)} parts]"
    return out


def context(run: AgentRun, stack: Stack) -> str:
    """Everything needed to diagnose a failure: the agent's output and what the upstream got."""
    lines = [run.describe(), "--- upstream requests"]
    for n, recorded in enumerate(stack.upstream.requests, 1):
        body = recorded.body
        settings = {k: v for k, v in body.items() if k not in ("messages", "tools")}
        lines.append(f"request {n}: {json.dumps(settings)} tools={len(body.get('tools', []))}")
        lines += [f"  {json.dumps(_brief(m))}" for m in body.get("messages", [])]
    return "\n".join(lines)


def check_headers(requests: list[Recorded]) -> None:
    for recorded in requests:
        assert recorded.path == "/v1/chat/completions"
        headers = {k.lower(): v for k, v in recorded.headers.items()}
        assert headers.get("authorization") == f"Bearer {PROVIDER_KEY}"
        leaked = {k: v for k, v in headers.items() if CLIENT_KEY in v.lower()}
        assert not leaked, f"the client key reached the upstream in {leaked}"
        assert "x-api-key" not in headers


def check_write_round_trip(body: dict[str, Any], cwd: Path) -> None:
    """The Write call comes back to the upstream as it was issued, with its tool result."""
    call_message = assistant_calls(body)[0]
    (call,) = call_message["tool_calls"]
    assert call["id"] == WRITE_ID
    assert call["type"] == "function"
    assert call["function"]["name"] == "Write"
    assert json.loads(call["function"]["arguments"]) == {
        "file_path": str(cwd / "hello.txt"),
        "content": CONTENT,
    }
    result = tool_messages(body)[0]
    assert result["tool_call_id"] == WRITE_ID
    assert isinstance(result["content"], str)
    assert "hello.txt" in result["content"], result
    # the tool message directly follows the assistant message holding the call
    messages = body["messages"]
    assert messages[messages.index(call_message) + 1] is result


def check_stream_bodies(requests: list[Recorded]) -> None:
    for recorded in requests:
        body = recorded.body
        assert body["model"] == "upstream-model"
        assert body["stream"] is True
        assert body["tools"], "Claude Code's tools were not forwarded"
        assert any(t["function"]["name"] == "Write" for t in body["tools"])


# --------------------------------------------------------------------------- tests


def test_write_then_read_without_reasoning(claude_code: ClaudeCode, make_stack) -> None:
    """Three turns, two tool round trips: Write hello.txt, Read it back, answer "done"."""
    stack: Stack = make_stack()
    cwd = claude_code.workspace()
    path = str(cwd / "hello.txt")

    def reply(body: dict[str, Any]) -> Reply:
        done = len(tool_messages(body))
        if done == 0:
            return streamed_tool_call(WRITE_ID, "Write", {"file_path": path, "content": CONTENT})
        if done == 1:
            return streamed_tool_call(READ_ID, "Read", {"file_path": path})
        return streamed_text("done")

    stack.upstream.default = reply
    run = claude_code.run(
        "Create hello.txt containing 'hi from crosswire', then read it back.",
        base_url=stack.gateway.url,
        allowed_tools=("Write", "Read"),
    )
    info = context(run, stack)

    assert run.returncode == 0, info
    assert (cwd / "hello.txt").read_text() == CONTENT, info
    assert "done" in run.stdout, info
    requests = stack.upstream.requests
    assert len(requests) == 3, info
    check_headers(requests)
    check_stream_bodies(requests)

    first, second, third = (r.body for r in requests)
    assert tool_messages(first) == [] and assistant_calls(first) == [], info
    assert first["messages"][-1]["role"] in ("user", "system")
    check_write_round_trip(second, cwd)
    check_write_round_trip(third, cwd)
    assert len(tool_messages(second)) == 1

    read_message = assistant_calls(third)[1]
    (read_call,) = read_message["tool_calls"]
    assert read_call["id"] == READ_ID
    assert read_call["function"]["name"] == "Read"
    assert json.loads(read_call["function"]["arguments"]) == {"file_path": path}
    read_result = tool_messages(third)[1]
    assert read_result["tool_call_id"] == READ_ID
    assert CONTENT in read_result["content"], info  # the file's text went back to the model

    # no reasoning anywhere: nothing to replay, and no thinking switch for the plain profile
    for body in (second, third):
        for message in assistant_calls(body):
            assert not message.get("reasoning_content"), message
    assert "thinking" not in first


def test_reasoning_is_replayed_on_tool_call_turns(claude_code: ClaudeCode, make_stack) -> None:
    """Kimi thinking: each assistant tool-call turn must come back with its reasoning_content."""
    stack: Stack = make_stack(profile="kimi", capabilities='["thinking"]')
    cwd = claude_code.workspace()
    path = str(cwd / "hello.txt")
    write_reasoning = "I will write the file."
    read_reasoning = "Now I read it back to check."

    def reply(body: dict[str, Any]) -> Reply:
        done = len(tool_messages(body))
        if done == 0:
            args = {"file_path": path, "content": CONTENT}
            return streamed_tool_call(WRITE_ID, "Write", args, reasoning=write_reasoning)
        if done == 1:
            args = {"file_path": path}
            return streamed_tool_call(READ_ID, "Read", args, reasoning=read_reasoning)
        return streamed_text("done", reasoning="The file is correct.")

    stack.upstream.default = reply
    run = claude_code.run(
        "Create hello.txt containing 'hi from crosswire', then read it back.",
        base_url=stack.gateway.url,
        allowed_tools=("Write", "Read"),
    )
    info = context(run, stack)

    assert run.returncode == 0, info
    assert (cwd / "hello.txt").read_text() == CONTENT, info
    assert "done" in run.stdout, info
    requests = stack.upstream.requests
    assert len(requests) == 3, info
    check_headers(requests)
    check_stream_bodies(requests)

    for recorded in requests:
        body = recorded.body
        assert body.get("thinking") == {"type": "enabled"}, body.get("thinking")
        assert "temperature" not in body
        assert "top_p" not in body

    second, third = requests[1].body, requests[2].body
    check_write_round_trip(second, cwd)
    (write_turn,) = assistant_calls(second)
    assert write_turn.get("reasoning_content") == write_reasoning, info

    write_turn, read_turn = assistant_calls(third)
    assert write_turn.get("reasoning_content") == write_reasoning, info
    assert read_turn.get("reasoning_content") == read_reasoning, info
    assert read_turn["tool_calls"][0]["id"] == READ_ID
    assert CONTENT in tool_messages(third)[1]["content"], info


def test_upstream_answering_json_to_a_stream_request(claude_code: ClaudeCode, make_stack) -> None:
    """An upstream that ignores ``stream: true`` and answers one JSON body still works."""
    stack: Stack = make_stack()
    cwd = claude_code.workspace()
    path = str(cwd / "hello.txt")

    def reply(body: dict[str, Any]) -> Reply:
        if not tool_messages(body):
            call = {
                "id": WRITE_ID,
                "type": "function",
                "function": {
                    "name": "Write",
                    "arguments": json.dumps({"file_path": path, "content": CONTENT}),
                },
            }
            return Reply(json_body=chat_completion(tool_calls=[call]))
        return Reply(json_body=chat_completion("done"))

    stack.upstream.default = reply
    run = claude_code.run(
        "Create hello.txt containing 'hi from crosswire'.", base_url=stack.gateway.url
    )
    info = context(run, stack)

    assert run.returncode == 0, info
    assert (cwd / "hello.txt").read_text() == CONTENT, info
    assert "done" in run.stdout, info
    requests = stack.upstream.requests
    assert len(requests) == 2, info
    check_headers(requests)
    check_write_round_trip(requests[1].body, cwd)


def write_then_done(path: str) -> Any:
    """The two-turn Write task, answered in whatever form each request asks for."""

    def reply(body: dict[str, Any]) -> Reply:
        arguments = {"file_path": path, "content": CONTENT}
        if body.get("stream"):
            if not tool_messages(body):
                return streamed_tool_call(WRITE_ID, "Write", arguments)
            return streamed_text("done")
        if not tool_messages(body):
            call = {
                "id": WRITE_ID,
                "type": "function",
                "function": {"name": "Write", "arguments": json.dumps(arguments)},
            }
            return Reply(json_body=chat_completion(tool_calls=[call]))
        return Reply(json_body=chat_completion("done"))

    return reply


def test_claude_code_falls_back_to_non_streaming(claude_code: ClaudeCode, make_stack) -> None:
    """A 404 on the streamed request makes Claude Code retry the same turn with ``stream:
    false``; the gateway's JSON path must carry the tool call and the final text too."""
    stack: Stack = make_stack()
    cwd = claude_code.workspace()
    normal = write_then_done(str(cwd / "hello.txt"))

    def reply(body: dict[str, Any]) -> Reply:
        if body.get("stream"):
            error = {"error": {"message": "streaming is not supported", "type": "not_found"}}
            return Reply(status=404, json_body=error)
        return normal(body)

    stack.upstream.default = reply
    run = claude_code.run(
        "Create hello.txt containing 'hi from crosswire'.", base_url=stack.gateway.url
    )
    info = context(run, stack)

    assert run.returncode == 0, info
    assert (cwd / "hello.txt").read_text() == CONTENT, info
    assert "done" in run.stdout, info
    requests = stack.upstream.requests
    streamed = [bool(r.body.get("stream")) for r in requests]
    assert streamed == [True, False, True, False], info  # each turn: 404, then the JSON retry
    check_headers(requests)
    check_write_round_trip(requests[3].body, cwd)


def test_stream_cut_inside_tool_arguments_runs_no_truncated_call(
    claude_code: ClaudeCode, make_stack
) -> None:
    """The upstream connection drops in the middle of the Write call's ``content`` string (no
    finish_reason, no [DONE]). The cut call must not reach Claude Code as a complete one:
    without it, Claude Code retries the turn (non-streaming) and writes the full content."""
    stack: Stack = make_stack()
    cwd = claude_code.workspace()
    path = str(cwd / "hello.txt")
    normal = write_then_done(path)
    arguments = json.dumps({"file_path": path, "content": CONTENT})
    cut = arguments[: arguments.index(CONTENT) + len("hi from cr")]
    dropped: list[bool] = []

    def reply(body: dict[str, Any]) -> Reply:
        if body.get("stream") and not tool_messages(body) and not dropped:
            dropped.append(True)
            header = {"index": 0, "id": WRITE_ID, "type": "function"}
            chunks = [
                chunk({"role": "assistant", "content": ""}),
                chunk({"tool_calls": [{**header, "function": {"name": "Write", "arguments": ""}}]}),
                *(
                    chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
                    for piece in _pieces(cut, 4)
                ),
            ]
            return Reply(chunks=chunks, done=False)
        return normal(body)

    stack.upstream.default = reply
    run = claude_code.run(
        "Create hello.txt containing 'hi from crosswire'.", base_url=stack.gateway.url
    )
    info = context(run, stack)

    assert run.returncode == 0, info
    for recorded in stack.upstream.requests:
        for message in assistant_calls(recorded.body):
            for call in message["tool_calls"]:
                assert json.loads(call["function"]["arguments"]) == json.loads(arguments), info
    assert (cwd / "hello.txt").read_text() == CONTENT, info
    assert "done" in run.stdout, info


def test_length_cut_inside_tool_arguments_runs_no_truncated_call(
    claude_code: ClaudeCode, make_stack
) -> None:
    """The upstream hits its token limit in the middle of the Write call's ``content``.

    Against the Anthropic API itself, Claude Code gets the cut JSON as it is, refuses to run
    the call ("input that could not be parsed as JSON") and tells the model; the gateway must
    not turn the cut call into a valid-looking one that writes "hi from cr" to the file."""
    stack: Stack = make_stack()
    cwd = claude_code.workspace()
    path = str(cwd / "hello.txt")
    arguments = json.dumps({"file_path": path, "content": CONTENT})
    cut = arguments[: arguments.index(CONTENT) + len("hi from cr")]

    def reply(body: dict[str, Any]) -> Reply:
        if tool_messages(body):
            return streamed_text("done")
        header = {"index": 0, "id": WRITE_ID, "type": "function"}
        chunks = [
            chunk({"role": "assistant", "content": ""}),
            chunk({"tool_calls": [{**header, "function": {"name": "Write", "arguments": ""}}]}),
            *(
                chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
                for piece in _pieces(cut, 4)
            ),
            chunk({}, finish_reason="length"),
            chunk(usage=USAGE),
        ]
        return Reply(chunks=chunks)

    stack.upstream.default = reply
    run = claude_code.run(
        "Create hello.txt containing 'hi from crosswire'.", base_url=stack.gateway.url
    )
    info = context(run, stack)

    assert run.returncode == 0, info
    written = cwd / "hello.txt"
    assert not written.exists() or written.read_text() == CONTENT, info
