"""count_tokens, model listing and health."""

from __future__ import annotations

import anthropic
import httpx2 as httpx
import pytest

from tests.support.servers import ScriptedOpenAIUpstream

from ._helpers import ANTHROPIC_HEADERS, MODEL, PNG_B64, TOOLS, assert_anthropic_error

MESSAGES = [{"role": "user", "content": "Please summarise the attached design document."}]


def test_count_tokens_positive_and_grows_with_tools(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    bare = client.messages.count_tokens(model=MODEL, messages=MESSAGES)
    with_system = client.messages.count_tokens(
        model=MODEL, system="You are a careful senior engineer.", messages=MESSAGES
    )
    with_tools = client.messages.count_tokens(model=MODEL, messages=MESSAGES, tools=TOOLS)
    with_image = client.messages.count_tokens(
        model=MODEL,
        messages=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64},
                    },
                    {"type": "text", "text": "what is it?"},
                ],
            }
        ],
    )

    assert bare.input_tokens > 0
    assert with_system.input_tokens > bare.input_tokens
    assert with_tools.input_tokens > bare.input_tokens
    assert with_image.input_tokens > bare.input_tokens
    assert upstream.requests == []  # counted locally, no upstream call


def test_count_tokens_beta_path(client: anthropic.Anthropic) -> None:
    counted = client.beta.messages.count_tokens(
        model=MODEL, messages=MESSAGES, betas=["token-counting-2024-11-01"]
    )

    assert counted.input_tokens > 0


def test_count_tokens_bad_body(raw: httpx.Client) -> None:
    response = raw.post(
        "/v1/messages/count_tokens", json={"model": MODEL}, headers=ANTHROPIC_HEADERS
    )

    assert_anthropic_error(response, 400, "invalid_request_error")


def test_models_list_anthropic_shape(client: anthropic.Anthropic, raw: httpx.Client) -> None:
    page = client.models.list()
    response = raw.get("/v1/models", headers=ANTHROPIC_HEADERS)

    models = list(page)
    assert [m.id for m in models] == ["main"]
    assert all(m.type == "model" and m.display_name for m in models)
    body = response.json()
    assert response.status_code == 200
    assert body["has_more"] is False
    assert body["first_id"] == body["last_id"] == "main"
    assert body["data"][0]["created_at"].endswith("Z")


def test_models_list_openai_shape_without_anthropic_headers(raw: httpx.Client) -> None:
    body = raw.get("/v1/models").json()

    assert body["object"] == "list"
    assert body["data"][0]["id"] == "main"
    assert body["data"][0]["object"] == "model"


def test_health(raw: httpx.Client) -> None:
    response = raw.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["models"] == ["main"]
    assert isinstance(body["version"], str)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("POST", "/v1/nothing-here", 404), ("GET", "/v1/messages", 405)],
)
def test_unknown_routes_answer_in_anthropic_shape(
    raw: httpx.Client, method: str, path: str, status: int
) -> None:
    response = raw.request(method, path, headers=ANTHROPIC_HEADERS)

    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["type"] == "error"
