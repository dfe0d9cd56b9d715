"""A shared table of canonical conversations: each as an Anthropic Messages body, the canonical
Request it decodes to, and the OpenAI Chat Completions body that Request encodes to
(``encode_request(request, UPSTREAM_MODEL, EncodeOptions())``).

Other tests may import ``CONVERSATIONS`` to drive a codec with known-good traffic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crosswire.canonical import (
    ImagePart,
    Message,
    Request,
    TextPart,
    ThinkingConfig,
    ThinkingPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
)
from crosswire.formats.anthropic.ids import to_client_id
from crosswire.formats.anthropic.signatures import client_signature

UPSTREAM_MODEL = "upstream-model"
PNG = (  # a 1x1 PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4"
    "2mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)

BASH_SCHEMA = {
    "type": "object",
    "properties": {"command": {"type": "string"}},
    "required": ["command"],
}
READ_SCHEMA = {"type": "object", "properties": {"path": {"type": "string"}}}

KIMI_BASH_ID = "functions.Bash:0"
KIMI_READ_ID = "functions.Read:1"


@dataclass(frozen=True)
class Conversation:
    name: str
    anthropic: dict[str, Any]
    canonical: Request
    openai: dict[str, Any]


# The thinking an OpenAI-format upstream produced last turn, as Claude Code (display omitted)
# keeps it: no text, a cw1 signature carrying origin and text.
_CARRIED = ThinkingPart("The user wants a listing; call Bash.", None, "openai_chat")
_CARRIED_SIGNATURE = client_signature(_CARRIED, include_text=True)


CONVERSATIONS: list[Conversation] = [
    Conversation(
        name="plain_text",
        anthropic={
            "model": "claude-x",
            "max_tokens": 1024,
            "messages": [{"role": "user", "content": "Hello"}],
        },
        canonical=Request(
            model="claude-x",
            messages=[Message("user", [TextPart("Hello")])],
            max_tokens=1024,
            client_format="anthropic",
        ),
        openai={
            "model": UPSTREAM_MODEL,
            "messages": [{"role": "user", "content": "Hello"}],
            "max_tokens": 1024,
        },
    ),
    Conversation(
        name="system_and_multi_turn",
        anthropic={
            "model": "claude-x",
            "max_tokens": 2048,
            "stream": True,
            "temperature": 0.3,
            "stop_sequences": ["<END>"],
            "system": [
                {"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "Answer in English."},
            ],
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "2+2?"}]},
                {"role": "assistant", "content": [{"type": "text", "text": "4"}]},
                {"role": "user", "content": "And 3+3?"},
                {"role": "system", "content": "Reminder: be brief."},
            ],
        },
        canonical=Request(
            model="claude-x",
            system=[
                TextPart("You are terse.", {"type": "ephemeral"}),
                TextPart("Answer in English."),
                TextPart("Reminder: be brief."),
            ],
            messages=[
                Message("user", [TextPart("2+2?")]),
                Message("assistant", [TextPart("4")]),
                Message("user", [TextPart("And 3+3?")]),
            ],
            max_tokens=2048,
            temperature=0.3,
            stop=["<END>"],
            stream=True,
            client_format="anthropic",
        ),
        openai={
            "model": UPSTREAM_MODEL,
            "messages": [
                {
                    "role": "system",
                    "content": "You are terse.\nAnswer in English.\nReminder: be brief.",
                },
                {"role": "user", "content": "2+2?"},
                {"role": "assistant", "content": "4"},
                {"role": "user", "content": "And 3+3?"},
            ],
            "max_tokens": 2048,
            "temperature": 0.3,
            "stop": ["<END>"],
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    ),
    Conversation(
        name="single_tool_round_trip",
        anthropic={
            "model": "claude-x",
            "max_tokens": 1024,
            "tools": [
                {"name": "Bash", "description": "Run a shell command", "input_schema": BASH_SCHEMA}
            ],
            "tool_choice": {"type": "auto"},
            "messages": [
                {"role": "user", "content": "List files"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": "Listing."},
                        {
                            "type": "tool_use",
                            "id": "call_1",
                            "name": "Bash",
                            "input": {"command": "ls"},
                        },
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "call_1", "content": "a.txt\nb.txt"}
                    ],
                },
            ],
        },
        canonical=Request(
            model="claude-x",
            messages=[
                Message("user", [TextPart("List files")]),
                Message(
                    "assistant",
                    [TextPart("Listing."), ToolCallPart("call_1", "Bash", '{"command":"ls"}')],
                ),
                Message("user", [ToolResultPart("call_1", [TextPart("a.txt\nb.txt")])]),
            ],
            max_tokens=1024,
            tools=[Tool("Bash", "Run a shell command", BASH_SCHEMA)],
            tool_choice=ToolChoice("auto"),
            client_format="anthropic",
        ),
        openai={
            "model": UPSTREAM_MODEL,
            "messages": [
                {"role": "user", "content": "List files"},
                {
                    "role": "assistant",
                    "content": "Listing.",
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "Bash", "arguments": '{"command":"ls"}'},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "call_1", "content": "a.txt\nb.txt"},
            ],
            "max_tokens": 1024,
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "Bash",
                        "description": "Run a shell command",
                        "parameters": BASH_SCHEMA,
                    },
                }
            ],
            "tool_choice": "auto",
        },
    ),
    Conversation(
        name="parallel_tool_calls_with_trailing_text",
        anthropic={
            "model": "claude-x",
            "max_tokens": 1024,
            "tools": [
                {"name": "Bash", "input_schema": BASH_SCHEMA},
                {"name": "Read", "input_schema": READ_SCHEMA},
            ],
            "tool_choice": {"type": "any", "disable_parallel_tool_use": False},
            "messages": [
                {"role": "user", "content": "Look around"},
                {
                    "role": "assistant",
                    "content": [
                        {
                            "type": "tool_use",
                            "id": to_client_id(KIMI_BASH_ID),
                            "name": "Bash",
                            "input": {"command": "pwd"},
                        },
                        {
                            "type": "tool_use",
                            "id": to_client_id(KIMI_READ_ID),
                            "name": "Read",
                            "input": {"path": "/etc/hostname"},
                        },
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": to_client_id(KIMI_BASH_ID),
                            "content": [{"type": "text", "text": "/root"}],
                        },
                        {
                            "type": "tool_result",
                            "tool_use_id": to_client_id(KIMI_READ_ID),
                            "content": "box",
                        },
                        {"type": "text", "text": "Now summarise."},
                    ],
                },
            ],
        },
        canonical=Request(
            model="claude-x",
            messages=[
                Message("user", [TextPart("Look around")]),
                Message(
                    "assistant",
                    [
                        ToolCallPart(KIMI_BASH_ID, "Bash", '{"command":"pwd"}'),
                        ToolCallPart(KIMI_READ_ID, "Read", '{"path":"/etc/hostname"}'),
                    ],
                ),
                Message(
                    "user",
                    [
                        ToolResultPart(KIMI_BASH_ID, [TextPart("/root")]),
                        ToolResultPart(KIMI_READ_ID, [TextPart("box")]),
                        TextPart("Now summarise."),
                    ],
                ),
            ],
            max_tokens=1024,
            tools=[Tool("Bash", None, BASH_SCHEMA), Tool("Read", None, READ_SCHEMA)],
            tool_choice=ToolChoice("any", parallel=True),
            client_format="anthropic",
        ),
        openai={
            "model": UPSTREAM_MODEL,
            "messages": [
                {"role": "user", "content": "Look around"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": KIMI_BASH_ID,
                            "type": "function",
                            "function": {"name": "Bash", "arguments": '{"command":"pwd"}'},
                        },
                        {
                            "id": KIMI_READ_ID,
                            "type": "function",
                            "function": {"name": "Read", "arguments": '{"path":"/etc/hostname"}'},
                        },
                    ],
                },
                {"role": "tool", "tool_call_id": KIMI_BASH_ID, "content": "/root"},
                {"role": "tool", "tool_call_id": KIMI_READ_ID, "content": "box"},
                {"role": "user", "content": "Now summarise."},
            ],
            "max_tokens": 1024,
            "tools": [
                {"type": "function", "function": {"name": "Bash", "parameters": BASH_SCHEMA}},
                {"type": "function", "function": {"name": "Read", "parameters": READ_SCHEMA}},
            ],
            "tool_choice": "required",
            "parallel_tool_calls": True,
        },
    ),
    Conversation(
        name="thinking_carried_back",
        anthropic={
            "model": "claude-x",
            "max_tokens": 32000,
            "thinking": {"type": "adaptive", "display": "omitted"},
            "output_config": {"effort": "high"},
            "tools": [{"name": "Bash", "input_schema": BASH_SCHEMA}],
            "messages": [
                {"role": "user", "content": "List files"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": "", "signature": _CARRIED_SIGNATURE},
                        {
                            "type": "tool_use",
                            "id": to_client_id(KIMI_BASH_ID),
                            "name": "Bash",
                            "input": {"command": "ls"},
                        },
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": to_client_id(KIMI_BASH_ID),
                            "content": "a.txt",
                        }
                    ],
                },
            ],
        },
        canonical=Request(
            model="claude-x",
            messages=[
                Message("user", [TextPart("List files")]),
                Message(
                    "assistant",
                    [_CARRIED, ToolCallPart(KIMI_BASH_ID, "Bash", '{"command":"ls"}')],
                ),
                Message("user", [ToolResultPart(KIMI_BASH_ID, [TextPart("a.txt")])]),
            ],
            max_tokens=32000,
            tools=[Tool("Bash", None, BASH_SCHEMA)],
            thinking=ThinkingConfig("adaptive", effort="high", display="omitted"),
            client_format="anthropic",
        ),
        openai={
            "model": UPSTREAM_MODEL,
            "messages": [
                {"role": "user", "content": "List files"},
                {
                    "role": "assistant",
                    "content": None,
                    "reasoning_content": "The user wants a listing; call Bash.",
                    "tool_calls": [
                        {
                            "id": KIMI_BASH_ID,
                            "type": "function",
                            "function": {"name": "Bash", "arguments": '{"command":"ls"}'},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": KIMI_BASH_ID, "content": "a.txt"},
            ],
            "max_tokens": 32000,
            "tools": [
                {"type": "function", "function": {"name": "Bash", "parameters": BASH_SCHEMA}}
            ],
        },
    ),
    Conversation(
        name="image_in_user_turn",
        anthropic={
            "model": "claude-x",
            "max_tokens": 1024,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is this?"},
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                        },
                        {
                            "type": "image",
                            "source": {"type": "url", "url": "https://example.com/cat.jpg"},
                        },
                    ],
                }
            ],
        },
        canonical=Request(
            model="claude-x",
            messages=[
                Message(
                    "user",
                    [
                        TextPart("What is this?"),
                        ImagePart(media_type="image/png", data=PNG),
                        ImagePart(url="https://example.com/cat.jpg"),
                    ],
                )
            ],
            max_tokens=1024,
            client_format="anthropic",
        ),
        openai={
            "model": UPSTREAM_MODEL,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is this?"},
                        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
                    ],
                }
            ],
            "max_tokens": 1024,
        },
    ),
    Conversation(
        name="image_in_tool_result",
        anthropic={
            "model": "claude-x",
            "max_tokens": 1024,
            "messages": [
                {"role": "user", "content": "Screenshot please"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "tool_use", "id": "toolu_s", "name": "Screenshot", "input": {}}
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": "toolu_s",
                            "content": [
                                {"type": "text", "text": "Captured."},
                                {
                                    "type": "image",
                                    "source": {
                                        "type": "base64",
                                        "media_type": "image/png",
                                        "data": PNG,
                                    },
                                },
                            ],
                        }
                    ],
                },
            ],
        },
        canonical=Request(
            model="claude-x",
            messages=[
                Message("user", [TextPart("Screenshot please")]),
                Message("assistant", [ToolCallPart("toolu_s", "Screenshot", "{}")]),
                Message(
                    "user",
                    [
                        ToolResultPart(
                            "toolu_s",
                            [TextPart("Captured."), ImagePart(media_type="image/png", data=PNG)],
                        )
                    ],
                ),
            ],
            max_tokens=1024,
            client_format="anthropic",
        ),
        openai={
            "model": UPSTREAM_MODEL,
            "messages": [
                {"role": "user", "content": "Screenshot please"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "toolu_s",
                            "type": "function",
                            "function": {"name": "Screenshot", "arguments": "{}"},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "toolu_s", "content": "Captured."},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "Images returned by tool call toolu_s:"},
                        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                    ],
                },
            ],
            "max_tokens": 1024,
        },
    ),
    Conversation(
        name="tool_error",
        anthropic={
            "model": "claude-x",
            "max_tokens": 1024,
            "metadata": {"user_id": "user-42"},
            "messages": [
                {"role": "user", "content": "Write the file"},
                {
                    "role": "assistant",
                    "content": [
                        {
                            "type": "tool_use",
                            "id": "toolu_w",
                            "name": "Write",
                            "input": {"file_path": "/a", "content": "hi"},
                        }
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": "toolu_w",
                            "is_error": True,
                            "content": "Permission denied",
                        }
                    ],
                },
            ],
        },
        canonical=Request(
            model="claude-x",
            messages=[
                Message("user", [TextPart("Write the file")]),
                Message(
                    "assistant",
                    [ToolCallPart("toolu_w", "Write", '{"file_path":"/a","content":"hi"}')],
                ),
                Message(
                    "user",
                    [ToolResultPart("toolu_w", [TextPart("Permission denied")], is_error=True)],
                ),
            ],
            max_tokens=1024,
            user_id="user-42",
            client_format="anthropic",
        ),
        openai={
            "model": UPSTREAM_MODEL,
            "messages": [
                {"role": "user", "content": "Write the file"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "toolu_w",
                            "type": "function",
                            "function": {
                                "name": "Write",
                                "arguments": '{"file_path":"/a","content":"hi"}',
                            },
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "toolu_w", "content": "Error: Permission denied"},
            ],
            "max_tokens": 1024,
        },
    ),
]
