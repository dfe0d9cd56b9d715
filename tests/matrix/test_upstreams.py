"""The scripted upstreams catch what they are there to catch: each is sent hand-built requests in
its own format, straight (no gateway), and must accept the good one and answer 400 — in its own
error envelope, naming the problem — to the client's key, a wrong credential, changed image
bytes, a result linked to the wrong call, and tampered opaque thinking state."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.upstreams import Expectation, ScriptedUpstream
from tests.support.upstreams.scenarios import (
    CALL_IDS,
    CLIENT_KEY,
    FORMATS,
    OPAQUE_STATE,
    PNG_B64,
    SCENARIOS,
    THINKING_TEXT,
    TOOL_NAME,
    TOOL_SCHEMA,
    UPSTREAM_KEYS,
    UPSTREAM_MODELS,
)

from .conftest import Matrix

WRONG_LINK = "call_other_9"
OTHER_PNG_B64 = base64.b64encode(base64.b64decode(PNG_B64)[:-1] + b"\x00").decode()


def _chat(prompt: str, image: str | None, turn2: dict[str, Any] | None) -> dict[str, Any]:
    user: Any = prompt
    if image:
        user = [
            {"type": "text", "text": prompt},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{image}"}},
        ]
    messages: list[dict[str, Any]] = [{"role": "user", "content": user}]
    body: dict[str, Any] = {"model": UPSTREAM_MODELS["openai_chat"], "messages": messages}
    if turn2 is not None:
        body["tools"] = [
            {"type": "function", "function": {"name": TOOL_NAME, "parameters": TOOL_SCHEMA}}
        ]
        call = {
            "id": CALL_IDS["openai_chat"]["Paris"],
            "type": "function",
            "function": {"name": TOOL_NAME, "arguments": '{"city": "Paris"}'},
        }
        assistant = {"role": "assistant", "content": None, "tool_calls": [call]}
        if turn2.get("opaque"):
            assistant["reasoning_content"] = turn2["opaque"]
        messages += [assistant, {"role": "tool", "tool_call_id": turn2["link"], "content": "sunny"}]
    return body


def _anthropic(prompt: str, image: str | None, turn2: dict[str, Any] | None) -> dict[str, Any]:
    user: Any = prompt
    if image:
        user = [
            {"type": "text", "text": prompt},
            {
                "type": "image",
                "source": {"type": "base64", "media_type": "image/png", "data": image},
            },
        ]
    messages: list[dict[str, Any]] = [{"role": "user", "content": user}]
    body: dict[str, Any] = {
        "model": UPSTREAM_MODELS["anthropic"],
        "max_tokens": 4096,
        "messages": messages,
    }
    if turn2 is not None:
        body["tools"] = [{"name": TOOL_NAME, "input_schema": TOOL_SCHEMA}]
        content: list[dict[str, Any]] = []
        if turn2.get("opaque"):
            body["thinking"] = {"type": "enabled", "budget_tokens": 2048}
            content.append(
                {"type": "thinking", "thinking": THINKING_TEXT, "signature": turn2["opaque"]}
            )
        content.append(
            {
                "type": "tool_use",
                "id": CALL_IDS["anthropic"]["Paris"],
                "name": TOOL_NAME,
                "input": {"city": "Paris"},
            }
        )
        messages += [
            {"role": "assistant", "content": content},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": turn2["link"], "content": "sunny"}
                ],
            },
        ]
    return body


def _responses(prompt: str, image: str | None, turn2: dict[str, Any] | None) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "input_text", "text": prompt}]
    if image:
        content.append(
            {"type": "input_image", "image_url": f"data:image/png;base64,{image}", "detail": "auto"}
        )
    items: list[dict[str, Any]] = [{"type": "message", "role": "user", "content": content}]
    body: dict[str, Any] = {
        "model": UPSTREAM_MODELS["openai_responses"],
        "input": items,
        "store": False,
    }
    if turn2 is not None:
        body["tools"] = [
            {"type": "function", "name": TOOL_NAME, "parameters": TOOL_SCHEMA, "strict": False}
        ]
        if turn2.get("opaque"):
            body["reasoning"] = {"effort": "medium", "summary": "auto"}
            body["include"] = ["reasoning.encrypted_content"]
            items.append(
                {
                    "type": "reasoning",
                    "id": "rs_x",
                    "summary": [{"type": "summary_text", "text": THINKING_TEXT}],
                    "encrypted_content": turn2["opaque"],
                }
            )
        items += [
            {
                "type": "function_call",
                "call_id": CALL_IDS["openai_responses"]["Paris"],
                "name": TOOL_NAME,
                "arguments": '{"city": "Paris"}',
            },
            {"type": "function_call_output", "call_id": turn2["link"], "output": "sunny"},
        ]
    return body


def _gemini(prompt: str, image: str | None, turn2: dict[str, Any] | None) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"text": prompt}]
    if image:
        parts.append({"inlineData": {"mimeType": "image/png", "data": image}})
    contents: list[dict[str, Any]] = [{"role": "user", "parts": parts}]
    body: dict[str, Any] = {"contents": contents}
    if turn2 is not None:
        body["tools"] = [{"functionDeclarations": [{"name": TOOL_NAME, "parameters": TOOL_SCHEMA}]}]
        call: dict[str, Any] = {"functionCall": {"name": TOOL_NAME, "args": {"city": "Paris"}}}
        if turn2.get("opaque"):
            call["thoughtSignature"] = turn2["opaque"]
            body["generationConfig"] = {"thinkingConfig": {"includeThoughts": True}}
        # Gemini links a result to its call by name (and position): a wrong link is a wrong name.
        name = "get_time" if turn2["link"] == WRONG_LINK else TOOL_NAME
        contents += [
            {"role": "model", "parts": [call]},
            {
                "role": "user",
                "parts": [{"functionResponse": {"name": name, "response": {"output": "sunny"}}}],
            },
        ]
    return body


BUILDERS = {
    "openai_chat": _chat,
    "anthropic": _anthropic,
    "openai_responses": _responses,
    "gemini": _gemini,
}


def _call(
    server: ScriptedUpstream, body: dict[str, Any], key: str | None = None, **extra: str
) -> httpx.Response:
    fmt = server.format
    key = key or UPSTREAM_KEYS[fmt]
    headers = {"content-type": "application/json", **extra}
    if fmt == "anthropic":
        url = server.url + "/v1/messages"
        headers |= {"x-api-key": key, "anthropic-version": "2023-06-01"}
    elif fmt == "gemini":
        url = f"{server.url}/v1beta/models/{UPSTREAM_MODELS['gemini']}:generateContent"
        headers["x-goog-api-key"] = key
    else:
        path = "/chat/completions" if fmt == "openai_chat" else "/responses"
        url = server.url + "/v1" + path
        headers["authorization"] = f"Bearer {key}"
    return httpx.post(url, content=json.dumps(body), headers=headers, timeout=10)


def _error(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    body = response.json()
    return str(body["error"]["message"])  # every format nests ``error.message``


@pytest.fixture
def up(matrix: Matrix, request: pytest.FixtureRequest) -> Iterator[ScriptedUpstream]:
    yield matrix.upstreams[request.param]
    matrix.expect(None)


def _expect(matrix: Matrix, scenario: str, client: str = "anthropic") -> None:
    matrix.expect(Expectation(scenario, client, False))


def _link(fmt: str) -> str:
    return CALL_IDS[fmt]["Paris"] or ""  # Gemini issues no ids


@pytest.mark.parametrize("up", FORMATS, indirect=True)
def test_accepts_a_valid_round_trip(matrix: Matrix, up: ScriptedUpstream) -> None:
    _expect(matrix, "tool_round_trip")
    response = _call(
        up,
        BUILDERS[up.format](SCENARIOS["tool_round_trip"].prompt, None, {"link": _link(up.format)}),
    )
    assert response.status_code == 200, response.text
    assert "It is sunny in Paris." in response.text
    assert up.failures == []


@pytest.mark.parametrize("up", FORMATS, indirect=True)
def test_rejects_the_client_key(matrix: Matrix, up: ScriptedUpstream) -> None:
    _expect(matrix, "text")
    body = BUILDERS[up.format](SCENARIOS["text"].prompt, None, None)
    assert "client's key" in _error(_call(up, body, **{"x-forwarded-key": CLIENT_KEY}))
    assert "provider key" in _error(_call(up, body, key="sk-someone-else"))
    assert len(up.failures) == 2


@pytest.mark.parametrize("up", FORMATS, indirect=True)
def test_rejects_changed_image_bytes(matrix: Matrix, up: ScriptedUpstream) -> None:
    _expect(matrix, "image")
    body = BUILDERS[up.format](SCENARIOS["image"].prompt, OTHER_PNG_B64, None)
    assert "image bytes differ" in _error(_call(up, body))


@pytest.mark.parametrize("up", FORMATS, indirect=True)
def test_rejects_a_result_for_another_call(matrix: Matrix, up: ScriptedUpstream) -> None:
    _expect(matrix, "tool_round_trip")
    body = BUILDERS[up.format](SCENARIOS["tool_round_trip"].prompt, None, {"link": WRONG_LINK})
    message = _error(_call(up, body))
    assert any(
        word in message for word in ("tool_call_id", "tool_use_id", "call_id", "functionResponse")
    )


@pytest.mark.parametrize("up", ["anthropic", "openai_responses", "gemini"], indirect=True)
def test_rejects_tampered_thinking_state(matrix: Matrix, up: ScriptedUpstream) -> None:
    _expect(matrix, "thinking")
    state = OPAQUE_STATE[up.format]
    tampered = state[:-6] + ("AAAA" if state[-6:-2] != "AAAA" else "BBBB") + state[-2:]
    prompt = SCENARIOS["thinking"].prompt
    good = _call(up, BUILDERS[up.format](prompt, None, {"link": _link(up.format), "opaque": state}))
    assert good.status_code == 200, good.text
    message = _error(
        _call(up, BUILDERS[up.format](prompt, None, {"link": _link(up.format), "opaque": tampered}))
    )
    assert any(word in message for word in ("signature", "could not be verified", "Corrupted"))


@pytest.mark.parametrize("up", FORMATS, indirect=True)
def test_names_a_wrong_endpoint(matrix: Matrix, up: ScriptedUpstream) -> None:
    _expect(matrix, "text")
    response = httpx.post(up.url + "/v2/generate", json={}, timeout=10)
    assert response.status_code == 404
    assert "no such endpoint: POST /v2/generate" in response.json()["error"]["message"]
    assert up.failures and "no such endpoint" in up.failures[0]
