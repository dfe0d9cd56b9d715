"""Editing ``config.toml`` in place with tomlkit: tables are added and removed without touching
the user's comments, blank lines, key order or quoting anywhere else.

tomlkit attaches the comments and blank lines that follow a table's last key to that table
(they usually introduce the *next* table). So a table added after ``[providers.a]`` takes over
``[providers.a]``'s trailing comments (they stay just above whatever came next), and removing
a table hands them back to the sibling before it: an add followed by a remove gives the
original bytes back.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.items import Comment, Item, Table, Whitespace
from tomlkit.toml_document import TOMLDocument

from crosswire.config.errors import ConfigError
from crosswire.config.loader import load_config
from crosswire.config.schema import Config

Trailer = list[tuple[Any, Item]]


def read_document(path: Path) -> TOMLDocument:
    """The parsed file, or an empty document when it does not exist."""
    if not path.exists():
        return tomlkit.document()
    try:
        return tomlkit.parse(path.read_text("utf-8"))
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(
            f"invalid TOML: {exc}", fix="fix the TOML syntax first", path=path
        ) from None


def new_table(values: Mapping[str, Any]) -> Table:
    """A ``[table]`` holding ``values`` in order; ``None`` values are skipped, nested mappings
    become sub-tables (``[providers.x.env]``)."""
    table = tomlkit.table()
    for key, value in values.items():
        if value is None:
            continue
        table.add(key, new_table(value) if isinstance(value, Mapping) else value)
    return table


def group_names(doc: TOMLDocument, group: str) -> list[str]:
    """The names of ``[group.*]`` tables, in file order."""
    value = doc.get(group)
    return list(value.keys()) if isinstance(value, Mapping) else []


def add_table(doc: TOMLDocument, group: str, name: str, table: Table) -> None:
    """Add ``[group.name]`` after the last ``[group.*]`` table, or at the end of the file."""
    if name in group_names(doc, group):
        raise KeyError(f"[{group}.{name}] already exists")
    parent = _last_group_table(doc, group)
    if parent is None:
        holder = tomlkit.table(is_super_table=True)
        holder.append(name, table)
        doc.append(group, holder)
        return
    siblings = list(parent.value.body)
    if siblings:
        previous = siblings[-1][1]
        if isinstance(previous, Table):
            trailer = _take_trailer(previous)
            table.trivia.indent = "\n" if trailer or not _ends_blank(previous) else ""
            _put_trailer(table, trailer)
    parent.append(name, table)


def remove_table(doc: TOMLDocument, group: str, name: str) -> None:
    """Remove ``[group.name]`` and its sub-tables, keeping the comments that followed it."""
    parent = _group_table_holding(doc, group, name)
    if parent is None:
        raise KeyError(f"[{group}.{name}] does not exist")
    body = parent.value.body
    index = next(i for i, (key, _) in enumerate(body) if key is not None and key.key == name)
    removed = body[index][1]
    trailer = _take_trailer(removed) if isinstance(removed, Table) else []
    parent.remove(name)
    earlier = [item for key, item in body[:index] if key is not None and isinstance(item, Table)]
    previous = earlier[-1] if earlier else None  # (tomlkit leaves Null where tables were removed)
    if previous is not None:
        _drop_trailing_blanks(previous)  # the removed table's own leading blank line
        _put_trailer(previous, trailer)
    if not parent.value.body:
        _remove_body_item(doc, parent)


def set_top_level(doc: TOMLDocument, key: str, value: Any) -> None:
    """Set a top-level key (``default_model``), keeping it above the first table."""
    if key in doc:
        doc[key] = value
        return
    first_table = next(
        (i for i, (k, item) in enumerate(doc.body) if k is not None and isinstance(item, Table)),
        None,
    )
    if first_table is None:
        doc.append(key, value)
        return
    last_key = max(
        (i for i, (k, item) in enumerate(doc.body[:first_table]) if k is not None), default=None
    )
    if last_key is not None:  # after the other top-level keys
        doc.body.insert(last_key + 1, (tomlkit.key(key), tomlkit.item(value)))
    else:  # above the first table and the comments directly on top of it
        insert_at = first_table
        while insert_at > 0 and isinstance(doc.body[insert_at - 1][1], Comment):
            insert_at -= 1
        doc.body.insert(insert_at, (tomlkit.key(key), tomlkit.item(value)))
        doc.body.insert(insert_at + 1, (None, Whitespace("\n")))
    _reindex(doc)


def write_validated(
    path: Path, doc: TOMLDocument, *, environ: Mapping[str, str] | None = None
) -> Config:
    """Write ``doc`` to ``path``, load it with :func:`load_config`, and put the previous bytes
    back (or delete the new file) if it does not load. Returns the loaded config."""
    old = path.read_bytes() if path.exists() else None
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, tomlkit.dumps(doc).encode("utf-8"))
    try:
        return load_config(path, environ=environ)
    except ConfigError:
        if old is None:
            path.unlink(missing_ok=True)
        else:
            _atomic_write(path, old)
        raise


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    if path.exists():
        os.chmod(tmp, path.stat().st_mode & 0o777)
    else:
        os.chmod(tmp, 0o600)  # it may hold API keys
    os.replace(tmp, path)


def _group_holders(doc: TOMLDocument, group: str) -> list[Table]:
    """The body entries named ``group`` (several when its tables are out of order)."""
    return [
        item
        for key, item in doc.body
        if key is not None and key.key == group and isinstance(item, Table)
    ]


def _last_group_table(doc: TOMLDocument, group: str) -> Table | None:
    holders = _group_holders(doc, group)
    return holders[-1] if holders else None


def _group_table_holding(doc: TOMLDocument, group: str, name: str) -> Table | None:
    for holder in _group_holders(doc, group):
        if any(key is not None and key.key == name for key, _ in holder.value.body):
            return holder
    return None


def _deepest_last(table: Table) -> Table:
    """The table whose body ends this table's text (its last sub-table, recursively)."""
    body = [entry for entry in table.value.body if entry[0] is not None]
    if body and isinstance(body[-1][1], Table):
        return _deepest_last(body[-1][1])
    return table


def _take_trailer(table: Table) -> Trailer:
    container: Container = _deepest_last(table).value
    trailer: Trailer = []
    while container.body and container.body[-1][0] is None:
        item = container.body[-1][1]
        if not isinstance(item, Comment | Whitespace):
            break
        trailer.insert(0, container.body.pop())
    return trailer


def _put_trailer(table: Table, trailer: Trailer) -> None:
    _deepest_last(table).value.body.extend(trailer)


def _drop_trailing_blanks(table: Table) -> None:
    body = _deepest_last(table).value.body
    while body and body[-1][0] is None and isinstance(body[-1][1], Whitespace):
        body.pop()


def _ends_blank(table: Table) -> bool:
    return _deepest_last(table).as_string().endswith("\n\n")


def _remove_body_item(doc: TOMLDocument, item: Table) -> None:
    index = next(i for i, (_, it) in enumerate(doc.body) if it is item)
    doc.body.pop(index)
    _reindex(doc)


def _reindex(doc: TOMLDocument) -> None:
    """Rebuild tomlkit's key → body-position map after editing ``body`` directly."""
    doc._map.clear()
    for i, (key, _) in enumerate(doc.body):
        if key is None:
            continue
        existing = doc._map.get(key)
        if existing is None:
            doc._map[key] = i
        else:
            positions = existing if isinstance(existing, tuple) else (existing,)
            doc._map[key] = (*positions, i)
