"""One gateway, four scripted upstreams (one per wire format) and four client drivers (one per
official SDK), all started once per session.

The gateway has one provider per upstream format and the model aliases ``via-openai``,
``via-anthropic``, ``via-responses`` and ``via-gemini``: the client picks the upstream by model
name. When client and upstream share a format the gateway relays untranslated (its same-format
fast path, for every format but Gemini); a second provider per such format, with
``passthrough = false``, is reachable as ``via-<x>-translated`` so the diagonal cells also run
through the codecs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from tests.support.servers import ThreadedApp, start_gateway
from tests.support.upstreams import UPSTREAM_CLASSES, Expectation, ScriptedUpstream
from tests.support.upstreams.scenarios import FORMATS, MODEL_ALIASES, UPSTREAM_KEYS, UPSTREAM_MODELS

from .client_anthropic import AnthropicDriver
from .client_gemini import GeminiDriver
from .client_openai_chat import ChatDriver
from .client_openai_responses import ResponsesDriver
from .common import Driver

PROVIDER_TYPES = {
    "openai_chat": "openai",
    "anthropic": "anthropic",
    "openai_responses": "openai_responses",
    "gemini": "google-genai",
}
PROFILES = {"openai_chat": "openai", "anthropic": "anthropic"}
DRIVERS: dict[str, Callable[[str], Driver]] = {
    "anthropic": AnthropicDriver,
    "openai_chat": ChatDriver,
    "openai_responses": ResponsesDriver,
    "gemini": GeminiDriver,
}


PASSTHROUGH_FORMATS = ("openai_chat", "anthropic", "openai_responses")
"""Formats the gateway relays untranslated to a same-format upstream (Gemini is always
translated)."""
TRANSLATED = "-translated"


def gateway_config(upstreams: dict[str, ScriptedUpstream]) -> str:
    lines = ["[server]", "ping_interval = 5.0", 'log_level = "warning"']
    variants = [(fmt, "") for fmt in FORMATS] + [(fmt, TRANSLATED) for fmt in PASSTHROUGH_FORMATS]
    for fmt, suffix in variants:
        lines += [
            f'[providers."up_{fmt}{suffix}"]',
            f'type = "{PROVIDER_TYPES[fmt]}"',
            f'base_url = "{upstreams[fmt].base_url}"',
            f'api_key = "{UPSTREAM_KEYS[fmt]}"',
        ]
        if fmt in PROFILES:
            lines.append(f'profile = "{PROFILES[fmt]}"')
        if suffix:
            lines.append("passthrough = false")
    for fmt, suffix in variants:
        lines += [
            f'[models."{MODEL_ALIASES[fmt]}{suffix}"]',
            f'provider = "up_{fmt}{suffix}"',
            f'model = "{UPSTREAM_MODELS[fmt]}"',
            "max_context_size = 200000",
            'capabilities = ["thinking", "image_in", "tool_use"]',
        ]
    return "\n".join(lines) + "\n"


@dataclass
class Matrix:
    gateway: ThreadedApp
    upstreams: dict[str, ScriptedUpstream]
    drivers: dict[str, Driver]

    def expect(self, expectation: Expectation | None) -> None:
        for upstream in self.upstreams.values():
            upstream.expect(expectation)


@pytest.fixture(scope="session")
def matrix() -> Iterator[Matrix]:
    upstreams = {fmt: UPSTREAM_CLASSES[fmt]().start() for fmt in FORMATS}
    gateway = start_gateway(gateway_config(upstreams))
    drivers: dict[str, Driver] = {fmt: DRIVERS[fmt](gateway.url) for fmt in FORMATS}
    yield Matrix(gateway, upstreams, drivers)
    gateway.stop()
    for upstream in upstreams.values():
        upstream.stop()


@pytest.fixture
def cell(matrix: Matrix) -> Iterator[Matrix]:
    """The matrix, with every upstream's expectation cleared after the test."""
    yield matrix
    matrix.expect(None)
