"""Request bodies arrive in pieces: split across TCP writes, chunked, or over the size limit."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx2 as httpx
import pytest

from tests.support.servers import Reply, ScriptedOpenAIUpstream, ThreadedApp

BIG_TEXT = "lorem ipsum " * 20_000  # ~240 KB


def _body() -> bytes:
    return json.dumps(
        {"model": "main", "max_tokens": 16, "messages": [{"role": "user", "content": BIG_TEXT}]}
    ).encode()


def test_body_split_across_slow_writes(
    gateway: ThreadedApp, upstream: ScriptedOpenAIUpstream
) -> None:
    upstream.reset(Reply.text("got it"))
    body = _body()
    head = (
        "POST /v1/messages HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", gateway.port)) as sock:
        sock.sendall(head)
        for i in range(0, len(body), 50_000):
            sock.sendall(body[i : i + 50_000])
            time.sleep(0.02)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert b"got it" in answer
    assert upstream.requests[0].body["messages"][0]["content"] == BIG_TEXT


def test_chunked_body(gateway: ThreadedApp, upstream: ScriptedOpenAIUpstream) -> None:
    upstream.reset(Reply.text("chunked ok"))
    body = _body()

    def pieces() -> Iterator[bytes]:
        for i in range(0, len(body), 30_000):
            yield body[i : i + 30_000]

    response = httpx.post(
        gateway.url + "/v1/messages",
        content=pieces(),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["content"][0]["text"] == "chunked ok"


@pytest.mark.parametrize("chunked", [False, True])
def test_oversized_body_is_413_in_client_format(gateway: ThreadedApp, chunked: bool) -> None:
    huge = b'{"model": "main", "messages": [], "pad": "' + b"x" * (33 * 1024 * 1024) + b'"}'
    content: bytes | Iterator[bytes] = huge
    if chunked:
        content = iter([huge[i : i + 1 << 20] for i in range(0, len(huge), 1 << 20)])
    response = httpx.post(
        gateway.url + "/v1/messages",
        content=content,
        headers={"content-type": "application/json", "anthropic-version": "2023-06-01"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "request_too_large"
