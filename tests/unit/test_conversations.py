"""The shared conversation table: Anthropic body → canonical → OpenAI Chat body, both golden."""

from __future__ import annotations

import copy

import pytest

from crosswire.formats.anthropic import decode_request
from crosswire.formats.openai_chat import EncodeOptions, encode_request
from crosswire.jsonutil import dumps

from .conversations import CONVERSATIONS, UPSTREAM_MODEL, Conversation

IDS = [c.name for c in CONVERSATIONS]


def test_table_covers_the_required_shapes() -> None:
    assert len(CONVERSATIONS) >= 8
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=IDS)
def test_anthropic_body_decodes_to_canonical(conversation: Conversation) -> None:
    body = copy.deepcopy(conversation.anthropic)
    assert decode_request(body) == conversation.canonical
    assert body == conversation.anthropic  # decoding does not modify the body


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=IDS)
def test_canonical_encodes_to_openai_body(conversation: Conversation) -> None:
    request = copy.deepcopy(conversation.canonical)
    body = encode_request(request, UPSTREAM_MODEL, EncodeOptions())
    assert body == conversation.openai
    assert request == conversation.canonical  # encoding does not modify the request
    # key order is part of the golden: byte-identical JSON gives upstream prefix-cache hits
    assert dumps(body) == dumps(conversation.openai)


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=IDS)
def test_full_hop_is_deterministic(conversation: Conversation) -> None:
    first = dumps(
        encode_request(decode_request(conversation.anthropic), UPSTREAM_MODEL, EncodeOptions())
    )
    second = dumps(
        encode_request(decode_request(conversation.anthropic), UPSTREAM_MODEL, EncodeOptions())
    )
    assert first == second == dumps(conversation.openai)
