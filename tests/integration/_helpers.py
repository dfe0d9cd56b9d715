"""Shared request bits and an SSE frame parser for the integration tests."""

from __future__ import annotations

import json
from typing import Any

import httpx2 as httpx

from tests.support.servers import chat_completion, chunk

MODEL = "claude-sonnet-4-6"
UPSTREAM_KEY = "sk-upstream-secret-key-0001"
ANTHROPIC_HEADERS = {
    "x-api-key": "client-key",
    "anthropic-version": "2023-06-01",
    "content-type": "application/json",
}
# A 1x1 transparent PNG.
PNG_B64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA"
    "60e6kgAAAABJRU5ErkJggg=="
)

WRITE_TOOL: dict[str, Any] = {
    "name": "Write",
    "description": "Write a file.",
    "input_schema": {
        "type": "object",
        "properties": {"file": {"type": "string"}, "content": {"type": "string"}},
        "required": ["file"],
    },
}
READ_TOOL: dict[str, Any] = {
    "name": "Read",
    "description": "Read a file.",
    "input_schema": {
        "type": "object",
        "properties": {"path": {"type": "string"}},
        "required": ["path"],
    },
}
TOOLS = [WRITE_TOOL, READ_TOOL]


def usage_chunk(prompt: int = 100, completion: int = 12, cached: int = 40) -> dict[str, Any]:
    """The trailing ``choices: []`` usage chunk OpenAI sends with ``include_usage``."""
    return chunk(
        usage={
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached},
        }
    )


def completion_with_cache(text: str, prompt: int, completion: int, cached: int) -> dict[str, Any]:
    body = chat_completion(text, prompt_tokens=prompt, completion_tokens=completion)
    body["usage"]["prompt_tokens_details"] = {"cached_tokens": cached}
    return body


def text_chunks(*pieces: str, finish: str = "stop") -> list[dict[str, Any]]:
    """A streamed text answer: role chunk, one chunk per piece, finish chunk, usage chunk."""
    return [
        chunk({"role": "assistant", "content": ""}),
        *(chunk({"content": p}) for p in pieces),
        chunk({}, finish),
        usage_chunk(),
    ]


def parse_sse(text: str) -> list[tuple[str, Any]]:
    """``[(event, data)]`` from an SSE body; ``data`` is parsed JSON."""
    frames: list[tuple[str, Any]] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        event, data = "", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                event = line[len("event:") :].strip()
            elif line.startswith("data:"):
                data.append(line[len("data:") :].strip())
        if event or data:
            frames.append((event, json.loads("\n".join(data)) if data else None))
    return frames


def raw_stream(http: httpx.Client, body: dict[str, Any], path: str = "/v1/messages") -> Any:
    """POST a streaming request with plain HTTP; returns ``(response, frames)``."""
    response = http.post(path, json={**body, "stream": True}, headers=ANTHROPIC_HEADERS)
    return response, parse_sse(response.text)


def event_names(frames: list[tuple[str, Any]]) -> list[str]:
    return [e for e, _ in frames]


def assert_anthropic_error(response: httpx.Response, status: int, error_type: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == error_type
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body
