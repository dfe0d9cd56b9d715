"""Typed readers for parsed TOML: each check fails with one :class:`ConfigError` at a dotted key."""

from __future__ import annotations

import datetime
import difflib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crosswire.config.errors import ConfigError

BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
"""A TOML key that needs no quotes."""
TOML_TYPE_NAMES: dict[type, str] = {
    bool: "a boolean",
    int: "an integer",
    float: "a float",
    str: "a string",
    list: "an array",
    dict: "a table",
    datetime.datetime: "a date-time",
    datetime.date: "a date",
    datetime.time: "a time",
}
"""How a parsed value's Python type is named in messages (TOML's words)."""
SUGGEST_CUTOFF = 0.6
"""difflib similarity needed for a "did you mean" suggestion."""


def dotted(*parts: str) -> str:
    """A TOML dotted key, quoting the parts that need it: ``models."k2.6".provider``."""
    return ".".join(
        p if BARE_KEY.fullmatch(p) else json.dumps(p, ensure_ascii=False) for p in parts
    )


def join(prefix: str, name: str) -> str:
    """``prefix.name`` with ``name`` quoted if needed; ``prefix`` is already dotted (or ``""``)."""
    return f"{prefix}.{dotted(name)}" if prefix else dotted(name)


def type_name(value: object) -> str:
    """``an integer``, ``a string`` … for a parsed TOML value."""
    return TOML_TYPE_NAMES.get(type(value), type(value).__name__)


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to ``word`` (ignoring case), if any is close enough."""
    by_lower = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=SUGGEST_CUTOFF)
    return by_lower[close[0]] if close else None


def quoted_list(choices: Iterable[str]) -> str:
    """``"a", "b", "c"``."""
    return ", ".join(json.dumps(c, ensure_ascii=False) for c in choices)


def choice_fix(word: str, choices: Iterable[str], what: str) -> str:
    """``did you mean "x"? Valid types: "a", "b"``, or ``use one of the valid types: "a", "b"``.

    ``what`` is a lower-case plural noun phrase (``valid types``, ``defined aliases``).
    """
    options = list(choices)
    if not options:
        return f"there are no {what}"
    close = suggest(word, options)
    if close is None:
        return f"use one of the {what}: {quoted_list(options)}"
    return f'did you mean "{close}"? {what[0].upper()}{what[1:]}: {quoted_list(options)}'


@dataclass(slots=True)
class Reader:
    """Reads typed values out of parsed TOML tables; knows the file for error messages."""

    path: Path | None = None
    """The file being read, if any."""

    @property
    def where(self) -> str:
        """The file, for fix messages."""
        return str(self.path) if self.path is not None else "the config"

    def error(self, key: str, message: str, fix: str = "") -> ConfigError:
        """A :class:`ConfigError` for this file."""
        return ConfigError(message, key=key, fix=fix, path=self.path)

    def table(self, value: object, key: str) -> dict[str, Any]:
        """``value`` if it is a table."""
        if not isinstance(value, dict):
            raise self.error(
                key, f"expected a table, got {type_name(value)}", f"write it as [{key}] ..."
            )
        return value

    def check_keys(
        self,
        tbl: Mapping[str, Any],
        allowed: Iterable[str],
        prefix: str,
        hints: Mapping[str, str] | None = None,
    ) -> None:
        """Fail on the first key of ``tbl`` not in ``allowed``, suggesting the closest one."""
        valid = list(allowed)
        for name in tbl:
            if name in valid:
                continue
            key = join(prefix, name)
            if hints and name in hints:
                raise self.error(key, f'unknown key "{name}"', hints[name])
            section = f"in [{prefix}]" if prefix else "at the top level"
            fix = choice_fix(name, valid, f"valid keys {section}")
            raise self.error(key, f'unknown key "{name}"', fix)

    def missing(self, prefix: str, name: str, fix: str) -> ConfigError:
        """The error for a required key that is absent."""
        return self.error(join(prefix, name), f'missing required key "{name}"', fix)

    def opt_str(self, tbl: Mapping[str, Any], name: str, prefix: str) -> str | None:
        """An optional string (never shows the value: it may be a secret)."""
        value = tbl.get(name)
        if value is None or isinstance(value, str):
            return value
        raise self.error(
            join(prefix, name),
            f"expected a string, got {type_name(value)}",
            f'put the value in double quotes: {name} = "..."',
        )

    def req_str(self, tbl: Mapping[str, Any], name: str, prefix: str, fix: str) -> str:
        """A required, non-blank string."""
        value = self.opt_str(tbl, name, prefix)
        if value is None:
            raise self.missing(prefix, name, fix)
        if not value.strip():
            raise self.error(join(prefix, name), "must not be empty", fix)
        return value

    def opt_bool(self, tbl: Mapping[str, Any], name: str, prefix: str) -> bool | None:
        """An optional boolean."""
        value = tbl.get(name)
        if value is None or isinstance(value, bool):
            return value
        raise self.error(
            join(prefix, name),
            f"expected a boolean, got {type_name(value)}",
            f"write {name} = true or {name} = false (no quotes)",
        )

    def opt_int(
        self, tbl: Mapping[str, Any], name: str, prefix: str, *, minimum: int, example: int
    ) -> int | None:
        """An optional integer ``>= minimum``."""
        value = tbl.get(name)
        if value is None:
            return None
        key = join(prefix, name)
        if isinstance(value, bool) or not isinstance(value, int):
            fix = f"write a whole number without quotes, e.g. {name} = {example}"
            if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
                fix = f"remove the quotes: {name} = {value.strip()}"
            raise self.error(key, f"expected an integer, got {type_name(value)}", fix)
        if value < minimum:
            what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
            raise self.error(key, f"must be {what}, got {value}", f"e.g. {name} = {example}")
        return value

    def req_int(
        self, tbl: Mapping[str, Any], name: str, prefix: str, *, minimum: int, example: int
    ) -> int:
        """A required integer ``>= minimum``."""
        value = self.opt_int(tbl, name, prefix, minimum=minimum, example=example)
        if value is None:
            raise self.missing(prefix, name, f"add {name} = {example} under [{prefix}]")
        return value

    def opt_seconds(
        self, tbl: Mapping[str, Any], name: str, prefix: str, *, example: float
    ) -> float | None:
        """An optional finite number of seconds ``> 0`` (integers accepted)."""
        value = tbl.get(name)
        if value is None:
            return None
        key = join(prefix, name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(
                key,
                f"expected a number of seconds, got {type_name(value)}",
                f"write a number without quotes, e.g. {name} = {example}",
            )
        if not math.isfinite(value) or value <= 0:
            raise self.error(
                key,
                f"must be a positive number of seconds, got {value}",
                f"e.g. {name} = {example}",
            )
        return float(value)

    def opt_str_list(self, tbl: Mapping[str, Any], name: str, prefix: str) -> list[str] | None:
        """An optional array of strings."""
        value = tbl.get(name)
        if value is None:
            return None
        key = join(prefix, name)
        fix = f'write an array of strings, e.g. {name} = ["a", "b"]'
        if not isinstance(value, list):
            raise self.error(key, f"expected an array, got {type_name(value)}", fix)
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.error(f"{key}[{i}]", f"expected a string, got {type_name(item)}", fix)
        return value

    def opt_str_table(
        self, tbl: Mapping[str, Any], name: str, prefix: str
    ) -> dict[str, str] | None:
        """An optional table of string values (values are never shown: they may be secrets)."""
        value = tbl.get(name)
        if value is None:
            return None
        key = join(prefix, name)
        if not isinstance(value, dict):
            raise self.error(
                key,
                f"expected a table, got {type_name(value)}",
                f'write it as {name} = {{ "Name" = "value" }} or as a [{key}] table',
            )
        for entry, item in value.items():
            if not isinstance(item, str):
                raise self.error(
                    join(key, entry),
                    f"expected a string, got {type_name(item)}",
                    f'put the value in double quotes: {dotted(entry)} = "..."',
                )
        return value
