"""One minimal valid request per client format, and a checker for each format's error
envelope, shared by the security tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

UPSTREAM_KEY = "sk-upstream-secret-key-0001"
GATEWAY_KEY = "cw-test-gateway-key-alpha-000000001"
OTHER_KEY = "cw-test-gateway-key-bravo-000000002"
WRONG_KEY = "cw-test-gateway-key-wrong-000000003"


@dataclass(frozen=True)
class Format:
    name: str
    path: Callable[[str], str]
    body: Callable[[str], dict[str, Any]]
    headers: dict[str, str]

    def url(self, model: str = "main") -> str:
        return self.path(model)


FORMATS = [
    Format(
        "anthropic",
        lambda m: "/v1/messages",
        lambda m: {"model": m, "max_tokens": 32, "messages": [{"role": "user", "content": "hi"}]},
        {"anthropic-version": "2023-06-01"},
    ),
    Format(
        "openai_chat",
        lambda m: "/v1/chat/completions",
        lambda m: {"model": m, "messages": [{"role": "user", "content": "hi"}]},
        {},
    ),
    Format(
        "openai_responses", lambda m: "/v1/responses", lambda m: {"model": m, "input": "hi"}, {}
    ),
    Format(
        "gemini",
        lambda m: f"/v1beta/models/{m}:generateContent",
        lambda m: {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
        {},
    ),
]
FORMAT_IDS = [f.name for f in FORMATS]


def key_headers(fmt: Format, key: str) -> dict[str, str]:
    """The key where this format's SDK puts it."""
    if fmt.name == "anthropic":
        return {**fmt.headers, "x-api-key": key}
    if fmt.name == "gemini":
        return {**fmt.headers, "x-goog-api-key": key}
    return {**fmt.headers, "authorization": f"Bearer {key}"}


def assert_error_envelope(fmt: Format, status: int, body: Any) -> None:
    """``body`` is an error in ``fmt``'s own shape."""
    assert isinstance(body, dict), body
    error = body.get("error")
    assert isinstance(error, dict), body
    assert isinstance(error.get("message"), str), body
    if fmt.name == "anthropic":
        assert body.get("type") == "error" and isinstance(error.get("type"), str), body
    elif fmt.name == "gemini":
        assert error.get("code") == status and isinstance(error.get("status"), str), body
    else:
        assert "type" in error, body
