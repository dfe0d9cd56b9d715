"""The live probes: real client-format requests to a running gateway, one matrix cell (client
format x model) at a time.

=========  ==================================================================  ==============
probe      what is sent                                                        passes when
=========  ==================================================================  ==============
text       "Reply with the single word: pong"                                  an answer came
stream     the same, streamed                                                  the stream ends
                                                                               properly
tools      a ``get_weather`` tool and a request to use it; then the call's     a call, then
           result sent back                                                    text
thinking   the format's own thinking switch (declared ``thinking`` only)       thinking came
image      a red square and "what colour is it?" (declared ``image_in``)       "red"
=========  ==================================================================  ==============

``max_tokens`` stays small (probes cost real tokens); models that always think get room for it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence

import aiohttp

from crosswire import jsonutil
from crosswire.config import ModelConfig
from crosswire.doctor.report import ProbeResult, Scrubber
from crosswire.doctor.wire import Ask, ProbeFailure, Reply, WireFormat
from crosswire.doctor.wire.base import IMAGE_ANSWER, THINKING_BUDGET, TOOL_NAME, TOOL_RESULT
from crosswire.doctor.wire.base import error_message as wire_error_message
from crosswire.formats.sse import SSEParser, SSEvent

TEXT_PROMPT = "Reply with the single word: pong"
TOOL_PROMPT = f"What is the weather in Paris? Use the {TOOL_NAME} tool."
IMAGE_PROMPT = "What colour is this image? Answer with one word."
TEXT_TOKENS = 32
TOOL_TOKENS = 256
ALWAYS_THINKING_EXTRA = 1024
"""Added to every probe's ``max_tokens`` for models that think whether asked or not."""
PROBE_TIMEOUT = 120.0
"""Seconds one probe request may take."""

Progress = Callable[[ProbeResult], None]


def probes_for(model: ModelConfig, provider_type: str = "") -> list[str]:
    """The probes a model's declared capabilities call for, in run order. The built-in
    ``echo`` provider repeats what it is sent: it can neither call tools nor see images."""
    echo = provider_type == "echo"
    names = ["text", "stream"] if echo else ["text", "stream", "tools"]
    if {"thinking", "always_thinking"} & model.capabilities:
        names.append("thinking")
    if "image_in" in model.capabilities and not echo:
        names.append("image")
    return names


class Prober:
    """Sends probes for one gateway at ``base_url`` through ``session``."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, scrub: Scrubber) -> None:
        self.session = session
        self.base_url = base_url
        self.scrub = scrub

    async def cell(
        self, wire: WireFormat, model: ModelConfig, names: Sequence[str], progress: Progress
    ) -> None:
        """Run the probes ``names`` for ``model`` through ``wire``, reporting each as it ends."""
        extra = ALWAYS_THINKING_EXTRA if "always_thinking" in model.capabilities else 0
        runs: dict[str, Callable[[], Awaitable[str]]] = {
            "text": lambda: self._answer(wire, model.alias, Ask(TEXT_PROMPT, TEXT_TOKENS + extra)),
            "stream": lambda: self._answer(
                wire, model.alias, Ask(TEXT_PROMPT, TEXT_TOKENS + extra, stream=True)
            ),
            "tools": lambda: self._tools(wire, model.alias, TOOL_TOKENS + extra),
            "thinking": lambda: self._thinking(wire, model.alias),
            "image": lambda: self._image(wire, model.alias, TEXT_TOKENS + extra),
        }
        for name in names:
            started = time.perf_counter()
            try:
                reason = await runs[name]()
            except ProbeFailure as failure:
                reason = str(failure)
            except (aiohttp.ClientError, TimeoutError) as exc:
                reason = f"gateway request failed: {exc or type(exc).__name__}"
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                reason = f"unreadable answer: {exc!r}"
            latency = round((time.perf_counter() - started) * 1000)
            result = ProbeResult(wire.name, model.alias, name, not reason, latency)
            result.reason = self.scrub(reason)
            progress(result)

    async def _answer(self, wire: WireFormat, model: str, ask: Ask) -> str:
        reply = await self.send(wire, model, ask)
        if not reply.text.strip() and not reply.thinking:
            return "the answer was empty"
        return ""

    async def _tools(self, wire: WireFormat, model: str, max_tokens: int) -> str:
        ask = Ask(TOOL_PROMPT, max_tokens, tools=True)
        first = await self.send(wire, model, ask)
        if not first.tool_calls:
            said = f": {first.text.strip()[:80]!r}" if first.text.strip() else ""
            return f"no tool call: the model answered with text instead{said}"
        call = first.tool_calls[0]
        if call.name != TOOL_NAME:
            return f"the tool call named {call.name!r}, not {TOOL_NAME!r}"
        try:
            jsonutil.loads(call.arguments or "{}")
        except jsonutil.DecodeError:
            return f"the tool call's arguments are not JSON: {call.arguments[:80]!r}"
        second = await self.send(wire, model, ask, [(first, TOOL_RESULT)])
        if not second.text.strip():
            return "no text after the tool result was sent back"
        return ""

    async def _thinking(self, wire: WireFormat, model: str) -> str:
        ask = Ask(TEXT_PROMPT, THINKING_BUDGET + TEXT_TOKENS * 8, thinking=True)
        reply = await self.send(wire, model, ask)
        return "" if reply.thinking else "thinking was asked for but none came back"

    async def _image(self, wire: WireFormat, model: str, max_tokens: int) -> str:
        reply = await self.send(wire, model, Ask(IMAGE_PROMPT, max_tokens, image=True))
        if IMAGE_ANSWER in reply.text.lower():
            return ""
        return f"the answer does not describe the red test image: {reply.text.strip()[:80]!r}"

    async def send(
        self, wire: WireFormat, model: str, ask: Ask, history: Sequence[tuple[Reply, str]] = ()
    ) -> Reply:
        """One request through the gateway; raises :class:`ProbeFailure` with the reason."""
        url = self.base_url + wire.path(model, ask.stream)
        body = jsonutil.dumps(wire.body(model, ask, history))
        headers = {**wire.headers(), "content-type": "application/json"}
        timeout = aiohttp.ClientTimeout(total=PROBE_TIMEOUT)
        async with self.session.post(url, data=body, headers=headers, timeout=timeout) as answer:
            if answer.status != 200:
                raw = await answer.read()
                raise ProbeFailure(f"HTTP {answer.status}: {_error_text(raw)}")
            if not ask.stream:
                return wire.parse(jsonutil.loads(await answer.read()))
            events = await _read_events(answer)
        reply = wire.parse_stream(events)
        if not reply.finished:
            raise ProbeFailure(f"the stream ended without {wire.stream_end}")
        return reply


async def _read_events(answer: aiohttp.ClientResponse) -> list[SSEvent]:
    if "text/event-stream" not in answer.headers.get("content-type", ""):
        raise ProbeFailure(f"not a stream: content-type {answer.headers.get('content-type')!r}")
    parser = SSEParser()
    events: list[SSEvent] = []
    async for chunk in answer.content.iter_any():
        events += parser.feed(chunk)
    return [e for e in events + parser.flush() if e.data]


def _error_text(raw: bytes) -> str:
    try:
        return wire_error_message(jsonutil.loads(raw))
    except jsonutil.DecodeError:
        return raw.decode("utf-8", "replace")[:300] or "(empty body)"
