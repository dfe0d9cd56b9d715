"""The scenario vocabulary every scripted upstream and every client driver shares.

A scenario is data: the prompt the client sends, what the upstream answers on each turn, and
what the upstream checks it received. Each upstream format parses a request into a neutral
:class:`Seen` (raising :class:`Invalid` on anything its real API would reject), and
:func:`answer` — one function for all four formats — checks the scenario's expectations on
it and returns the neutral :class:`Answer` the upstream then renders in its own wire format.

Scenarios (``SCENARIOS``):

``text``
    The upstream answers ``Hello from <format>``.
``tool_round_trip``
    Turn 1: the upstream calls ``get_weather({"city": "Paris"})``. Turn 2: it checks the
    assistant turn came back with its call (same id, name, arguments) and that the result
    ``sunny`` is linked to that call in its own format, then answers ``It is sunny in Paris.``
``parallel_tools``
    Turn 1: a short text and two calls in one turn (Paris, Tokyo). Turn 2: both results
    (``sunny``, ``rainy``) in one turn, in call order, each linked to its own call.
``thinking``
    Turn 1: native thinking with the upstream's own opaque state, then a Paris call.
    Turn 2 replays that assistant turn; the upstream checks its opaque state came back
    byte-exact when the *client* format can carry it (:data:`CARRIES_OPAQUE`), and that it
    is absent (or a documented skip value) when it cannot.
``image``
    The client sends a 2x2 PNG; the upstream checks it arrived in its own image shape with
    the same bytes and answers ``I see a tiny PNG.``
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

FORMATS = ("openai_chat", "anthropic", "openai_responses", "gemini")
"""Wire formats, each both a client format and an upstream format."""

CLIENT_KEY = "client-key"
"""What every client SDK sends as its API key; no upstream may ever see it."""
UPSTREAM_KEYS = {
    "openai_chat": "sk-matrix-chat-upstream-0001",
    "anthropic": "sk-ant-matrix-upstream-0002",
    "openai_responses": "sk-matrix-responses-upstream-0003",
    "gemini": "AIzaMatrixGeminiUpstream0004",
}
UPSTREAM_MODELS = {
    "openai_chat": "chat-upstream-model",
    "anthropic": "claude-upstream-model",
    "openai_responses": "responses-upstream-model",
    "gemini": "gemini-upstream-model",
}
MODEL_ALIASES = {
    "openai_chat": "via-openai",
    "anthropic": "via-anthropic",
    "openai_responses": "via-responses",
    "gemini": "via-gemini",
}
"""The model name a client sends to pick the upstream format."""

# A 2x2 red PNG.
PNG_B64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR42mP4z8AARAwQCgAf7gP9Y167WwAAAABJRU5E"
    "rkJggg=="
)
PNG_BYTES = base64.b64decode(PNG_B64)
PNG_MIME = "image/png"

TOOL_NAME = "get_weather"
TOOL_DESCRIPTION = "Current weather in a city."
TOOL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string", "description": "City name"}},
    "required": ["city"],
}
WEATHER = {"Paris": "sunny", "Tokyo": "rainy"}
"""The tool result a client sends for each city."""

INPUT_TOKENS = 21
OUTPUT_TOKENS = 9
"""Every upstream reports these (output including its 4 reasoning tokens; Gemini as
``candidatesTokenCount`` 5 + ``thoughtsTokenCount`` 4), so every client must see them."""
REASONING_TOKENS = 4

THINKING_TEXT = "The user wants the weather. I should call get_weather for Paris."


def _opaque(tag: bytes) -> str:
    # Standard base64 with '+', '/' and '=' in it, so any re-encoding (url-safe alphabet,
    # stripped padding) or truncation is caught by a byte-exact comparison.
    return base64.b64encode(tag + b"\xfb\xff\xbf\x3e\x3f" + bytes(range(40, 72)) + b"!").decode()


OPAQUE_STATE = {
    "anthropic": _opaque(b"anthropic-thinking-signature:"),
    "openai_responses": "gAAAAB" + _opaque(b"responses-encrypted-reasoning:"),
    "gemini": _opaque(b"gemini-thought-signature:"),
}
"""Each upstream's own opaque thinking state (Anthropic ``signature``, Responses
``encrypted_content``, Gemini ``thoughtSignature``). Chat Completions has none: its only state
is the ``reasoning_content`` text, :data:`THINKING_TEXT`."""

GEMINI_SKIP_SIGNATURES = (
    "skip_thought_signature_validator",
    "context_engineering_is_the_way_to_go",
)
"""Values Google documents for function calls the model did not sign in this conversation."""

CARRIES_OPAQUE = {
    "anthropic": True,  # thinking block ``signature``
    "openai_responses": True,  # reasoning item ``encrypted_content``
    "gemini": True,  # part ``thoughtSignature``
    "openai_chat": False,  # ``reasoning_content`` is text only
}
"""Whether a *client* format has somewhere to keep an upstream's opaque thinking state and send
it back. Every client format carries the reasoning *text* (Chat as ``reasoning_content``)."""

CALL_IDS: dict[str, dict[str, str | None]] = {
    "anthropic": {"Paris": "toolu_01MatrixParisAbc", "Tokyo": "toolu_01MatrixTokyoXyz"},
    "openai_chat": {"Paris": "call_matrix_paris_1", "Tokyo": "call_matrix_tokyo_2"},
    "openai_responses": {"Paris": "call_matrix_paris_r", "Tokyo": "call_matrix_tokyo_r"},
    "gemini": {"Paris": None, "Tokyo": None},  # the Developer API usually gives no ids
}
"""The call id each upstream issues per city (Gemini issues none: linkage is name + order)."""
RESPONSES_ITEM_IDS = {"Paris": "fc_matrix_paris", "Tokyo": "fc_matrix_tokyo"}


class Invalid(Exception):
    """The request is one the upstream's real API would reject, or not what the scenario
    expects; the scripted upstream answers HTTP 400 with this message."""


@dataclass
class Scenario:
    name: str
    prompt: str
    tools: bool = False
    thinking: bool = False
    image: bool = False
    cities: tuple[str, ...] = ()
    """The calls the upstream makes on turn 1, in order (none: a one-turn scenario)."""
    preamble: str | None = None
    """Text the upstream says before its calls on turn 1."""
    final: str = ""
    """The upstream's text answer on the last turn (``{fmt}`` is the upstream format)."""


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("text", "Matrix text scenario: say hello.", final="Hello from {fmt}"),
        Scenario(
            "tool_round_trip",
            "Matrix tool scenario: what is the weather in Paris?",
            tools=True,
            cities=("Paris",),
            final="It is sunny in Paris.",
        ),
        Scenario(
            "parallel_tools",
            "Matrix parallel scenario: weather in Paris and in Tokyo?",
            tools=True,
            cities=("Paris", "Tokyo"),
            preamble="Checking both cities.",
            final="Paris is sunny and Tokyo is rainy.",
        ),
        Scenario(
            "thinking",
            "Matrix thinking scenario: think, then check the weather in Paris.",
            tools=True,
            thinking=True,
            cities=("Paris",),
            final="It is sunny in Paris.",
        ),
        Scenario(
            "image",
            "Matrix image scenario: what is in this picture?",
            image=True,
            final="I see a tiny PNG.",
        ),
    )
}


@dataclass
class Expectation:
    """What the running test is doing; set on every upstream before the client's first call."""

    scenario: str
    client: str
    stream: bool


# --- what an upstream saw, in neutral terms -------------------------------------------------


@dataclass
class ThinkingSeen:
    text: str
    opaque: str | None
    """Anthropic ``signature`` / Responses ``encrypted_content`` / Gemini ``thoughtSignature``
    of the thought part; Chat: ``None``."""


@dataclass
class CallSeen:
    id: str | None
    name: str
    args: Any
    opaque: str | None = None
    """Gemini: the ``thoughtSignature`` on this ``functionCall`` part."""
    item_id: str | None = None
    """Responses: the ``function_call`` item's ``id`` (``fc_…``)."""


@dataclass
class AssistantSeen:
    thinking: list[ThinkingSeen] = field(default_factory=list)
    text: str = ""
    calls: list[CallSeen] = field(default_factory=list)


@dataclass
class ResultSeen:
    call_id: str | None
    name: str | None
    text: str
    """The result payload as text (Gemini: the ``response`` object as JSON)."""


@dataclass
class Seen:
    model: str
    stream: bool
    user_texts: list[str] = field(default_factory=list)
    images: list[tuple[str, bytes]] = field(default_factory=list)
    assistants: list[AssistantSeen] = field(default_factory=list)
    results: list[ResultSeen] = field(default_factory=list)
    tool_names: list[str] = field(default_factory=list)
    thinking_requested: bool | None = None
    """``None`` when the format (as configured) has no thinking switch to check."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Format-specific facts a scenario check needs (Responses: ``include``)."""


# --- what an upstream answers, in neutral terms --------------------------------------------


@dataclass
class Call:
    id: str | None
    name: str
    args: dict[str, Any]
    city: str


@dataclass
class Answer:
    text: str | None = None
    thinking: str | None = None
    opaque: str | None = None
    calls: list[Call] = field(default_factory=list)


def issued_calls(fmt: str, scenario: Scenario) -> list[Call]:
    return [Call(CALL_IDS[fmt][c], TOOL_NAME, {"city": c}, c) for c in scenario.cities]


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise Invalid(message)


def answer(seen: Seen, exp: Expectation, fmt: str) -> Answer:
    """Check ``seen`` against the running scenario and return what ``fmt`` answers."""
    scenario = SCENARIOS[exp.scenario]
    where = f"scenario {scenario.name!r} (client {exp.client})"
    _require(
        seen.model == UPSTREAM_MODELS[fmt],
        f"{where}: model is {seen.model!r}, expected the configured upstream model "
        f"{UPSTREAM_MODELS[fmt]!r}",
    )
    _require(
        bool(seen.user_texts) and seen.user_texts[0] == scenario.prompt,
        f"{where}: first user text is {seen.user_texts[:1]!r}, expected {scenario.prompt!r}",
    )
    if scenario.tools:
        _require(
            seen.tool_names == [TOOL_NAME],
            f"{where}: declared tools are {seen.tool_names!r}, expected [{TOOL_NAME!r}]",
        )
    if not seen.assistants:
        return _first_turn(seen, scenario, fmt, where)
    return _second_turn(seen, scenario, exp, fmt, where)


def _first_turn(seen: Seen, scenario: Scenario, fmt: str, where: str) -> Answer:
    _require(not seen.results, f"{where}: turn 1 carries tool results {seen.results!r}")
    _require(
        len(seen.user_texts) == 1,
        f"{where}: turn 1 has user texts {seen.user_texts!r}, expected only the prompt",
    )
    if scenario.image:
        _require(
            len(seen.images) == 1,
            f"{where}: expected exactly one image in the user turn, got {len(seen.images)}",
        )
        mime, data = seen.images[0]
        _require(mime == PNG_MIME, f"{where}: image media type is {mime!r}, expected image/png")
        _require(
            data == PNG_BYTES,
            f"{where}: image bytes differ from the client's PNG ({len(data)} bytes, "
            f"expected {len(PNG_BYTES)})",
        )
    else:
        _require(not seen.images, f"{where}: unexpected image in the request")
    if scenario.thinking:
        _require(
            seen.thinking_requested is not False,
            f"{where}: the request does not ask for thinking in {fmt}'s own form",
        )
        if fmt == "openai_responses":
            _require(
                "reasoning.encrypted_content" in seen.extra.get("include", []),
                f"{where}: include lacks 'reasoning.encrypted_content', so the stateless "
                "reasoning state can never come back",
            )
    if not scenario.cities:
        return Answer(text=scenario.final.format(fmt=fmt))
    thinking = THINKING_TEXT if scenario.thinking else None
    return Answer(
        text=scenario.preamble,
        thinking=thinking,
        opaque=OPAQUE_STATE.get(fmt) if thinking else None,
        calls=issued_calls(fmt, scenario),
    )


def _second_turn(seen: Seen, scenario: Scenario, exp: Expectation, fmt: str, where: str) -> Answer:
    _require(bool(scenario.cities), f"{where}: a one-turn scenario got an assistant turn")
    _require(
        len(seen.assistants) == 1,
        f"{where}: expected one assistant turn replayed, got {len(seen.assistants)}",
    )
    assistant = seen.assistants[0]
    issued = issued_calls(fmt, scenario)
    got = [(c.id, c.name, c.args) for c in assistant.calls]
    want = [(c.id, c.name, c.args) for c in issued]
    _require(
        got == want,
        f"{where}: replayed tool calls (id, name, args) are {got!r}, expected {want!r}"
        + (
            " (Gemini issued no ids: a replayed functionCall must not grow one)"
            if fmt == "gemini"
            else ""
        ),
    )
    _require(
        assistant.text == (scenario.preamble or ""),
        f"{where}: replayed assistant text is {assistant.text!r}, expected "
        f"{scenario.preamble or ''!r}",
    )
    _require(
        len(seen.results) == len(issued),
        f"{where}: expected {len(issued)} tool result(s) in one turn, got {len(seen.results)}: "
        f"{seen.results!r}",
    )
    for call, result in zip(issued, seen.results, strict=True):
        expected = WEATHER[call.city]
        if fmt == "gemini":
            _require(
                result.name == call.name and result.call_id is None,
                f"{where}: functionResponse for {call.city} is (name={result.name!r}, "
                f"id={result.call_id!r}), expected (name={call.name!r}, id=None)",
            )
        else:
            _require(
                result.call_id == call.id,
                f"{where}: result for {call.city} is linked to {result.call_id!r}, expected "
                f"{call.id!r} (results out of order or ids rewritten)",
            )
        _require(
            expected in result.text,
            f"{where}: result for {call.city} is {result.text!r}, expected it to contain "
            f"{expected!r}",
        )
    if scenario.thinking:
        _check_thinking_replay(assistant, exp, fmt, where)
    else:
        # (A Gemini upstream accepts Google's skip values on calls it did not sign.)
        _require(
            not assistant.thinking
            and all(c.opaque in (None, *GEMINI_SKIP_SIGNATURES) for c in assistant.calls),
            f"{where}: replayed assistant turn has thinking nobody produced: {assistant!r}",
        )
    return Answer(text=scenario.final.format(fmt=fmt))


def _check_thinking_replay(
    assistant: AssistantSeen, exp: Expectation, fmt: str, where: str
) -> None:
    carries = CARRIES_OPAQUE[exp.client]
    if fmt == "openai_chat":
        # Chat's only state is the text, and every client format carries text.
        texts = [t.text for t in assistant.thinking]
        _require(
            texts == [THINKING_TEXT],
            f"{where}: replayed reasoning_content is {texts!r}, expected [{THINKING_TEXT!r}]",
        )
        return
    state = OPAQUE_STATE[fmt]
    if fmt == "gemini":
        first = assistant.calls[0].opaque if assistant.calls else None
        if carries:
            _require(
                first == state,
                f"{where}: thoughtSignature on the replayed functionCall is {first!r}, "
                f"expected the issued {state!r} byte-exact",
            )
        else:
            _require(
                first in GEMINI_SKIP_SIGNATURES,
                f"{where}: Function call is missing a thought_signature in functionCall parts "
                f"(got {first!r}; a client that cannot carry it needs a skip value)",
            )
        return
    blocks = [(t.text, t.opaque) for t in assistant.thinking]
    label = "signature" if fmt == "anthropic" else "encrypted_content"
    if carries:
        _require(
            [b[1] for b in blocks] == [state],
            f"{where}: replayed {label} is {[b[1] for b in blocks]!r}, expected "
            f"[{state!r}] byte-exact",
        )
        if fmt == "anthropic":
            _require(
                [b[0] for b in blocks] == [THINKING_TEXT],
                f"{where}: replayed thinking text {[b[0] for b in blocks]!r} differs from the "
                "signed text",
            )
    else:
        _require(
            not blocks,
            f"{where}: client {exp.client} cannot carry the {label}, yet the upstream got "
            f"thinking back: {blocks!r}",
        )
        if fmt == "openai_responses":
            _require(
                all(c.item_id is None for c in assistant.calls),
                f"{where}: Item '{assistant.calls[0].item_id if assistant.calls else ''}' of "
                "type 'function_call' was provided without its required 'reasoning' item",
            )
