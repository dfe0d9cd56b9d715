"""Tool schemas between JSON Schema and Gemini's OpenAPI 3.0 subset.

:func:`sanitize` turns a client's JSON Schema into what Gemini's ``parameters`` accepts. Gemini
answers 400 for ``$schema``, ``additionalProperties`` (at any depth), ``$ref``/``$defs``,
``const``, ``oneOf``/``allOf``/``not``, ``propertyNames``, ``patternProperties``,
``exclusive*``, type arrays, non-string enums, untyped nodes and formats it does not know, so:

- only the keywords Gemini knows are kept (a whitelist, so new JSON Schema keywords cannot leak);
- ``$ref`` is inlined from ``$defs``/``definitions`` (a recursive reference becomes an untyped
  value); ``allOf`` is merged; ``oneOf`` becomes ``anyOf``; ``const`` becomes a one-value enum;
- ``type: [T, "null"]`` becomes ``type: T, nullable: true`` (several types become ``anyOf``);
- enums become strings (so the node becomes ``type: string``);
- ``exclusiveMinimum``/``exclusiveMaximum`` numbers become ``minimum``/``maximum``;
- a node with no type gets one from its shape, or becomes "any value" (an ``anyOf`` of types);
- an object with no properties loses ``properties``/``required``; ``required`` keeps only
  declared properties; an array with no ``items`` gets string items.

:func:`sanitize_parameters` applies it to a tool's input schema and returns ``None`` for a tool
with no parameters (Gemini rejects an empty object there). :func:`to_json_schema` goes the other
way, for Gemini clients' ``parameters``/``responseSchema``.
"""

from __future__ import annotations

from typing import Any

from crosswire.jsonutil import dumps_str

_KEEP = frozenset(
    {
        "type", "format", "title", "description", "nullable", "enum", "items", "minItems",
        "maxItems", "properties", "required", "minProperties", "maxProperties", "minLength",
        "maxLength", "pattern", "minimum", "maximum", "anyOf", "propertyOrdering", "default",
        "example",
    }
)  # fmt: skip
_FORMATS: dict[str, frozenset[str]] = {
    "string": frozenset({"enum", "date-time"}),
    "number": frozenset({"float", "double"}),
    "integer": frozenset({"int32", "int64"}),
}
_ANY_VALUE: list[dict[str, Any]] = [
    {"type": "string"},
    {"type": "number"},
    {"type": "boolean"},
    {"type": "object"},
    {"type": "array", "items": {"type": "string"}},
]
_MAX_DEPTH = 32
_GEMINI_ONLY = frozenset({"propertyOrdering", "property_ordering", "nullable"})


def sanitize_parameters(schema: dict[str, Any]) -> dict[str, Any] | None:
    """Gemini ``parameters`` for a tool's input schema, or ``None`` when it takes none."""
    clean = sanitize(schema)
    if not clean.get("properties"):
        return None
    clean["type"] = "object"
    return clean


def sanitize(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` rewritten into Gemini's schema subset (a new dict; the input is untouched)."""
    defs: dict[str, Any] = {}
    for key in ("$defs", "definitions"):
        if isinstance(schema.get(key), dict):
            defs.update(schema[key])
    return _node(schema, defs, (), 0)


def _node(schema: Any, defs: dict[str, Any], seen: tuple[str, ...], depth: int) -> dict[str, Any]:
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return {"anyOf": [dict(s) for s in _ANY_VALUE]}
    while isinstance(schema.get("$ref"), str):
        ref = schema["$ref"]
        if ref in seen:  # a recursive reference
            return {"anyOf": [dict(s) for s in _ANY_VALUE]}
        seen = (*seen, ref)
        schema = _resolve(schema, defs)
    schema = _merge_all_of(schema, defs)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {k: _node(v, defs, seen, depth + 1) for k, v in value.items()}
        elif key == "items":
            first = value[0] if isinstance(value, list) and value else value
            out[key] = _node(first, defs, seen, depth + 1)
        elif key in ("anyOf", "oneOf") and isinstance(value, list):
            out["anyOf"] = [_node(v, defs, seen, depth + 1) for v in value]
        elif key == "const":
            out.setdefault("enum", [value])
        elif key == "exclusiveMinimum" and _is_number(value):
            out.setdefault("minimum", value)
        elif key == "exclusiveMaximum" and _is_number(value):
            out.setdefault("maximum", value)
        elif key in _KEEP and key not in out:
            out[key] = value
    return _finish(out)


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Inline a local ``$ref``; keywords beside the ``$ref`` win over the target's."""
    siblings = {k: v for k, v in schema.items() if k != "$ref"}
    target = defs.get(str(schema["$ref"]).rsplit("/", 1)[-1])
    return {**target, **siblings} if isinstance(target, dict) else siblings


def _merge_all_of(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    parts = schema.get("allOf")
    if not isinstance(parts, list):
        return schema
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for part in parts:
        if not isinstance(part, dict):
            continue
        if isinstance(part.get("$ref"), str):
            part = _resolve(part, defs)
        for key, value in part.items():
            if key == "properties" and isinstance(value, dict):
                merged["properties"] = {**value, **merged.get("properties", {})}
            elif key == "required" and isinstance(value, list):
                merged["required"] = [*merged.get("required", []), *value]
            else:
                merged.setdefault(key, value)
    return merged


def _finish(out: dict[str, Any]) -> dict[str, Any]:
    """Fix the node's type-level rules once its children are clean."""
    _normalise_type(out)
    any_of = out.get("anyOf")
    if isinstance(any_of, list):
        _drop_null_branches(out, any_of)
    elif any_of is not None:
        del out["anyOf"]
    if "enum" in out:
        _string_enum(out)
    if "type" not in out and "anyOf" not in out:
        if "properties" in out:
            out["type"] = "object"
        elif "items" in out:
            out["type"] = "array"
        else:
            out["anyOf"] = [dict(s) for s in _ANY_VALUE]
    kind = out.get("type")
    if kind == "object":
        _object(out)
    elif kind == "array" and not isinstance(out.get("items"), dict):
        out["items"] = {"type": "string"}
    fmt = out.get("format")
    if fmt is not None and fmt not in _FORMATS.get(str(kind), frozenset()):
        del out["format"]
    if "required" in out and kind != "object":
        del out["required"]
    return out


def _normalise_type(out: dict[str, Any]) -> None:
    kind = out.get("type")
    if isinstance(kind, str):
        out["type"] = kind.lower()
        return
    if not isinstance(kind, list):
        out.pop("type", None)
        return
    types = [str(t).lower() for t in kind if isinstance(t, str)]
    if "null" in types and len(types) > 1:
        out["nullable"] = True
        types = [t for t in types if t != "null"]
    if len(types) == 1:
        out["type"] = types[0]
    else:
        del out["type"]
        out["anyOf"] = [{"type": t} for t in types]


def _drop_null_branches(out: dict[str, Any], any_of: list[Any]) -> None:
    branches = [b for b in any_of if not (isinstance(b, dict) and b.get("type") == "null")]
    if len(branches) < len(any_of):
        out["nullable"] = True
    if len(branches) == 1 and isinstance(branches[0], dict):
        del out["anyOf"]
        for key, value in branches[0].items():
            out.setdefault(key, value)
    elif branches:
        out["anyOf"] = branches
    else:
        del out["anyOf"]


def _string_enum(out: dict[str, Any]) -> None:
    values = out["enum"]
    if not isinstance(values, list):
        del out["enum"]
        return
    if None in values:
        out["nullable"] = True
    strings = [v if isinstance(v, str) else dumps_str(v) for v in values if v is not None]
    if not strings:
        del out["enum"]
        return
    out["enum"] = list(dict.fromkeys(strings))
    out["type"] = "string"
    if "default" in out and not isinstance(out["default"], str):
        del out["default"]
    out.pop("anyOf", None)
    for key in ("minimum", "maximum", "items", "properties", "required"):
        out.pop(key, None)


def _object(out: dict[str, Any]) -> None:
    properties = out.get("properties")
    if not isinstance(properties, dict) or not properties:
        out.pop("properties", None)
        out.pop("required", None)
        out.pop("propertyOrdering", None)
        return
    required = out.get("required")
    if isinstance(required, list):
        kept = [r for r in dict.fromkeys(required) if isinstance(r, str) and r in properties]
        if kept:
            out["required"] = kept
        else:
            del out["required"]
    elif required is not None:
        del out["required"]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def to_json_schema(schema: Any) -> dict[str, Any]:
    """A Gemini (OpenAPI subset) schema as JSON Schema: lower-case types, ``nullable`` folded
    into the type, Gemini-only keywords (``propertyOrdering``, ``format: enum``) dropped."""
    if not isinstance(schema, dict):
        return {}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {k: to_json_schema(v) for k, v in value.items()}
        elif key == "items":
            out[key] = to_json_schema(value)
        elif key in ("anyOf", "any_of") and isinstance(value, list):
            out["anyOf"] = [to_json_schema(v) for v in value]
        elif key == "type" and isinstance(value, str):
            out["type"] = value.lower()
        elif key in _GEMINI_ONLY or (key == "format" and value == "enum"):
            continue
        else:
            out[key] = value
    if schema.get("nullable") is True:
        if isinstance(out.get("type"), str) and out["type"] != "null":
            out["type"] = [out["type"], "null"]
        elif "anyOf" in out:
            out["anyOf"].append({"type": "null"})
    return out
