"""Every client format x every upstream format (16 cells), streamed and not, over five
scenarios: text, a tool round trip, parallel tool calls, thinking and an image.

Clients are the official SDKs (:mod:`.client_anthropic`, :mod:`.client_openai_chat`,
:mod:`.client_openai_responses`, :mod:`.client_gemini`); upstreams are the scripted servers of
:mod:`tests.support.upstreams`, which validate every request in their own format and the
scenario's expectations, and answer HTTP 400 naming the problem when a check fails.

Thinking state across a cell (what the upstream checks on the replayed turn):

=================  =======================================================================
client format      what it carries back to the upstream
=================  =======================================================================
anthropic          thinking text + ``signature``: the upstream's opaque state, byte-exact
openai_responses   reasoning summary + ``encrypted_content``: opaque state, byte-exact
gemini             thought parts + ``thoughtSignature``: opaque state, byte-exact
openai_chat        ``reasoning_content`` text only: no opaque state. Upstreams then require
                   what their real APIs accept without it: Anthropic — no thinking block and
                   thinking off for that request; Responses — no reasoning item and no
                   ``fc_`` item ids; Gemini — a documented skip ``thoughtSignature``.
=================  =======================================================================

A Chat Completions upstream's only state is its ``reasoning_content`` text, which every client
format carries, so it checks that text comes back from every client.

On the client side every turn also checks the native stop reason (derived from the content:
``tool_use`` / ``tool_calls`` / ``completed`` / ``STOP``) and the usage as the client format
reports it (every upstream reports 21 in, 9 out). Same-format cells run twice for the formats
the gateway can relay untranslated: through the fast path (``anthropic-to-anthropic-…``) and
through the codecs (``anthropic-to-anthropic-translated-…``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.upstreams import SCENARIOS, Expectation, ScriptedUpstream
from tests.support.upstreams.scenarios import (
    CARRIES_OPAQUE,
    CLIENT_KEY,
    FORMATS,
    INPUT_TOKENS,
    MODEL_ALIASES,
    OPAQUE_STATE,
    OUTPUT_TOKENS,
    THINKING_TEXT,
    TOOL_NAME,
    WEATHER,
)

from .common import TurnResult
from .conftest import PASSTHROUGH_FORMATS, TRANSLATED

# The native stop reason: derived from the content (tool calls), never copied blindly.
TOOL_STOP = {
    "anthropic": "tool_use",
    "openai_chat": "tool_calls",
    "openai_responses": "completed",
    "gemini": "STOP",
}
END_STOP = {
    "anthropic": "end_turn",
    "openai_chat": "stop",
    "openai_responses": "completed",
    "gemini": "STOP",
}


def _routes(client: str, upstream: str) -> tuple[str, ...]:
    """Same format: the gateway's untranslated fast path, and (``-translated``) the codecs."""
    return ("", TRANSLATED) if client == upstream in PASSTHROUGH_FORMATS else ("",)


CELLS = [
    pytest.param(
        client,
        upstream,
        suffix,
        scenario,
        stream,
        id=f"{client}-to-{upstream}{suffix}-{scenario}-{mode}",
    )
    for client in FORMATS
    for upstream in FORMATS
    for suffix in _routes(client, upstream)
    for scenario in SCENARIOS
    for stream, mode in ((False, "json"), (True, "stream"))
]


def _turn(upstream: ScriptedUpstream, run: Callable[[], TurnResult]) -> TurnResult:
    """Run one client turn; on a client error, say what the upstream rejected, if anything."""
    try:
        return run()
    except Exception as exc:
        failures = "".join(f"\n  upstream rejected: {f}" for f in upstream.failures)
        raise AssertionError(f"{type(exc).__name__}: {exc}{failures}") from exc


@pytest.mark.parametrize(("client", "upstream", "suffix", "scenario", "stream"), CELLS)
def test_cell(
    cell: Any, client: str, upstream: str, suffix: str, scenario: str, stream: bool
) -> None:
    s = SCENARIOS[scenario]
    driver = cell.drivers[client]
    server: ScriptedUpstream = cell.upstreams[upstream]
    cell.expect(Expectation(scenario, client, stream))
    conv = driver.new(MODEL_ALIASES[upstream] + suffix, s.prompt, s.image)

    def run() -> TurnResult:
        return driver.run_turn(conv, tools=s.tools, thinking=s.thinking, stream=stream)

    first = _turn(server, run)
    assert first.usage == (INPUT_TOKENS, OUTPUT_TOKENS), "usage as the client format reports it"
    if not s.cities:
        assert first.stop == END_STOP[client]
        assert first.text == s.final.format(fmt=upstream)
        assert first.tool_calls == []
    else:
        assert [(c.name, c.args) for c in first.tool_calls] == [
            (TOOL_NAME, {"city": city}) for city in s.cities
        ]
        if client != "gemini":
            ids = [c.id for c in first.tool_calls]
            assert all(ids) and len(set(ids)) == len(ids), f"call ids {ids!r}"
        assert first.text == (s.preamble or "")
        if s.thinking:
            assert first.thinking == THINKING_TEXT, "thinking not in the client's native form"
            if CARRIES_OPAQUE[client] and upstream in OPAQUE_STATE:
                assert first.opaque, "no opaque thinking state for the client to carry back"
        else:
            assert first.thinking == ""
        driver.append_tool_results(
            conv, [(call, WEATHER[call.args["city"]]) for call in first.tool_calls]
        )
        assert first.stop == TOOL_STOP[client]
        second = _turn(server, run)
        assert second.usage == (INPUT_TOKENS, OUTPUT_TOKENS)
        assert second.stop == END_STOP[client]
        assert second.text == s.final.format(fmt=upstream)
        assert second.tool_calls == []
    assert server.failures == []
    expected_requests = 2 if s.cities else 1
    assert [r.status for r in server.requests] == [200] * expected_requests
    others = {f: len(cell.upstreams[f].requests) for f in FORMATS if f != upstream}
    assert not any(others.values()), f"other upstreams were called: {others}"


_RAW_REQUESTS: dict[str, tuple[str, dict[str, str], dict[str, Any]]] = {
    "openai_chat": (
        "/v1/chat/completions",
        {"authorization": f"Bearer {CLIENT_KEY}"},
        {"messages": [{"role": "user", "content": SCENARIOS["text"].prompt}]},
    ),
    "anthropic": (
        "/v1/messages",
        {"x-api-key": CLIENT_KEY, "anthropic-version": "2023-06-01"},
        {"max_tokens": 256, "messages": [{"role": "user", "content": SCENARIOS["text"].prompt}]},
    ),
    "openai_responses": (
        "/v1/responses",
        {"authorization": f"Bearer {CLIENT_KEY}"},
        {"input": SCENARIOS["text"].prompt, "store": False},
    ),
}


@pytest.mark.parametrize("fmt", PASSTHROUGH_FORMATS)
@pytest.mark.parametrize("suffix", ["", TRANSLATED], ids=["fast-path", "translated"])
def test_diagonal_takes_the_intended_path(cell: Any, fmt: str, suffix: str) -> None:
    """The plain alias relays untranslated; the ``-translated`` one goes through the codecs."""
    cell.expect(Expectation("text", fmt, False))
    path, headers, body = _RAW_REQUESTS[fmt]
    response = httpx.post(
        cell.gateway.url + path,
        json={"model": MODEL_ALIASES[fmt] + suffix, **body},
        headers=headers,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert f"Hello from {fmt}" in response.text
    assert response.headers.get("x-crosswire-passthrough") == ("1" if not suffix else None)
