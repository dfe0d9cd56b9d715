"""The request's input size in tokens, counted at most once and only when a rule needs it.

:func:`crosswire.tokens.estimate_request_tokens` walks every string with a regex (about 1 ms
on a 48 KB request). Most requests are far below every limit, which a cheap upper bound shows
without that walk: the estimator never counts more than one token per character, so the
character count (plus per-message, per-tool and per-image costs) bounds it from above.
"""

from __future__ import annotations

from crosswire.canonical import DocumentPart, ImagePart, Request, ToolResultPart
from crosswire.jsonutil import dumps_str
from crosswire.tokens import (
    IMAGE_TOKENS,
    MESSAGE_OVERHEAD,
    PDF_PAGE_TOKENS,
    TOOL_OVERHEAD,
    estimate_request_tokens,
)


class InputTokens:
    """Lazy, cached token counts of one request's input (system, messages, tools)."""

    __slots__ = ("_estimate", "_request", "_upper_bound")

    def __init__(self, request: Request) -> None:
        self._request = request
        self._estimate: int | None = None
        self._upper_bound: int | None = None

    @property
    def estimate(self) -> int:
        """The local estimate (computed on first use)."""
        if self._estimate is None:
            self._estimate = estimate_request_tokens(self._request)
        return self._estimate

    @property
    def computed(self) -> bool:
        """Whether the (costly) estimate has been computed."""
        return self._estimate is not None

    @property
    def upper_bound(self) -> int:
        """A cheap bound the estimate never exceeds (string lengths, no regex)."""
        if self._upper_bound is None:
            self._upper_bound = _upper_bound(self._request)
        return self._upper_bound

    def exceeds(self, limit: int) -> bool:
        """Whether the estimate is above ``limit``, estimating only when the bound is not enough."""
        if self._estimate is None and self.upper_bound <= limit:
            return False
        return self.estimate > limit


def _upper_bound(request: Request) -> int:
    total = len(request.system_text())
    for message in request.messages:
        total += MESSAGE_OVERHEAD
        for part in message.parts:
            total += _part_bound(part)
    for tool in request.tools:
        total += TOOL_OVERHEAD + len(tool.name) + len(tool.description or "")
        total += len(dumps_str(tool.input_schema))
    return total


def _part_bound(part: object) -> int:
    if isinstance(part, ImagePart):
        return IMAGE_TOKENS
    if isinstance(part, DocumentPart):
        if part.text is not None:
            return len(part.text)
        return PDF_PAGE_TOKENS * max(1, len(part.data or "") // 3000)
    if isinstance(part, ToolResultPart):
        return TOOL_OVERHEAD + sum(_part_bound(p) for p in part.content)
    text = getattr(part, "text", None)
    size = len(text) if isinstance(text, str) else 0
    name, arguments = getattr(part, "name", None), getattr(part, "arguments", None)
    if isinstance(name, str) and isinstance(arguments, str):
        size += TOOL_OVERHEAD + len(name) + len(arguments)
    return size
