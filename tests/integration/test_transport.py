"""Stream transport: keep-alive pings, client disconnects reaching the upstream, concurrency."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anthropic
import httpx2 as httpx
import pytest

from tests.support.servers import Reply, ScriptedOpenAIUpstream, ThreadedApp, chunk

from ._helpers import ANTHROPIC_HEADERS, MODEL, parse_sse, text_chunks, usage_chunk

REQUEST: dict[str, Any] = {
    "model": MODEL,
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "hi"}],
}


def _slow_reply(pause: float) -> Reply:
    """Two text chunks, the upstream silent for ``pause`` seconds before each chunk."""
    return Reply(
        chunks=[
            chunk({"role": "assistant", "content": "tick "}),
            chunk({"content": "tock"}, "stop"),
        ],
        delay=pause,
    )


def test_quiet_stream_gets_ping_frames(
    client: anthropic.Anthropic, raw: httpx.Client, upstream: ScriptedOpenAIUpstream
) -> None:
    """ping_interval is 0.5 s in the test config; the upstream pauses 1.1 s mid-stream."""
    upstream.reset(_slow_reply(1.1), _slow_reply(1.1))

    def sdk() -> str:
        with client.messages.stream(**REQUEST) as stream:
            return stream.get_final_message().content[0].text

    def plain() -> list[tuple[str, Any]]:
        with raw.stream(
            "POST", "/v1/messages", json={**REQUEST, "stream": True}, headers=ANTHROPIC_HEADERS
        ) as response:
            assert response.status_code == 200
            return parse_sse(response.read().decode())

    with ThreadPoolExecutor(2) as pool:  # both at once: the pauses overlap
        text_future, frames_future = pool.submit(sdk), pool.submit(plain)
        text, frames = text_future.result(10), frames_future.result(10)

    assert text == "tick tock"  # the SDK skips the pings
    names = [n for n, _ in frames]
    assert "ping" in names
    first_ping = names.index("ping")
    assert first_ping < names.index("message_stop")
    assert dict(frames)["ping"] == {"type": "ping"}
    assert names[-1] == "message_stop"
    assert len(upstream.requests) == 2
    assert all(r.outcome == "completed" for r in upstream.requests)


def _long_slow_stream() -> Reply:
    return Reply(
        chunks=[
            chunk({"role": "assistant", "content": ""}),
            *(chunk({"content": f"word{i} "}) for i in range(40)),
            chunk({}, "stop"),
            usage_chunk(),
        ],
        delay=0.1,  # ~4 s if read to the end
    )


@pytest.mark.parametrize("how", ["sdk", "raw"])
def test_client_disconnect_cancels_upstream(
    client: anthropic.Anthropic,
    raw: httpx.Client,
    upstream: ScriptedOpenAIUpstream,
    how: str,
) -> None:
    upstream.reset(_long_slow_stream())
    started = time.monotonic()

    got: list[str] = []
    if how == "sdk":
        with client.messages.stream(**REQUEST) as stream:
            for text in stream.text_stream:
                got.append(text)
                if len(got) == 2:
                    break  # leaving the block closes the HTTP response
    else:
        with raw.stream(
            "POST", "/v1/messages", json={**REQUEST, "stream": True}, headers=ANTHROPIC_HEADERS
        ) as response:
            for line in response.iter_lines():
                if line.startswith("event: content_block_delta"):
                    got.append(line)
                    if len(got) == 2:
                        break

    assert len(got) == 2
    [seen] = upstream.requests
    assert seen.ended.wait(3), "the upstream request was still being answered"
    assert seen.outcome == "disconnected"
    assert time.monotonic() - started < 3  # well before the ~4 s the full answer takes


def test_concurrent_streams(client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream) -> None:
    def answer(body: dict[str, Any]) -> Reply:
        tag = body["messages"][0]["content"]
        return Reply(chunks=text_chunks("echo ", tag[:4], tag[4:]), delay=0.02)

    upstream.reset(*[answer] * 20)

    def one(i: int) -> tuple[str, int]:
        with client.messages.stream(
            model=MODEL, max_tokens=32, messages=[{"role": "user", "content": f"req-{i:02d}"}]
        ) as stream:
            message = stream.get_final_message()
        return message.content[0].text, message.usage.output_tokens

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(one, range(20)))

    assert results == [(f"echo req-{i:02d}", 12) for i in range(20)]
    assert len(upstream.requests) == 20
    assert sorted(r.body["messages"][0]["content"] for r in upstream.requests) == [
        f"req-{i:02d}" for i in range(20)
    ]
    assert all(r.outcome == "completed" for r in upstream.requests)


def test_client_gone_before_first_upstream_chunk_cancels_upstream(
    gateway: ThreadedApp, upstream: ScriptedOpenAIUpstream
) -> None:
    """The user interrupts while the model is still thinking silently (no byte sent yet)."""
    upstream.reset(Reply(chunks=text_chunks("late"), delay=1.5))

    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            gateway.url + "/v1/messages",
            json={**REQUEST, "stream": True},
            headers=ANTHROPIC_HEADERS,
            timeout=httpx.Timeout(5, read=0.3),
        )

    [seen] = upstream.requests
    assert seen.ended.wait(2), "the upstream request was still being answered"
    assert seen.outcome == "disconnected"


def test_pings_before_the_first_upstream_chunk(
    raw: httpx.Client, upstream: ScriptedOpenAIUpstream
) -> None:
    """A model that is silent for a long time before its first byte (hidden reasoning, queueing)
    must not leave the client with no response at all: idle-cutting proxies drop it."""
    upstream.reset(
        Reply(chunks=[chunk({"role": "assistant", "content": "late"}, "stop")], delay=1.6)
    )
    started = time.monotonic()

    with raw.stream(
        "POST", "/v1/messages", json={**REQUEST, "stream": True}, headers=ANTHROPIC_HEADERS
    ) as response:
        headers_after = time.monotonic() - started
        frames = parse_sse(response.read().decode())

    assert len(upstream.requests) == 1
    names = [n for n, _ in frames]
    assert names[-1] == "message_stop"
    assert headers_after < 1.2
    assert "ping" in names[: names.index("content_block_start")]
