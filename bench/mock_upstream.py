"""A fast mock upstream for the benchmark (run as its own process): OpenAI Chat Completions
and Anthropic Messages.

A raw asyncio Protocol HTTP/1.1 server on uvloop with keep-alive: every response is
precomputed bytes, so the mock costs a few microseconds per request and is never the
bottleneck. It answers ``POST .../chat/completions`` (any prefix):

- non-stream (the body does not contain ``"stream":true``): one ``chat.completion`` JSON;
- stream: chunked ``text/event-stream``: role chunk, ``--deltas`` content deltas, finish
  chunk, usage chunk, ``data: [DONE]``.

and ``POST .../v1/messages`` (any prefix), Anthropic Messages:

- non-stream: one ``message`` JSON (one text block, ``end_turn``, usage);
- stream: chunked ``text/event-stream`` with Anthropic's event grammar, one event per HTTP
  chunk: ``message_start``, ``content_block_start`` (text), ``ping``, ``--deltas``
  ``content_block_delta`` (``text_delta``), ``content_block_stop``, ``message_delta``
  (``stop_reason``, usage), ``message_stop``. The first write (what ``hold``/``gap`` send
  before pausing) is ``message_start`` + ``content_block_start`` + ``ping``, as Anthropic's
  API sends them together.

Options, by path prefix (so they can live in a provider's ``base_url``), query or header:

- ``/hold/<seconds>/...``, ``?hold=<seconds>`` or ``x-mock-hold: <seconds>``: send the headers
  and the role chunk at once, the rest after ``seconds`` (keeps streams open for the
  1,000-open-streams test);
- ``/gap/<ms>/...``, ``?gap=<ms>`` or ``x-mock-gap: <ms>``: same with milliseconds (TTFB test:
  the first chunk is isolated from the rest);
- ``GET /_last``: the last chat or messages body received (to send the gateway's exact
  upstream request directly, for the baseline); ``GET /_stats``: request counters; ``GET /health``.

Usage: ``python bench/mock_upstream.py --port 0`` prints ``PORT <n>`` once listening.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from typing import Any

TEXT_NONSTREAM = "Hello! I am the benchmark mock upstream. How can I help you today?"
MODEL = "mock-model"
CREATED = 1700000000


def _chunk(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> bytes:
    body: dict[str, Any] = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL,
        "choices": []
        if delta is None and finish is None
        else [{"index": 0, "delta": delta or {}, "finish_reason": finish}],
    }
    body.update(extra)
    return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"


def _http_chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def build_responses(deltas: int) -> tuple[bytes, bytes, bytes, bytes]:
    """(non-stream response, stream head incl. first chunk, stream rest, 404 response)."""
    body = json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": CREATED,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": TEXT_NONSTREAM},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 12000, "completion_tokens": 16, "total_tokens": 12016},
        },
        separators=(",", ":"),
    ).encode()
    nonstream = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
        b"Connection: keep-alive\r\n\r\n%s" % (len(body), body)
    )
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"
    ) + _http_chunk(_chunk({"role": "assistant", "content": ""}))
    words = ["Hello", "!", " I", " am", " the", " mock", " upstream", ",", " streaming", "."]
    rest = b"".join(_http_chunk(_chunk({"content": words[i % len(words)]})) for i in range(deltas))
    rest += _http_chunk(_chunk({}, "stop"))
    rest += _http_chunk(
        _chunk(None, usage={"prompt_tokens": 12000, "completion_tokens": deltas,
                            "total_tokens": 12000 + deltas})
    )  # fmt: skip
    rest += _http_chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n"
    nf = b'{"error":{"message":"not found","type":"invalid_request_error"}}'
    not_found = (
        b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
        b"\r\n%s" % (len(nf), nf)
    )
    return nonstream, head, rest, not_found


def _event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: %s\ndata: %s\n\n" % (
        name.encode(),
        json.dumps(data, separators=(",", ":")).encode(),
    )


def build_anthropic_responses(deltas: int) -> tuple[bytes, bytes, bytes]:
    """Anthropic Messages: (non-stream response, stream head incl. first events, stream rest)."""
    usage = {
        "input_tokens": 12000,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": 16,
    }
    body = json.dumps(
        {
            "id": "msg_01BenchMockUpstream000000",
            "type": "message",
            "role": "assistant",
            "model": MODEL,
            "content": [{"type": "text", "text": TEXT_NONSTREAM}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": usage,
        },
        separators=(",", ":"),
    ).encode()
    nonstream = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
        b"Connection: keep-alive\r\n\r\n%s" % (len(body), body)
    )
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_01BenchMockUpstream000000",
            "type": "message",
            "role": "assistant",
            "model": MODEL,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {**usage, "output_tokens": 1},
        },
    }
    block = {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "text", "text": ""},
    }
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
        b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"
    ) + _http_chunk(
        _event("message_start", start)
        + _event("content_block_start", block)
        + _event("ping", {"type": "ping"})
    )
    words = ["Hello", "!", " I", " am", " the", " mock", " upstream", ",", " streaming", "."]
    rest = b"".join(
        _http_chunk(
            _event(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": words[i % len(words)]},
                },
            )
        )
        for i in range(deltas)
    )
    rest += _http_chunk(_event("content_block_stop", {"type": "content_block_stop", "index": 0}))
    rest += _http_chunk(
        _event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": deltas},
            },
        )
    )
    rest += _http_chunk(_event("message_stop", {"type": "message_stop"})) + b"0\r\n\r\n"
    return nonstream, head, rest


def _json_response(obj: Any) -> bytes:
    body = json.dumps(obj).encode()
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        len(body),
        body,
    )


class Mock:
    def __init__(self, deltas: int) -> None:
        self.nonstream, self.head, self.rest, self.not_found = build_responses(deltas)
        self.a_nonstream, self.a_head, self.a_rest = build_anthropic_responses(deltas)
        self.last_body = b""
        self.requests = 0
        self.streams = 0
        self.open_streams = 0
        self.max_open_streams = 0
        self.connections = 0


def _delay(path: bytes, headers: bytes) -> float:
    """Seconds to hold the stream after the first chunk (0: send everything at once)."""
    if b"/hold/" in path or b"/gap/" in path:
        parts = path.split(b"/")
        for i, part in enumerate(parts[:-1]):
            if part in (b"hold", b"gap"):
                seconds = float(parts[i + 1])
                return seconds if part == b"hold" else seconds / 1000
    if b"?" in path:
        for pair in path.split(b"?", 1)[1].split(b"&"):
            key, _, raw = pair.partition(b"=")
            if key in (b"hold", b"gap"):
                return float(raw) if key == b"hold" else float(raw) / 1000
    if b"x-mock-" in headers:
        for line in headers.split(b"\r\n"):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"x-mock-hold":
                return float(value)
            if name == b"x-mock-gap":
                return float(value) / 1000
    return 0.0


class HTTPProtocol(asyncio.Protocol):
    __slots__ = (
        "_head_end", "buf", "busy", "closed", "mock", "need", "pending", "rest", "transport"
    )  # fmt: skip

    def __init__(self, mock: Mock) -> None:
        self.mock = mock
        self.buf = bytearray()
        self.need = -1  # total bytes (head + body) of the request being read; -1: unknown
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.busy = False  # a held stream is in progress on this connection
        self.pending: list[tuple[bytes, bytes, bytes]] = []
        self.rest = b""  # what a held stream still has to send
        self._head_end = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.mock.connections += 1

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        while True:
            if self.need < 0:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = bytes(buf[:end])
                lower = head.lower()
                i = lower.find(b"\r\ncontent-length:")
                if i >= 0:
                    j = lower.find(b"\r\n", i + 2)
                    length = int(head[i + 17 : j if j >= 0 else len(head)])
                    self.need = end + 4 + length
                elif b"\r\ntransfer-encoding: chunked" in lower:
                    body, used = _dechunk(buf, end + 4)
                    if body is None:
                        return
                    del buf[:used]
                    self._request(head, body)
                    continue
                else:
                    self.need = end + 4
                self._head_end = end
            if len(buf) < self.need:
                return
            end = self._head_end
            head = bytes(buf[:end])
            body = bytes(buf[end + 4 : self.need])
            del buf[: self.need]
            self.need = -1
            self._request(head, body)

    def _request(self, head: bytes, body: bytes) -> None:
        line_end = head.find(b"\r\n")
        request_line = head[:line_end] if line_end >= 0 else head
        method, _, rest = request_line.partition(b" ")
        path = rest.rpartition(b" ")[0]
        if self.busy:
            self.pending.append((method, path, head + b"\r\n\r\n" + body))
            return
        self._answer(method, path, head, body)

    def _answer(self, method: bytes, path: bytes, head: bytes, body: bytes) -> None:
        mock, transport = self.mock, self.transport
        assert transport is not None
        mock.requests += 1
        if method == b"POST" and b"/chat/completions" in path:
            self._generate(path, head, body, mock.nonstream, mock.head, mock.rest)
            return
        if method == b"POST" and b"/messages" in path:
            self._generate(path, head, body, mock.a_nonstream, mock.a_head, mock.a_rest)
            return
        if method == b"GET" and path.startswith(b"/_last"):
            transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                % len(mock.last_body)
                + mock.last_body
            )
            return
        if method == b"GET" and path.startswith(b"/_stats"):
            transport.write(
                _json_response(
                    {
                        "requests": mock.requests,
                        "streams": mock.streams,
                        "open_streams": mock.open_streams,
                        "max_open_streams": mock.max_open_streams,
                        "connections": mock.connections,
                    }
                )
            )
            return
        if method == b"GET" and path.startswith(b"/_reset"):
            mock.max_open_streams = mock.open_streams
            transport.write(_json_response({"ok": True}))
            return
        if method == b"GET" and path.startswith(b"/health"):
            transport.write(_json_response({"status": "ok"}))
            return
        transport.write(mock.not_found)

    def _generate(
        self, path: bytes, head: bytes, body: bytes, nonstream: bytes, s_head: bytes, s_rest: bytes
    ) -> None:
        mock, transport = self.mock, self.transport
        assert transport is not None
        mock.last_body = body
        if b'"stream":true' not in body and b'"stream": true' not in body:
            transport.write(nonstream)
            return
        mock.streams += 1
        delay = _delay(path, head)
        if delay <= 0:
            transport.write(s_head + s_rest)
            return
        transport.write(s_head)
        self.busy = True
        self.rest = s_rest
        mock.open_streams += 1
        mock.max_open_streams = max(mock.max_open_streams, mock.open_streams)
        asyncio.get_running_loop().call_later(delay, self._finish_stream)

    def _finish_stream(self) -> None:
        self.busy = False
        self.mock.open_streams -= 1
        if not self.closed and self.transport is not None:
            self.transport.write(self.rest)
        while self.pending and not self.busy and not self.closed:
            method, path, raw = self.pending.pop(0)
            end = raw.find(b"\r\n\r\n")
            self._answer(method, path, raw[:end], raw[end + 4 :])


def _dechunk(buf: bytearray, start: int) -> tuple[bytes | None, int]:
    """Decode a chunked body starting at ``start``: (body, bytes used) or (None, 0)."""
    out = bytearray()
    pos = start
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None, 0
        size = int(bytes(buf[pos:eol]).split(b";")[0], 16)
        if size == 0:
            end = buf.find(b"\r\n\r\n", eol)
            if end < 0:
                return None, 0
            return bytes(out), end + 4
        if len(buf) < eol + 2 + size + 2:
            return None, 0
        out += buf[eol + 2 : eol + 2 + size]
        pos = eol + 2 + size + 2


async def serve(host: str, port: int, deltas: int) -> None:
    mock = Mock(deltas)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: HTTPProtocol(mock), host, port, backlog=4096, reuse_address=True
    )
    actual = server.sockets[0].getsockname()[1]
    print(f"PORT {actual}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--deltas", type=int, default=8, help="content deltas per stream")
    parser.add_argument("--no-uvloop", action="store_true")
    args = parser.parse_args()
    if not args.no_uvloop:
        try:
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        except ImportError:
            print("mock_upstream: uvloop not installed, using asyncio", file=sys.stderr)
    asyncio.run(serve(args.host, args.port, args.deltas))


if __name__ == "__main__":
    main()
