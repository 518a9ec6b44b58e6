"""Hostile schemas and replies get typed errors after bounded work, never a RecursionError, a
hang or a network fetch: schemas nested too deeply, ``$ref`` graphs that expand
exponentially, references to remote documents, and replies nested thousands of levels deep."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from pollytool._jsonschema import (
    MAX_SCHEMA_DEPTH,
    MAX_SCHEMA_NODES,
    StrictSchemaWarning,
    inline_refs,
)
from pollytool.errors import SchemaError, SchemaValidationError, ToolError
from pollytool.providers.anthropic._dialect import to_anthropic
from pollytool.providers.gemini._dialect import to_gemini
from pollytool.providers.openai._dialect import is_openai_strict_compatible, to_openai_strict
from pollytool.schema import MAX_REPLY_DEPTH, Schema
from pollytool.tools.validation import ArgumentsValidator


def _openai(schema: dict[str, Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StrictSchemaWarning)
        return to_openai_strict(schema)


CONVERSIONS: list[Any] = [
    pytest.param(_openai, id="openai"),
    pytest.param(is_openai_strict_compatible, id="openai-compatible"),
    pytest.param(to_gemini, id="gemini"),
    pytest.param(to_anthropic, id="anthropic"),
    pytest.param(lambda s: to_anthropic(s, output=True), id="anthropic-output"),
    pytest.param(inline_refs, id="inline"),
    pytest.param(Schema, id="schema"),
]


def nested_schema(levels: int) -> dict[str, Any]:
    """An object whose property ``a`` is an object whose property ``a`` is… *levels* deep."""
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"a": schema}, "required": ["a"]}
    return schema


def chained_refs(levels: int) -> dict[str, Any]:
    """A chain of definitions, each referring to the next: deep only once inlined."""
    defs: dict[str, Any] = {f"d{levels}": {"type": "string"}}
    for i in range(levels):
        defs[f"d{i}"] = {
            "type": "object", "properties": {"a": {"$ref": f"#/$defs/d{i + 1}"}}, "required": ["a"],
        }  # fmt: skip
    return {"$ref": "#/$defs/d0", "$defs": defs}


def doubling_refs(levels: int) -> dict[str, Any]:
    """Each definition refers to the next twice: inlining it makes 2**levels copies."""
    defs: dict[str, Any] = {f"d{levels}": {"type": "string"}}
    for i in range(levels):
        ref = {"$ref": f"#/$defs/d{i + 1}"}
        defs[f"d{i}"] = {
            "type": "object", "properties": {"l": ref, "r": dict(ref)}, "required": ["l", "r"],
        }  # fmt: skip
    return {"type": "object", "properties": {"root": {"$ref": "#/$defs/d0"}}, "$defs": defs}


@pytest.mark.parametrize("convert", CONVERSIONS)
@pytest.mark.parametrize("levels", [300, 5000])
def test_a_deeply_nested_schema_is_a_schema_error(
    convert: Callable[[dict[str, Any]], Any], levels: int
) -> None:
    with pytest.raises(SchemaError, match=f"nested more than {MAX_SCHEMA_DEPTH} levels deep"):
        convert(nested_schema(levels))


@pytest.mark.parametrize("convert", CONVERSIONS)
def test_references_that_nest_too_deeply_once_inlined_are_a_schema_error(
    convert: Callable[[dict[str, Any]], Any],
) -> None:
    with pytest.raises(SchemaError, match="nested more than"):
        convert(chained_refs(MAX_SCHEMA_DEPTH + 5))


@pytest.mark.parametrize("convert", CONVERSIONS)
def test_references_that_expand_exponentially_are_a_schema_error(
    convert: Callable[[dict[str, Any]], Any],
) -> None:
    with pytest.raises(SchemaError, match=f"more than {MAX_SCHEMA_NODES} subschemas"):
        convert(doubling_refs(40))


@pytest.mark.parametrize("convert", CONVERSIONS)
def test_schemas_within_the_limits_still_convert(convert: Callable[[dict[str, Any]], Any]) -> None:
    convert(nested_schema(MAX_SCHEMA_DEPTH - 2))
    convert(chained_refs(MAX_SCHEMA_DEPTH - 3))
    convert(doubling_refs(8))  # 256 copies: fine


def test_a_very_wide_schema_is_a_schema_error() -> None:
    wide = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(30_000)}}
    with pytest.raises(SchemaError, match="more than"):
        Schema(wide)


@pytest.mark.parametrize(
    "ref", ["https://example.invalid/person.json", "other.json#/defs/x", "#/$defs/missing"]
)
def test_a_reference_outside_the_schema_is_a_schema_error_at_construction(ref: str) -> None:
    schema = {"type": "object", "properties": {"p": {"$ref": ref}}}
    with pytest.raises(SchemaError, match="not part of the schema") as info:
        Schema(schema)
    assert ref in str(info.value)


def test_references_by_id_and_anchor_inside_the_schema_are_fine() -> None:
    schema = {
        "type": "object",
        "properties": {"p": {"$ref": "item.json"}, "q": {"$ref": "#thing"}},
        "$defs": {
            "item": {"$id": "item.json", "type": "integer"},
            "thing": {"$anchor": "thing", "type": "string"},
        },
    }
    assert Schema(schema).validate('{"p": 1, "q": "x"}') == {"p": 1, "q": "x"}


def test_a_tool_schema_with_a_remote_reference_is_a_tool_error_not_a_fetch() -> None:
    validator = ArgumentsValidator(
        "lookup", {"type": "object", "properties": {"p": {"$ref": "https://example.invalid/x"}}}
    )
    with pytest.raises(ToolError, match=re.escape("https://example.invalid/x")):
        validator.validate({"p": 1})


# --------------------------------------------------------------------------- replies


class Node(BaseModel):
    name: str
    child: Node | None = None


def _nested_reply(levels: int) -> str:
    value: dict[str, Any] = {"name": "leaf"}
    for _ in range(levels):
        value = {"name": "n", "child": value}
    return json.dumps(value)


@pytest.mark.parametrize(
    "schema",
    [Schema.from_type(Node), Schema(Node.model_json_schema()), Schema({})],
    ids=["pydantic", "dict", "any"],
)
@pytest.mark.parametrize(
    "reply",
    ["[" * 100_000 + "]" * 100_000, _nested_reply(250), '{"a":' * 5000 + "1" + "}" * 5000],
    ids=["brackets-100k", "model-250", "objects-5000"],
)
def test_a_reply_nested_too_deeply_is_a_validation_error(schema: Schema, reply: str) -> None:
    with pytest.raises(SchemaValidationError, match=f"more than {MAX_REPLY_DEPTH} levels"):
        schema.parse(reply)


def test_a_reply_within_the_depth_limit_parses() -> None:
    node = Schema.from_type(Node).parse(_nested_reply(MAX_REPLY_DEPTH - 2))
    assert isinstance(node, Node)
    brackets = "[" * MAX_REPLY_DEPTH + "]" * MAX_REPLY_DEPTH
    assert Schema({}).validate(brackets) is not None


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"s": "[" * 10_000 + '{"\\"'})
    assert Schema({"type": "object"}).validate(text) == json.loads(text)
