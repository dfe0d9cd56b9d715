"""Images from Anthropic clients reach an OpenAI-format upstream as ``image_url`` data URLs."""

from __future__ import annotations

import anthropic

from tests.support.servers import Reply, ScriptedOpenAIUpstream

from ._helpers import MODEL, PNG_B64, TOOLS, text_chunks

IMAGE_BLOCK = {
    "type": "image",
    "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64},
}
DATA_URL = "data:image/png;base64," + PNG_B64


def test_base64_image_in_user_message(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    upstream.reset(Reply(chunks=text_chunks("A ", "tiny ", "dot.")))

    with client.messages.stream(
        model=MODEL,
        max_tokens=256,
        messages=[
            {
                "role": "user",
                "content": [IMAGE_BLOCK, {"type": "text", "text": "What is this?"}],
            }
        ],
    ) as stream:
        message = stream.get_final_message()

    assert message.content[0].text == "A tiny dot."
    assert upstream.requests[0].body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": DATA_URL}},
                {"type": "text", "text": "What is this?"},
            ],
        }
    ]


def test_image_inside_tool_result(
    client: anthropic.Anthropic, upstream: ScriptedOpenAIUpstream
) -> None:
    """``tool`` messages carry text only: the image follows in a user message."""
    upstream.reset(Reply.text("I see a dot."))

    message = client.messages.create(
        model=MODEL,
        max_tokens=256,
        tools=TOOLS,
        messages=[
            {"role": "user", "content": "screenshot please"},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "call_img", "name": "Read", "input": {"path": "s"}}
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "call_img",
                        "content": [{"type": "text", "text": "screenshot taken"}, IMAGE_BLOCK],
                    },
                    {"type": "text", "text": "What do you see?"},
                ],
            },
        ],
    )

    assert message.content[0].text == "I see a dot."
    messages = upstream.requests[0].body["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "user"]
    assert messages[2] == {
        "role": "tool",
        "tool_call_id": "call_img",
        "content": "screenshot taken",
    }
    follow_up = messages[3]["content"]
    assert isinstance(follow_up, list)
    assert {"type": "image_url", "image_url": {"url": DATA_URL}} in follow_up
    assert follow_up[-1] == {"type": "text", "text": "What do you see?"}
    # The image is labelled with the call it came from, ahead of the user's own text.
    assert "call_img" in follow_up[0]["text"]
    assert PNG_B64 not in messages[2]["content"]
