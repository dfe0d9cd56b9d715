"""Split ``<think>…</think>`` reasoning out of streamed content.

Some servers put reasoning inline at the start of ``content``. Tags may be cut anywhere across
chunks, so a tail that could be the start of a tag is held back until the next chunk. Content
that does not begin with ``<think>`` is passed through untouched, with no scanning at all.
"""

from __future__ import annotations

OPEN = "<think>"
CLOSE = "</think>"


class ThinkTagSplitter:
    __slots__ = ("_held", "_state")

    def __init__(self) -> None:
        self._state = "start"  # start | thinking | after | text
        self._held = ""

    def feed(self, text: str) -> list[tuple[str, str]]:
        """Returns ``(kind, text)`` pieces, kind being ``thinking`` or ``text``."""
        if self._state == "text":
            return [("text", text)] if text else []
        out: list[tuple[str, str]] = []
        buffer = self._held + text
        self._held = ""
        if self._state == "start":
            stripped = buffer.lstrip()
            if stripped.startswith(OPEN):
                buffer = stripped[len(OPEN) :]
                self._state = "thinking"
            elif OPEN.startswith(stripped):  # maybe the tag is still arriving
                self._held = buffer
                return out
            else:
                self._state = "text"
                return [("text", buffer)] if buffer else []
        if self._state == "thinking":
            end = buffer.find(CLOSE)
            if end < 0:
                keep = _partial_suffix(buffer, CLOSE)
                if len(buffer) > keep:
                    out.append(("thinking", buffer[: len(buffer) - keep]))
                self._held = buffer[len(buffer) - keep :] if keep else ""
                return out
            if end:
                out.append(("thinking", buffer[:end]))
            buffer = buffer[end + len(CLOSE) :]
            self._state = "after"
        if self._state == "after":
            buffer = buffer.lstrip()
            if not buffer:
                return out
            self._state = "text"
            out.append(("text", buffer))
        return out

    def flush(self) -> list[tuple[str, str]]:
        held, self._held = self._held, ""
        if not held:
            return []
        return [("thinking" if self._state == "thinking" else "text", held)]


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of ``tag``."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0


def split_complete(content: str) -> tuple[str | None, str]:
    """(reasoning, text) for a whole, non-streamed content string."""
    stripped = content.lstrip()
    if not stripped.startswith(OPEN):
        return None, content
    end = stripped.find(CLOSE)
    if end < 0:
        return stripped[len(OPEN) :], ""
    return stripped[len(OPEN) : end], stripped[end + len(CLOSE) :].lstrip()
