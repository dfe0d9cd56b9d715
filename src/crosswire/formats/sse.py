"""Incremental Server-Sent Events parsing: ``feed(bytes) -> events`` and ``flush()``.

Lines are split on bytes and each ``data`` payload stays bytes, so a UTF-8 character cut in
two by the network is whole again before anything decodes it (``\\n`` never occurs inside a
multi-byte sequence).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class SSEvent:
    event: str | None
    data: bytes


class SSEParser:
    __slots__ = ("_buffer", "_data", "_event")

    def __init__(self) -> None:
        self._buffer = b""
        self._event: str | None = None
        self._data: list[bytes] = []

    def feed(self, chunk: bytes) -> list[SSEvent]:
        buffer = self._buffer + chunk if self._buffer else chunk
        lines = buffer.split(b"\n")
        self._buffer = lines.pop()
        out: list[SSEvent] = []
        for line in lines:
            self._line(line, out)
        return out

    def flush(self) -> list[SSEvent]:
        """Events left when the stream ends without a final blank line."""
        out: list[SSEvent] = []
        if self._buffer:
            self._line(self._buffer, out)
            self._buffer = b""
        self._dispatch(out)
        return out

    def _line(self, line: bytes, out: list[SSEvent]) -> None:
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            self._dispatch(out)
            return
        if line[0] == 58:  # ":" comment / keep-alive
            return
        name, _, value = line.partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self._data.append(value)
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")

    def _dispatch(self, out: list[SSEvent]) -> None:
        if self._data:
            data = self._data[0] if len(self._data) == 1 else b"\n".join(self._data)
            out.append(SSEvent(self._event, data))
        self._event = None
        self._data = []
