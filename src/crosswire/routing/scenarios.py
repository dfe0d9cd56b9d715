"""Scenario routes (claude-code-router's names): which ``[router]`` entry a request calls for.

The scenarios are tried in :data:`SCENARIO_ORDER`, first match wins, and only those configured
in ``[router]`` are tried at all (so an unconfigured ``long_context`` never costs a token count):

1. ``long_context`` — the estimated input is above ``long_context_threshold``: a request too
   big for the usual model must not be sent to it whatever else it asks for;
2. ``subagent`` — the system prompt carries ``<CCR-SUBAGENT-MODEL>…</CCR-SUBAGENT-MODEL>``
   (the marker is always stripped before the request goes upstream);
3. ``web_search`` — a hosted web-search tool is declared;
4. ``image`` — an image anywhere in the messages or tool results;
5. ``think`` — the client asked for thinking;
6. ``background`` — the client's model name is haiku-class (``*haiku*``, any case).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fnmatch import fnmatchcase

from crosswire.canonical import ImagePart, Request, ToolResultPart
from crosswire.config import Config
from crosswire.routing.input_tokens import InputTokens

SCENARIO_ORDER = ("long_context", "subagent", "web_search", "image", "think", "background")
"""The order scenario routes are tried in (first match wins)."""
BACKGROUND_PATTERN = "*haiku*"
"""Client model names (lower-cased) that mark background work."""
SUBAGENT_MARKER = re.compile(r"<CCR-SUBAGENT-MODEL>(.*?)</CCR-SUBAGENT-MODEL>\s*", re.DOTALL)
"""claude-code-router's subagent marker; group 1 names the model."""

Detector = Callable[[Config, Request, InputTokens], bool]


def has_subagent_marker(request: Request) -> bool:
    """Whether the system prompt carries a subagent marker (cheap: no regex)."""
    return any("<CCR-SUBAGENT-MODEL>" in part.text for part in request.system)


def take_subagent_marker(request: Request) -> str | None:
    """Remove every subagent marker from the system prompt; the first one's content (stripped),
    or ``None`` when there was none."""
    found: str | None = None
    for part in request.system:
        if "<CCR-SUBAGENT-MODEL>" not in part.text:
            continue
        match = SUBAGENT_MARKER.search(part.text)
        if match is None:
            continue
        if found is None:
            found = match.group(1).strip()
        part.text = SUBAGENT_MARKER.sub("", part.text)
    return found


def _long_context(config: Config, request: Request, tokens: InputTokens) -> bool:
    return tokens.exceeds(config.router.long_context_threshold)


def _web_search(config: Config, request: Request, tokens: InputTokens) -> bool:
    return any(tool.kind == "web_search" for tool in request.server_tools)


def _image(config: Config, request: Request, tokens: InputTokens) -> bool:
    for message in request.messages:
        for part in message.parts:
            if isinstance(part, ImagePart):
                return True
            if isinstance(part, ToolResultPart) and any(
                isinstance(p, ImagePart) for p in part.content
            ):
                return True
    return False


def _think(config: Config, request: Request, tokens: InputTokens) -> bool:
    return request.thinking.on


def _background(config: Config, request: Request, tokens: InputTokens) -> bool:
    return fnmatchcase(request.model.lower(), BACKGROUND_PATTERN)


# scenario -> detector (``subagent`` is decided by its marker, taken before the others run)
DETECTORS: dict[str, Detector] = {
    "long_context": _long_context,
    "web_search": _web_search,
    "image": _image,
    "think": _think,
    "background": _background,
}


def scenario_for(
    config: Config, request: Request, tokens: InputTokens, subagent: str | None
) -> tuple[str, str] | None:
    """``(scenario, model alias)`` of the first configured scenario the request matches.

    ``subagent`` is the marker's content (see :func:`take_subagent_marker`): a configured alias
    there is used as is, otherwise ``[router] subagent`` applies.
    """
    router = config.router
    for name in SCENARIO_ORDER:
        if name == "subagent":
            if subagent is None:
                continue
            if subagent in config.models:
                return name, subagent
            if router.subagent is not None:
                return name, router.subagent
            continue
        alias = router.scenario(name)
        if alias is not None and DETECTORS[name](config, request, tokens):
            return name, alias
    return None
