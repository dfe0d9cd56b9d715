"""The one error the config package raises: what is wrong, where, and how to fix it."""

from __future__ import annotations

from pathlib import Path

NO_FILE_LABEL = "<config>"
"""Shown in place of the file name when the config did not come from a file."""


class ConfigError(Exception):
    """A config file that cannot be used; ``str()`` is meant to be shown to the user as is.

    Rendered as ``"<file>: <key>: <message>\\n  fix: <fix>"``. Messages never contain secret
    values (API keys, env-table values, header values).
    """

    def __init__(
        self,
        message: str,
        *,
        key: str = "",
        fix: str = "",
        path: Path | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        """The config file, or ``None`` when the config came from a string or a dict."""
        self.key = key
        """Dotted TOML key of the offending value (``models.k26.provider``); ``""`` for syntax."""
        self.message = message
        """What is wrong, without the location."""
        self.fix = fix
        """What the user should change; ``""`` when there is nothing helpful to say."""
        self.line = line
        """1-based line of a TOML syntax error, when known."""
        self.column = column
        """1-based column of a TOML syntax error, when known."""

    @property
    def location(self) -> str:
        """The key, or ``line L, column C`` for a syntax error, or ``""``."""
        if self.key:
            return self.key
        if self.line is not None:
            col = f", column {self.column}" if self.column is not None else ""
            return f"line {self.line}{col}"
        return ""

    def __str__(self) -> str:
        where = str(self.path) if self.path is not None else NO_FILE_LABEL
        location = self.location
        head = f"{where}: {location}: {self.message}" if location else f"{where}: {self.message}"
        return f"{head}\n  fix: {self.fix}" if self.fix else head
