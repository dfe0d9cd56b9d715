"""Provider profiles shaping a canonical request into an upstream body (prepare_chat_body)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from crosswire.canonical import (
    InvalidRequestError,
    Message,
    NotFoundError,
    Request,
    TextPart,
    ThinkingConfig,
    ThinkingPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
)
from crosswire.providers import PROFILES, get_profile, prepare_chat_body
from crosswire.providers.profile import ModelTraits

KIMI = get_profile("kimi")
NIM = get_profile("nim")
OPENAI = get_profile("openai")
OFFICIAL = get_profile("openai_official")
DEEPSEEK = get_profile("deepseek")

THINKING = frozenset({"thinking"})


def traits(model: str = "kimi-k2.6", caps: frozenset[str] = THINKING, **kw: Any) -> ModelTraits:
    return ModelTraits(model=model, capabilities=caps, **kw)


def tool_loop(thinking: str | ThinkingConfig = "adaptive", **kw: Any) -> Request:
    """Claude Code-like: two finished tool loops, sampling params, a forced tool choice."""
    fields: dict[str, Any] = {
        "model": "claude-opus-5-5",
        "system": [TextPart("sys")],
        "messages": [
            Message("user", [TextPart("go")]),
            Message("assistant", [ToolCallPart("functions.Bash:0", "Bash", '{"cmd":"ls"}')]),
            Message("user", [ToolResultPart("functions.Bash:0", [TextPart("a")])]),
            Message(
                "assistant",
                [
                    ThinkingPart("think", origin="openai_chat"),
                    ToolCallPart("functions.Read:1", "Read", '{"p":"a"}'),
                ],
            ),
            Message("user", [ToolResultPart("functions.Read:1", [TextPart("x")])]),
        ],
        "tools": [Tool("Bash"), Tool("Read")],
        "tool_choice": ToolChoice("any", parallel=False),
        "temperature": 0.2,
        "top_p": 0.9,
        "max_tokens": 128000,
        "thinking": thinking
        if isinstance(thinking, ThinkingConfig)
        else ThinkingConfig(thinking, effort="medium"),  # type: ignore[arg-type]
    }
    fields.update(kw)
    return Request(**fields)


def assistant_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body["messages"] if m["role"] == "assistant"]


def test_registry() -> None:
    assert set(PROFILES) >= {"openai", "openai_official", "kimi", "nim", "deepseek"}
    with pytest.raises(NotFoundError, match="unknown provider profile 'nope'"):
        get_profile("nope")


# --------------------------------------------------------------------------- kimi


@pytest.mark.parametrize(("mode", "switch"), [("adaptive", "enabled"), ("off", "disabled")])
def test_kimi_thinking_switch(mode: str, switch: str) -> None:
    body = prepare_chat_body(tool_loop(mode), traits(), KIMI)
    assert body["thinking"] == {"type": switch}
    assert "reasoning_effort" not in body


def test_kimi_no_thinking_param_when_model_cannot_think() -> None:
    body = prepare_chat_body(tool_loop("adaptive"), traits(caps=frozenset()), KIMI)
    assert "thinking" not in body
    # not thinking: no reasoning forced onto tool-call messages, forced tool choice kept
    assert all("reasoning_content" not in m for m in assistant_messages(body)[:1])
    assert body["tool_choice"] == "required"


def test_kimi_always_thinking_model_thinks_even_when_not_asked() -> None:
    body = prepare_chat_body(tool_loop("off"), traits(caps=frozenset({"always_thinking"})), KIMI)
    assert body["thinking"] == {"type": "enabled"}
    assert body["tool_choice"] == "auto"


@pytest.mark.parametrize(
    ("effort", "wire"),
    [("low", "low"), ("medium", "high"), ("high", "high"), ("xhigh", "max"), ("max", "max")],
)
def test_kimi_k3_uses_reasoning_effort(effort: str, wire: str) -> None:
    request = tool_loop(thinking=ThinkingConfig("adaptive", effort=effort))
    body = prepare_chat_body(request, traits("kimi-k3"), KIMI)
    assert body["reasoning_effort"] == wire
    assert "thinking" not in body


def test_kimi_k3_default_effort_and_off() -> None:
    body = prepare_chat_body(
        tool_loop(thinking=ThinkingConfig("adaptive")), traits("kimi-k3"), KIMI
    )
    assert body["reasoning_effort"] == "high"
    body = prepare_chat_body(tool_loop("off"), traits("kimi-k3"), KIMI)
    assert "reasoning_effort" not in body and "thinking" not in body


@pytest.mark.parametrize("mode", ["adaptive", "off"])
def test_kimi_strips_fixed_sampling(mode: str) -> None:
    body = prepare_chat_body(tool_loop(mode), traits(), KIMI)
    assert "temperature" not in body and "top_p" not in body
    assert body["max_tokens"] == 128000


@pytest.mark.parametrize(
    ("choice", "thinking", "wire"),
    [
        (ToolChoice("any", parallel=False), "adaptive", "auto"),
        (ToolChoice("tool", "Bash"), "adaptive", "auto"),
        (ToolChoice("any", parallel=False), "off", "required"),
        (ToolChoice("tool", "Bash"), "off", {"type": "function", "function": {"name": "Bash"}}),
        (ToolChoice("none"), "adaptive", "none"),
        (ToolChoice("auto"), "adaptive", "auto"),
    ],
)
def test_kimi_forced_tool_choice_downgraded_only_while_thinking(
    choice: ToolChoice, thinking: str, wire: Any
) -> None:
    body = prepare_chat_body(tool_loop(thinking, tool_choice=choice), traits(), KIMI)
    assert body["tool_choice"] == wire


def test_kimi_downgrade_keeps_parallel_flag() -> None:
    body = prepare_chat_body(tool_loop("adaptive"), traits(), KIMI)
    assert body["tool_choice"] == "auto"
    assert body["parallel_tool_calls"] is False


def test_kimi_reasoning_content_on_every_tool_call_message_while_thinking() -> None:
    body = prepare_chat_body(tool_loop("adaptive"), traits(), KIMI)
    first, second = assistant_messages(body)
    assert first == {
        "role": "assistant",
        "reasoning_content": "",
        "tool_calls": [
            {
                "id": "functions.Bash:0",
                "type": "function",
                "function": {"name": "Bash", "arguments": '{"cmd":"ls"}'},
            }
        ],
    }
    assert second["reasoning_content"] == "think"
    assert "content" not in first and "content" not in second  # omitted, not "" or null


def test_kimi_no_forced_reasoning_when_thinking_off() -> None:
    body = prepare_chat_body(tool_loop("off"), traits(), KIMI)
    first, second = assistant_messages(body)
    assert "reasoning_content" not in first
    assert second["reasoning_content"] == "think"  # real reasoning is still echoed


def _tools(normal: int, deferred: int) -> list[Tool]:
    return [Tool(f"t{i}") for i in range(normal)] + [
        Tool(f"d{i}", defer_loading=True) for i in range(deferred)
    ]


def test_kimi_tool_limit_drops_deferred_tools_first() -> None:
    request = tool_loop(tools=_tools(120, 20), tool_choice=None)
    body = prepare_chat_body(request, traits(), KIMI)
    names = [t["function"]["name"] for t in body["tools"]]
    assert len(names) == 128
    assert names[:120] == [f"t{i}" for i in range(120)]
    assert names[120:] == [f"d{i}" for i in range(8)]
    assert len(request.tools) == 140  # the canonical request is untouched


def test_kimi_tool_limit_exact_fit_is_untouched() -> None:
    body = prepare_chat_body(tool_loop(tools=_tools(100, 28), tool_choice=None), traits(), KIMI)
    assert len(body["tools"]) == 128


def test_kimi_too_many_non_deferred_tools_is_a_clear_400() -> None:
    with pytest.raises(InvalidRequestError, match="at most 128 tools") as caught:
        prepare_chat_body(tool_loop(tools=_tools(129, 5), tool_choice=None), traits(), KIMI)
    assert "129" in caught.value.message
    assert caught.value.status == 400


def test_kimi_property_without_type_gets_one() -> None:
    schema = {
        "type": "object",
        "properties": {
            "text": {"description": "free text"},
            "count": {"enum": [1, 2, 3]},
            "flag": {"const": True},
            "nested": {"properties": {"inner": {"description": "x"}}},
            "list": {"items": {"properties": {"k": {"enum": ["a"]}}}},
            "union": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "ref": {"$ref": "#/$defs/x"},
            "typed": {"type": "integer"},
        },
        "required": ["text"],
    }
    tool = Tool("T", input_schema=schema)
    before = copy.deepcopy(schema)
    body = prepare_chat_body(tool_loop(tools=[tool], tool_choice=None), traits(), KIMI)
    props = body["tools"][0]["function"]["parameters"]["properties"]
    assert props["text"] == {"description": "free text", "type": "string"}
    assert props["count"]["type"] == "number"
    assert props["flag"]["type"] == "boolean"
    assert props["nested"]["type"] == "object"
    assert props["nested"]["properties"]["inner"]["type"] == "string"
    assert props["list"]["type"] == "array"
    assert props["list"]["items"]["properties"]["k"]["type"] == "string"
    assert "type" not in props["union"] and "type" not in props["ref"]
    assert props["typed"] == {"type": "integer"}
    assert body["tools"][0]["function"]["parameters"]["required"] == ["text"]
    assert schema == before  # the client's schema object is not modified


def test_kimi_does_not_mutate_the_request() -> None:
    request = tool_loop("adaptive", tools=_tools(120, 10), max_tokens=10**6)
    before = copy.deepcopy(request)
    prepare_chat_body(request, traits(), KIMI)
    assert request == before


# --------------------------------------------------------------------------- nim


@pytest.mark.parametrize(("mode", "on"), [("adaptive", True), ("enabled", True), ("off", False)])
def test_nim_chat_template_thinking(mode: str, on: bool) -> None:
    body = prepare_chat_body(tool_loop(mode), traits("moonshotai/kimi-k2.6"), NIM)
    assert body["chat_template_kwargs"] == {"thinking": on}
    assert "thinking" not in body


def test_nim_no_template_kwargs_for_a_model_that_cannot_think() -> None:
    body = prepare_chat_body(tool_loop(), traits("meta/llama", frozenset()), NIM)
    assert "chat_template_kwargs" not in body


@pytest.mark.parametrize(
    ("asked", "model_max", "sent"),
    [
        (128000, None, 65536),
        (65537, None, 65536),
        (65536, None, 65536),
        (4096, None, 4096),
        (128000, 16384, 16384),
        (8000, 16384, 8000),
        (128000, 100000, 65536),
    ],
)
def test_nim_max_tokens_clamped(asked: int, model_max: int | None, sent: int) -> None:
    request = tool_loop(max_tokens=asked)
    body = prepare_chat_body(request, traits("m", max_output_size=model_max), NIM)
    assert body["max_tokens"] == sent
    assert request.max_tokens == asked


def test_nim_keeps_sampling_and_omits_empty_assistant_content() -> None:
    body = prepare_chat_body(tool_loop("adaptive"), traits("m"), NIM)
    assert body["temperature"] == 0.2 and body["top_p"] == 0.9
    first = assistant_messages(body)[0]
    assert "content" not in first
    assert first["reasoning_content"] == ""


def test_model_max_output_applies_to_any_profile() -> None:
    body = prepare_chat_body(tool_loop(), traits("gpt", frozenset(), max_output_size=1000), OPENAI)
    assert body["max_tokens"] == 1000


# --------------------------------------------------------------------------- openai


def test_openai_official() -> None:
    body = prepare_chat_body(tool_loop("adaptive"), traits("gpt-5.5"), OFFICIAL)
    assert body["max_completion_tokens"] == 128000
    assert "max_tokens" not in body
    assert body["reasoning_effort"] == "medium"
    assert "thinking" not in body and "chat_template_kwargs" not in body
    assert body["tool_choice"] == "required"  # OpenAI allows forced tools while reasoning


@pytest.mark.parametrize(("effort", "wire"), [("low", "low"), ("high", "high"), (None, "medium")])
def test_openai_official_effort(effort: str | None, wire: str) -> None:
    request = tool_loop(thinking=ThinkingConfig("adaptive", effort=effort))
    assert prepare_chat_body(request, traits("gpt-5.5"), OFFICIAL)["reasoning_effort"] == wire


@pytest.mark.parametrize("effort", ["xhigh", "max"])
def test_openai_official_top_efforts_not_downgraded(effort: str) -> None:
    request = tool_loop(thinking=ThinkingConfig("adaptive", effort=effort))
    wire = prepare_chat_body(request, traits("gpt-5.5"), OFFICIAL)["reasoning_effort"]
    assert wire in ("high", "xhigh", "max")


def test_openai_official_no_effort_when_off_or_cannot_think() -> None:
    assert "reasoning_effort" not in prepare_chat_body(tool_loop("off"), traits("o"), OFFICIAL)
    body = prepare_chat_body(tool_loop(), traits("gpt-4o", frozenset()), OFFICIAL)
    assert "reasoning_effort" not in body


def test_generic_openai_sends_no_thinking_params() -> None:
    body = prepare_chat_body(tool_loop("adaptive"), traits("qwen3"), OPENAI)
    assert not {"thinking", "reasoning_effort", "chat_template_kwargs"} & set(body)
    assert body["max_tokens"] == 128000
    assert body["temperature"] == 0.2 and body["top_p"] == 0.9
    assert body["tool_choice"] == "required"
    first = assistant_messages(body)[0]
    assert first["content"] is None  # plain servers get an explicit null
    assert "reasoning_content" not in first


def test_trait_overrides_for_field_names() -> None:
    t = traits("qwen3", max_tokens_field="max_completion_tokens", reasoning_key="reasoning")
    body = prepare_chat_body(tool_loop("adaptive"), t, OPENAI)
    assert body["max_completion_tokens"] == 128000
    assert assistant_messages(body)[1]["reasoning"] == "think"


def test_deepseek_reasoning_on_tool_calls_while_thinking() -> None:
    body = prepare_chat_body(tool_loop("adaptive"), traits("deepseek-reasoner"), DEEPSEEK)
    assert assistant_messages(body)[0]["reasoning_content"] == ""
    body = prepare_chat_body(tool_loop("off"), traits("deepseek-reasoner"), DEEPSEEK)
    assert "reasoning_content" not in assistant_messages(body)[0]
