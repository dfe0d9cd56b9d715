"""Tool schemas into Gemini's OpenAPI subset (sanitize) and back (to_json_schema)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from crosswire.formats.gemini.schema import sanitize, sanitize_parameters, to_json_schema

from ..helpers import MESSAGE_FIXTURES, load_fixture

ALLOWED_KEYS = {
    "type", "format", "title", "description", "nullable", "enum", "items", "minItems",
    "maxItems", "properties", "required", "minProperties", "maxProperties", "minLength",
    "maxLength", "pattern", "minimum", "maximum", "anyOf", "propertyOrdering", "default",
    "example",
}  # fmt: skip
TYPES = {"string", "number", "integer", "boolean", "array", "object", "null"}
ANY_VALUE = {
    "anyOf": [
        {"type": "string"},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "object"},
        {"type": "array", "items": {"type": "string"}},
    ]
}


def nodes(schema: dict[str, Any], path: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    yield path, schema
    for name, child in (schema.get("properties") or {}).items():
        yield from nodes(child, f"{path}.properties.{name}")
    if isinstance(schema.get("items"), dict):
        yield from nodes(schema["items"], f"{path}.items")
    for i, child in enumerate(schema.get("anyOf") or []):
        yield from nodes(child, f"{path}.anyOf.{i}")


def assert_gemini_subset(schema: dict[str, Any]) -> None:
    """Every rule Gemini enforces on ``parameters``, checked at every depth."""
    for path, node in nodes(schema):
        assert set(node) <= ALLOWED_KEYS, f"{path}: {set(node) - ALLOWED_KEYS}"
        assert "type" in node or "anyOf" in node, f"{path}: untyped"
        if "type" in node:
            assert node["type"] in TYPES, f"{path}: type {node['type']!r}"
        if "enum" in node:
            assert node["type"] == "string" and all(isinstance(v, str) for v in node["enum"])
        if "properties" in node:
            assert node["properties"], f"{path}: empty properties"
        if "required" in node:
            assert set(node["required"]) <= set(node.get("properties", {})), path
        if node.get("type") == "array":
            assert isinstance(node.get("items"), dict), f"{path}: array without items"


CLAUDE_CODE_TOOLS = [
    pytest.param(tool, id=f"{name}:{tool['name']}")
    for name in MESSAGE_FIXTURES
    for tool in load_fixture(name).get("tools", [])
]


@pytest.mark.parametrize("tool", CLAUDE_CODE_TOOLS)
def test_claude_code_tool_schemas_come_out_clean(tool: dict[str, Any]) -> None:
    original = copy.deepcopy(tool["input_schema"])
    parameters = sanitize_parameters(tool["input_schema"])
    assert tool["input_schema"] == original  # the client's schema is not touched
    if parameters is None:
        assert not original.get("properties")
        return
    assert parameters["type"] == "object"
    assert_gemini_subset(parameters)
    assert set(parameters["properties"]) == set(original["properties"])


def test_claude_code_edit_schema_golden() -> None:
    tools = {t["name"]: t for t in load_fixture("messages_turn1.json")["tools"]}
    parameters = sanitize_parameters(tools["Edit"]["input_schema"])
    assert parameters == {
        "type": "object",
        "properties": {
            "file_path": {
                "description": "The absolute path to the file to modify",
                "type": "string",
            },
            "old_string": {"description": "The text to replace", "type": "string"},
            "new_string": {
                "description": "The text to replace it with (must be different from old_string)",
                "type": "string",
            },
            "replace_all": {
                "description": "Replace all occurrences of old_string (default false)",
                "default": False,
                "type": "boolean",
            },
        },
        "required": ["file_path", "old_string", "new_string"],
    }
    assert sanitize_parameters(tools["DeferredToolPlaceholder"]["input_schema"]) is None


def test_refs_inlined_and_recursion_cut() -> None:
    schema = {
        "type": "object",
        "$defs": {
            "Point": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]},
            "Alias": {"$ref": "#/$defs/Point"},
            "Tree": {"type": "object", "properties": {"child": {"$ref": "#/$defs/Tree"}}},
        },
        "properties": {
            "at": {"$ref": "#/$defs/Alias", "description": "where"},
            "tree": {"$ref": "#/$defs/Tree"},
            "missing": {"$ref": "#/$defs/Nope", "type": "string"},
        },
    }
    out = sanitize(schema)
    assert out["properties"]["at"] == {
        "type": "object",
        "properties": {"x": {"type": "number"}},
        "required": ["x"],
        "description": "where",
    }
    assert out["properties"]["tree"]["properties"]["child"] == ANY_VALUE
    assert out["properties"]["missing"] == {"type": "string"}
    assert_gemini_subset(out)


def test_type_arrays_nullable_one_of_all_of_const() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": ["string", "null"]},
            "b": {"type": ["string", "integer"]},
            "c": {"oneOf": [{"type": "string"}, {"type": "null"}], "description": "c"},
            "d": {"const": "fixed"},
            "e": {
                "allOf": [
                    {"type": "object", "properties": {"p": {"type": "string"}}, "required": ["p"]},
                    {"properties": {"q": {"type": "integer"}}, "required": ["q"]},
                ]
            },
            "f": {"anyOf": [{"type": "integer"}, {"type": "boolean"}]},
        },
    }
    out = sanitize(schema)["properties"]
    assert out["a"] == {"type": "string", "nullable": True}
    assert out["b"] == {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    assert out["c"] == {"type": "string", "nullable": True, "description": "c"}
    assert out["d"] == {"enum": ["fixed"], "type": "string"}
    assert out["e"] == {
        "type": "object",
        "properties": {"q": {"type": "integer"}, "p": {"type": "string"}},
        "required": ["p", "q"],
    }
    assert out["f"] == {"anyOf": [{"type": "integer"}, {"type": "boolean"}]}


def test_enums_formats_bounds_and_shapes() -> None:
    schema = {
        "type": "object",
        "additionalProperties": False,
        "propertyNames": {"pattern": "^[a-z]+$"},
        "patternProperties": {"^x-": {"type": "string"}},
        "properties": {
            "level": {"type": "integer", "enum": [1, 2, 3], "default": 1},
            "mode": {"enum": ["a", None]},
            "url": {"type": "string", "format": "uri"},
            "when": {"type": "string", "format": "date-time"},
            "count": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10},
            "tags": {"type": "array"},
            "pairs": {"type": "array", "items": [{"type": "string"}, {"type": "number"}]},
            "meta": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "required": ["k"],
            },
            "nested": {"properties": {"n": {"type": "string"}}, "required": ["n", "ghost"]},
            "anything": {"description": "any JSON value"},
            "not_this": {"not": {"type": "string"}, "type": "string"},
        },
        "required": ["level", "missing"],
    }
    out = sanitize(schema)
    props = out["properties"]
    assert props["level"] == {"type": "string", "enum": ["1", "2", "3"]}
    assert props["mode"] == {"enum": ["a"], "nullable": True, "type": "string"}
    assert props["url"] == {"type": "string"}
    assert props["when"] == {"type": "string", "format": "date-time"}
    assert props["count"] == {"type": "integer", "minimum": 0, "maximum": 10}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}
    assert props["pairs"] == {"type": "array", "items": {"type": "string"}}
    assert props["meta"] == {"type": "object"}
    assert props["nested"] == {
        "properties": {"n": {"type": "string"}}, "required": ["n"], "type": "object",
    }  # fmt: skip
    assert props["anything"] == {"description": "any JSON value", **ANY_VALUE}
    assert props["not_this"] == {"type": "string"}
    assert out["required"] == ["level"]
    assert_gemini_subset(out)


def test_no_parameters() -> None:
    assert sanitize_parameters({"type": "object"}) is None
    assert sanitize_parameters({"type": "object", "properties": {}}) is None
    assert sanitize_parameters({"$schema": "x", "additionalProperties": False}) is None


def test_to_json_schema_from_gemini_parameters() -> None:
    gemini = {
        "type": "OBJECT",
        "properties": {
            "path": {"type": "STRING", "description": "file"},
            "depth": {"type": "INTEGER", "nullable": True},
            "kind": {"type": "STRING", "format": "enum", "enum": ["a", "b"]},
            "items": {"type": "ARRAY", "items": {"type": "NUMBER"}},
            "either": {"anyOf": [{"type": "STRING"}, {"type": "BOOLEAN"}], "nullable": True},
        },
        "required": ["path"],
        "propertyOrdering": ["path", "depth"],
    }
    assert to_json_schema(gemini) == {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "file"},
            "depth": {"type": ["integer", "null"]},
            "kind": {"type": "string", "enum": ["a", "b"]},
            "items": {"type": "array", "items": {"type": "number"}},
            "either": {"anyOf": [{"type": "string"}, {"type": "boolean"}, {"type": "null"}]},
        },
        "required": ["path"],
    }
