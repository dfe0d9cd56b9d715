"""Hypothesis strategies for hostile requests and hostile upstream replies."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from ._formats import Format

JSON_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
JSON_ANY = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
BAD_BASE64 = st.sampled_from(["!!!", "====", "a", "iVBOR", "\u00e9\u00e9", "data:xx;base64,???"])
HUGE = st.integers(min_value=50_000, max_value=400_000).map(lambda n: "A" * n)
BLOCK_TYPES = st.sampled_from(
    ["text", "image", "tool_use", "tool_result", "thinking", "document", "input_image",
     "function_call", "made_up", "", "functionCall", "inlineData"]
)  # fmt: skip


def _block(kind: str, junk: Any, b64: str) -> dict[str, Any]:
    return {
        "type": kind,
        "text": junk,
        "source": {"type": "base64", "media_type": "image/png", "data": b64},
        "image_url": {"url": f"data:image/png;base64,{b64}"},
        "inlineData": {"mimeType": "image/png", "data": b64},
        "input": junk,
        "id": junk,
    }


@st.composite
def hostile_body(draw: st.DrawFn, fmt: Format) -> bytes:
    """A request body for ``fmt``: a valid one with one adversarial change, or raw garbage."""
    body: dict[str, Any] = fmt.body("main")
    conversation = next(k for k in ("messages", "input", "contents") if k in body)
    mutation = draw(st.sampled_from(
        ["type", "drop", "junk_field", "huge", "deep", "utf8", "base64", "block", "garbage",
         "not_object", "tools", "roles"]
    ))  # fmt: skip
    junk = draw(JSON_ANY)
    if mutation == "type":
        field = draw(st.sampled_from([*body, "max_tokens", "stream", "tools", "system"]))
        body[field] = junk
    elif mutation == "drop":
        body.pop(draw(st.sampled_from(sorted(body))))
    elif mutation == "junk_field":
        body[draw(st.text(min_size=1, max_size=12))] = junk
    elif mutation == "huge":
        body[draw(st.sampled_from([conversation, "model", "system"]))] = draw(HUGE)
    elif mutation == "deep":
        depth = draw(st.integers(min_value=20, max_value=3000))
        body[conversation] = ["__DEEP__"]
        nested = b'{"a":[' * depth + b"{}" + b"]}" * depth  # past json.dumps's own recursion
        return json.dumps(body).encode().replace(b'"__DEEP__"', nested)
    elif mutation == "base64" or mutation == "block":
        kind = draw(BLOCK_TYPES) if mutation == "block" else "image"
        block = _block(kind, junk, draw(BAD_BASE64))
        if fmt.name == "gemini":
            body["contents"] = [{"role": "user", "parts": [block]}]
        elif fmt.name == "openai_responses":
            body["input"] = [{"role": "user", "content": [block]}, block]
        else:
            body["messages"] = [{"role": "user", "content": [block]}]
    elif mutation == "tools":
        body["tools"] = draw(st.lists(JSON_ANY, min_size=1, max_size=4))
    elif mutation == "roles":
        role = draw(st.sampled_from(["system", "tool", "assistant", "model", "function", "", "x"]))
        item = {"role": role, "content": junk, "parts": junk}
        body[conversation] = [item]
    raw = json.dumps(body).encode()
    if mutation == "utf8":
        cut = draw(st.integers(min_value=0, max_value=len(raw)))
        bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b'"\xfe"']))
        return raw[:cut] + bad + raw[cut:]
    if mutation == "garbage":
        return draw(st.binary(max_size=200))
    if mutation == "not_object":
        return json.dumps(junk).encode()
    return raw


UPSTREAM_GARBAGE = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([
        b"{", b"[]", b"null", b'{"choices": 5}', b'{"choices": [{"message": 3}]}',
        b'{"choices": [{"delta": {"tool_calls": [{"index": "x"}]}}]}',
        b"data: {not json}\n\n", b"data: [1,2]\n\n", b'data: {"choices": [null]}\n\n',
        b'data: {"choices": [{"delta": {"content": 5}}]}\n\n', b"data: \xff\xfe\n\n",
        b'data: {"choices": [{"delta": {"content": "hal', b"event: x\ndata:\n\n\n",
        b'data: {"error": {"message": "boom"}}\n\n', b"\x00" * 64,
    ]),
)  # fmt: skip
