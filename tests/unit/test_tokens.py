"""Offline token estimates (crosswire/tokens.py)."""

from __future__ import annotations

import itertools

import pytest

from crosswire.canonical import (
    DocumentPart,
    ImagePart,
    Message,
    Request,
    TextPart,
    ThinkingPart,
    Tool,
    ToolCallPart,
    ToolResultPart,
)
from crosswire.formats.anthropic import decode_request
from crosswire.tokens import IMAGE_TOKENS, estimate_request_tokens, estimate_text_tokens

from .helpers import load_fixture

PROSE = (
    "The quick brown fox jumps over the lazy dog. Tokenizers split words and punctuation; "
    "long identifiers like estimate_request_tokens cost more.\n\n    def f(x):\n        "
    "return x ** 2  # 12345 héllo 🌍 日本\n"
)


def test_empty_text_is_zero() -> None:
    assert estimate_text_tokens("") == 0


def test_monotonic_along_every_prefix() -> None:
    counts = [estimate_text_tokens(PROSE[:i]) for i in range(len(PROSE) + 1)]
    assert all(a <= b for a, b in itertools.pairwise(counts))
    assert counts[-1] > 30


@pytest.mark.parametrize("n", [1, 2, 4, 8, 16])
def test_grows_with_repetition(n: int) -> None:
    one = estimate_text_tokens(PROSE)
    many = estimate_text_tokens(PROSE * n)
    assert n * one * 0.9 <= many <= n * one * 1.1


def test_plausible_scale_for_english() -> None:
    # about 4 characters per token on ordinary English prose
    text = "This is an ordinary English sentence about the weather today. " * 50
    chars_per_token = len(text) / estimate_text_tokens(text)
    assert 3.0 <= chars_per_token <= 6.0


def test_long_words_cost_more_than_short_ones() -> None:
    assert estimate_text_tokens("a") == 1
    assert estimate_text_tokens("internationalization") > estimate_text_tokens("word")


def test_non_ascii_is_counted() -> None:
    assert estimate_text_tokens("日本語のテキスト") >= 8
    assert estimate_text_tokens("🌍🌍🌍") >= 3


def _request(**kw: object) -> Request:
    return Request(model="m", messages=[Message("user", [TextPart("hello there")])], **kw)  # type: ignore[arg-type]


def test_system_counts() -> None:
    assert estimate_request_tokens(_request(system=[TextPart(PROSE)])) > estimate_request_tokens(
        _request()
    )


def test_tools_are_counted() -> None:
    base = estimate_request_tokens(_request())
    tool = Tool(
        "Bash",
        "Run a shell command and return its output",
        {"type": "object", "properties": {"command": {"type": "string"}}},
    )
    one = estimate_request_tokens(_request(tools=[tool]))
    two = estimate_request_tokens(_request(tools=[tool, tool]))
    assert one - base >= 20  # overhead + name + description + schema
    assert two - one == one - base


def test_tool_calls_and_results_are_counted() -> None:
    base = _request()
    loop = _request()
    loop.messages += [
        Message("assistant", [ToolCallPart("c", "Read", '{"path": "/etc/hosts"}')]),
        Message("user", [ToolResultPart("c", [TextPart(PROSE)])]),
    ]
    empty_result = _request()
    empty_result.messages += [
        Message("assistant", [ToolCallPart("c", "Read", '{"path": "/etc/hosts"}')]),
        Message("user", [ToolResultPart("c", [])]),
    ]
    assert estimate_request_tokens(loop) > estimate_request_tokens(empty_result)
    assert estimate_request_tokens(empty_result) > estimate_request_tokens(base)
    difference = estimate_request_tokens(loop) - estimate_request_tokens(empty_result)
    assert difference == estimate_text_tokens(PROSE)


def test_images_documents_and_thinking() -> None:
    base = estimate_request_tokens(_request())
    with_image = _request()
    with_image.messages[0].parts.append(ImagePart(media_type="image/png", data="AAAA"))
    assert estimate_request_tokens(with_image) - base == IMAGE_TOKENS
    in_result = _request()
    in_result.messages[0].parts.append(ToolResultPart("c", [ImagePart(url="https://x/i.png")]))
    assert estimate_request_tokens(in_result) - base > IMAGE_TOKENS
    small_pdf = _request()
    small_pdf.messages[0].parts.append(DocumentPart(media_type="application/pdf", data="A" * 100))
    big_pdf = _request()
    big_pdf.messages[0].parts.append(DocumentPart(media_type="application/pdf", data="A" * 30000))
    assert estimate_request_tokens(big_pdf) > estimate_request_tokens(small_pdf) > base
    text_doc = _request()
    text_doc.messages[0].parts.append(DocumentPart(media_type="text/plain", text=PROSE))
    assert estimate_request_tokens(text_doc) - base == estimate_text_tokens(PROSE)
    thinking = _request()
    thinking.messages.append(Message("assistant", [ThinkingPart(PROSE)]))
    assert estimate_request_tokens(thinking) > base


def test_claude_code_turn1_fixture_in_range() -> None:
    request = decode_request(load_fixture("messages_turn1.json"))
    estimate = estimate_request_tokens(request)
    assert 10_000 <= estimate <= 20_000
    # turn 2 adds a tool loop, so it costs more
    turn2 = estimate_request_tokens(decode_request(load_fixture("messages_turn2.json")))
    assert turn2 > estimate
