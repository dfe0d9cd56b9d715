"""Run encoded bytes through the official ``openai`` SDK, the judge of what clients accept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2
import openai
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk


def sdk_client(
    handler: Callable[[httpx2.Request], httpx2.Response], max_retries: int = 0
) -> openai.OpenAI:
    transport = httpx2.MockTransport(handler)
    return openai.OpenAI(
        api_key="sk-test",
        base_url="http://crosswire.test/v1",
        http_client=httpx2.Client(transport=transport),
        max_retries=max_retries,
    )


def replay_stream(data: bytes) -> tuple[list[ChatCompletionChunk], ChatCompletion]:
    """The chunks the SDK yields for ``data``, and the completion it accumulates from them."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=data, headers={"content-type": "text/event-stream"})

    stream = sdk_client(handler).chat.completions.create(
        model="client-model", messages=[{"role": "user", "content": "q"}], stream=True
    )
    chunks = list(stream)
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState()
    for chunk in chunks:
        state.handle_chunk(chunk)
    return chunks, state.get_final_completion()


def replay_completion(payload: bytes) -> ChatCompletion:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=payload, headers={"content-type": "application/json"})

    return sdk_client(handler).chat.completions.create(
        model="client-model", messages=[{"role": "user", "content": "q"}]
    )
