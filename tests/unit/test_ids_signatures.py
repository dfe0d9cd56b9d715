"""Tool-id codec (formats/anthropic/ids.py) and thinking signatures (signatures.py)."""

from __future__ import annotations

import base64
import json
import re

import pytest

from crosswire.canonical import ThinkingPart
from crosswire.formats.anthropic.ids import from_client_id, to_client_id
from crosswire.formats.anthropic.signatures import PREFIX, client_signature, thinking_from_client

ANTHROPIC_ID = re.compile(r"^[a-zA-Z0-9_-]+$")

# --------------------------------------------------------------------------- tool ids


@pytest.mark.parametrize(
    "upstream_id",
    [
        "functions.Bash:0",
        "functions.mcp__github__create_issue:12",
        "call|abc|1",
        "tool/read/2",
        "call 1",
        "工具调用:1",
        "emoji🌍:3",
        "a=b+c/d==",
        "cwx_looks_encoded_but_is_not",
        "cwx_",
        "",
    ],
)
def test_invalid_ids_are_encoded_reversibly(upstream_id: str) -> None:
    client_id = to_client_id(upstream_id)
    assert ANTHROPIC_ID.match(client_id), client_id
    assert client_id.startswith("cwx_")
    assert from_client_id(client_id) == upstream_id


def test_kimi_id_encoding_is_deterministic() -> None:
    assert to_client_id("functions.Bash:0") == to_client_id("functions.Bash:0")
    assert to_client_id("functions.Bash:0") != to_client_id("functions.Bash:1")


@pytest.mark.parametrize(
    "valid_id",
    ["toolu_01A09q90qw90lq917835lq9", "call_abc123", "a", "A-b_C-9", "srvtoolu_x", "x" * 300],
)
def test_valid_ids_are_untouched(valid_id: str) -> None:
    # includes long ids: the codec only fixes the alphabet, never the length
    assert to_client_id(valid_id) == valid_id
    assert from_client_id(valid_id) == valid_id


@pytest.mark.parametrize("client_id", ["cwx_test", "cwx_abcd", "cwx_____"])
def test_client_ids_that_only_look_encoded_come_back_unchanged(client_id: str) -> None:
    # not valid base64 of UTF-8: the id is returned as the client sent it, never an exception
    assert from_client_id(client_id) == client_id


# --------------------------------------------------------------------------- signatures


def _decode_state(signature: str) -> dict[str, str]:
    payload = signature[len(PREFIX) :]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_anthropic_signature_is_untouched_both_ways() -> None:
    signature = "EqQBCkYIBxgCKkBsb25nIGJhc2U2NCBwYXlsb2Fk+/="
    part = ThinkingPart("thought", signature=signature, origin="anthropic")
    assert client_signature(part, include_text=True) == signature
    assert client_signature(part, include_text=False) == signature
    assert thinking_from_client("thought", signature) == part


def test_anthropic_thinking_without_signature_gives_empty_signature() -> None:
    part = ThinkingPart("t", origin="anthropic")
    assert client_signature(part, include_text=False) == ""


@pytest.mark.parametrize("include_text", [True, False])
@pytest.mark.parametrize("upstream_signature", [None, "opaque-state==", "x.y:z"])
def test_cw1_round_trip(include_text: bool, upstream_signature: str | None) -> None:
    part = ThinkingPart("step 1, step 2 — ünïcode", upstream_signature, "openai_chat")
    signature = client_signature(part, include_text=include_text)
    assert signature.startswith("cw1.")
    # the client sends back the text it was shown: all of it, or nothing when omitted
    shown = "" if include_text else part.text
    back = thinking_from_client(shown, signature)
    assert back.origin == "openai_chat"
    assert back.signature == upstream_signature
    if include_text:
        assert back.text == part.text  # recovered from the signature itself
    else:
        assert back.text == part.text
        assert "t" not in _decode_state(signature)


def test_cw1_records_origin_signature_and_text() -> None:
    part = ThinkingPart("secret plan", "sig-1", "gemini")
    state = _decode_state(client_signature(part, include_text=True))
    assert state == {"o": "gemini", "s": "sig-1", "t": "secret plan"}
    assert _decode_state(client_signature(part, include_text=False)) == {
        "o": "gemini",
        "s": "sig-1",
    }


def test_cw1_unknown_origin() -> None:
    state = _decode_state(client_signature(ThinkingPart("x"), include_text=False))
    assert state == {"o": "unknown"}


def test_client_text_wins_over_text_in_signature() -> None:
    signature = client_signature(ThinkingPart("old", None, "openai_chat"), include_text=True)
    assert thinking_from_client("edited", signature).text == "edited"


@pytest.mark.parametrize(
    "garbage",
    [
        "cw1.",
        "cw1.dGVzdA",  # base64("test"): not JSON (the Claude Code capture's signature)
        "cw1.!!!!",
        "cw1." + base64.urlsafe_b64encode(b"[1, 2]").decode(),  # JSON, not an object
        "cw1." + base64.urlsafe_b64encode(b'"text"').decode(),
        "cw1.\u00e9\u00e9",
    ],
)
def test_garbage_cw1_payload_has_no_origin(garbage: str) -> None:
    part = thinking_from_client("kept text", garbage)
    assert part == ThinkingPart("kept text", signature=None, origin=None)


@pytest.mark.parametrize(
    "part",
    [
        ThinkingPart("", None, "openai_chat"),
        ThinkingPart("a", None, "openai_chat"),
        ThinkingPart("a" * 5000, "s" * 100, "openai_chat"),
        ThinkingPart("??>>", None, None),
        ThinkingPart("x", "sig", "gemini"),
    ],
)
@pytest.mark.parametrize("include_text", [True, False])
def test_minted_signatures_never_look_like_anthropic_base64(
    part: ThinkingPart, include_text: bool
) -> None:
    signature = client_signature(part, include_text=include_text)
    # Anthropic signatures are base64 (A-Z a-z 0-9 + / =); a '.' can never occur in them
    assert "." in signature
    assert not re.fullmatch(r"[A-Za-z0-9+/=]+", signature)
    assert re.fullmatch(r"cw1\.[A-Za-z0-9_-]+", signature)  # URL-safe, no padding
