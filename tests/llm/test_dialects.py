"""The per-provider schema dialects, run over a corpus of real-world schemas.

The corpus (``schema_corpus/*.json``) holds MCP tool schemas from real servers, schemas Pydantic
generates for models with optionals, nested models, lists, enums and unions, and hand-written
schemas with the keywords providers disagree about. Each file lists instances valid under the
original schema; they must stay valid under every converted schema.
"""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pollytool._jsonschema import StrictSchemaWarning, inline_refs, strip_added_nulls
from pollytool.errors import SchemaError
from pollytool.providers.anthropic._dialect import to_anthropic
from pollytool.providers.gemini._dialect import to_gemini
from pollytool.providers.openai._dialect import is_openai_strict_compatible, to_openai_strict

CORPUS_DIR = Path(__file__).parent / "schema_corpus"
CORPUS = {p.stem: json.loads(p.read_text()) for p in sorted(CORPUS_DIR.glob("*.json"))}
STRICT_CASES = [name for name, case in CORPUS.items() if case.get("strict", True)]


def validator(schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)  # the converted schema is itself valid JSON Schema
    return cls(schema)


def walk(schema: Any) -> list[dict[str, Any]]:
    """Every subschema of *schema* (including itself)."""
    if not isinstance(schema, dict):
        return []
    found = [schema]
    for key, value in schema.items():
        if key in ("properties", "$defs", "definitions", "patternProperties"):
            for sub in value.values():
                found += walk(sub)
        elif key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            for sub in value:
                found += walk(sub)
        elif key in ("items", "additionalProperties", "not"):
            found += walk(value)
    return found


def complete_with_nulls(value: Any, schema: dict[str, Any], v: Any) -> Any:
    """*value* with ``null`` for every property it leaves out, as a strict-mode model sends it."""
    if "$ref" in schema:
        target = v.schema
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return complete_with_nulls(value, target, v)
    if "anyOf" in schema:
        for branch in schema["anyOf"]:
            candidate = complete_with_nulls(value, branch, v)
            if v.evolve(schema=branch).is_valid(candidate):
                return candidate
        return value
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        return {
            name: complete_with_nulls(value[name], sub, v) if name in value else None
            for name, sub in props.items()
        } | {k: val for k, val in value.items() if k not in props}
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [complete_with_nulls(item, schema["items"], v) for item in value]
    return value


@pytest.fixture(params=sorted(CORPUS))
def case(request: pytest.FixtureRequest) -> dict[str, Any]:
    return copy.deepcopy(CORPUS[request.param])


def test_the_corpus_is_valid() -> None:
    assert len(CORPUS) >= 20
    for name, doc in CORPUS.items():
        v = validator(doc["schema"])
        for instance in doc["valid"]:
            assert v.is_valid(instance), (name, instance)


# --------------------------------------------------------------------------- every dialect


@pytest.mark.parametrize(
    "convert",
    [
        pytest.param(lambda s: to_openai_strict(s)[0], id="openai"),
        pytest.param(to_gemini, id="gemini"),
        pytest.param(to_anthropic, id="anthropic"),
        pytest.param(lambda s: to_anthropic(s, output=True), id="anthropic-output"),
        pytest.param(inline_refs, id="inline"),
    ],
)
def test_conversion_leaves_the_original_alone_and_is_valid_json_schema(
    case: dict[str, Any], convert: Any
) -> None:
    schema = case["schema"]
    before = copy.deepcopy(schema)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StrictSchemaWarning)
        try:
            converted = convert(schema)
        except SchemaError:  # Anthropic refuses a top level that is not an object
            assert schema.get("type") != "object"
            assert schema == before
            return
    assert schema == before
    assert converted is not schema
    validator(converted)
    # the result shares nothing with the original: changing it leaves the original alone
    for sub in walk(converted):
        sub["x-touched"] = True
    assert schema == before


# --------------------------------------------------------------------------- OpenAI strict


@pytest.mark.parametrize("name", STRICT_CASES)
def test_openai_strict_rules(name: str) -> None:
    schema = CORPUS[name]["schema"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", StrictSchemaWarning)
        converted, strict = to_openai_strict(schema)
    assert strict
    assert converted["type"] == "object"
    for sub in walk(converted):
        assert not {
            "oneOf",
            "allOf",
            "$schema",
            "$id",
            "default",
            "minLength",
            "discriminator",
        } & set(sub)
        if sub.get("type") == "object" or "properties" in sub:
            assert sub["additionalProperties"] is False
            assert sub["required"] == list(sub["properties"])
        if "$ref" in sub:
            assert set(sub) == {"$ref"}
    # converting again changes nothing: the result is strict as it is
    assert is_openai_strict_compatible(converted)


@pytest.mark.parametrize("name", STRICT_CASES)
def test_openai_strict_keeps_valid_instances_valid(name: str) -> None:
    doc = CORPUS[name]
    converted, _ = to_openai_strict(doc["schema"])
    strict_v = validator(converted)
    original_v = validator(doc["schema"])
    for instance in doc["valid"]:
        sent = complete_with_nulls(instance, converted, strict_v)
        assert strict_v.is_valid(sent), (instance, sent)
        assert original_v.is_valid(strip_added_nulls(sent, doc["schema"])), sent


@pytest.mark.parametrize("name", STRICT_CASES)
def test_openai_strict_makes_optional_properties_nullable(name: str) -> None:
    schema = inline_refs(CORPUS[name]["schema"])
    converted, _ = to_openai_strict(schema)
    strict_v, original_v = validator(converted), validator(schema)
    required = set(schema.get("required", []))
    for prop, sub in converted["properties"].items():
        accepts_null = strict_v.evolve(schema=sub).is_valid(None)
        if prop in required:
            assert accepts_null == original_v.evolve(schema=schema["properties"][prop]).is_valid(
                None
            )
        else:
            assert accepts_null, prop


def test_optional_fields_are_nullable_not_silently_required() -> None:
    converted, strict = to_openai_strict(CORPUS["pydantic__person"]["schema"])
    assert strict
    props = converted["properties"]
    assert props["nickname"]["type"] == ["string", "null"]
    assert props["favourite"]["enum"] == ["red", "green", None]
    assert props["age"]["anyOf"] == [{"minimum": 0, "type": "integer"}, {"type": "null"}]
    assert props["address"]["required"] == ["street", "city", "postcode"]
    assert "null" not in json.dumps(props["name"])


def test_strict_resolves_refs_and_keeps_recursive_ones() -> None:
    converted, strict = to_openai_strict(CORPUS["mcp_time__convert_time_output"]["schema"])
    assert strict
    assert "$defs" not in converted
    assert converted["properties"]["source"]["properties"]["is_dst"] == {
        "title": "Is Dst",
        "type": "boolean",
    }
    tree, strict = to_openai_strict(CORPUS["pydantic__tree_recursive"]["schema"])
    assert strict
    assert tree["properties"]["children"]["items"] == {"$ref": "#/$defs/TreeNode"}
    assert tree["$defs"]["TreeNode"]["additionalProperties"] is False


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("handwritten__not_strict", "patternProperties"),
        ("handwritten__top_level_union", "top level is not an object"),
        ("pydantic__tagged_open_dict", "open object"),
    ],
)
def test_what_cannot_be_strict_falls_back_with_a_warning(name: str, reason: str) -> None:
    schema = CORPUS[name]["schema"]
    with pytest.warns(StrictSchemaWarning, match=reason):
        converted, strict = to_openai_strict(schema)
    assert strict is False
    assert converted == schema
    assert converted is not schema


def test_strict_compatibility_of_tool_schemas() -> None:
    closed = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": ["integer", "null"]}},
        "required": ["a", "b"],
        "additionalProperties": False,
    }
    assert is_openai_strict_compatible(closed)
    assert not is_openai_strict_compatible({**closed, "required": ["a"]})
    assert not is_openai_strict_compatible(
        {k: v for k, v in closed.items() if k != "additionalProperties"}
    )
    for name, doc in CORPUS.items():
        if name.startswith("mcp_") and not name.endswith("_output"):
            assert not is_openai_strict_compatible(doc["schema"]), name


def test_strip_added_nulls_removes_only_the_nulls_strict_mode_added() -> None:
    schema = CORPUS["pydantic__person"]["schema"]
    sent = {
        "name": "Ada",
        "age": None,
        "nickname": None,
        "emails": None,
        "address": {"street": "s", "city": "c", "postcode": None},
        "previous": [{"street": "s", "city": "c", "postcode": None}],
        "favourite": None,
        "priority": None,
    }
    assert strip_added_nulls(sent, schema) == {
        "name": "Ada",
        "age": None,  # Optional[int]: null is a real value
        "address": {"street": "s", "city": "c", "postcode": None},
        "previous": [{"street": "s", "city": "c", "postcode": None}],
    }
    assert sent["nickname"] is None  # the input is not modified


# --------------------------------------------------------------------------- Gemini

GEMINI_REJECTS = {
    *("$schema", "$id", "const", "oneOf", "allOf", "definitions", "discriminator"),
    *("exclusiveMinimum", "exclusiveMaximum", "multipleOf", "patternProperties"),
}


def test_gemini_dialect(case: dict[str, Any]) -> None:
    converted = to_gemini(case["schema"])
    for sub in walk(converted):
        assert not GEMINI_REJECTS & set(sub), sub
        assert not isinstance(sub.get("type"), list), sub
        assert not any(isinstance(sub.get(k), bool) for k in ("additionalProperties", "items"))
        assert all(isinstance(v, str) for v in sub.get("enum", [])), sub
        if "anyOf" in sub:
            assert "default" not in sub
    v = validator(converted)
    for instance in case["valid"]:
        assert v.is_valid(instance), instance


def test_gemini_enums_of_null_only() -> None:
    assert to_gemini({"enum": [None]}) == {"type": "null", "description": "Allowed values: null."}


def test_gemini_rewrites_keywords() -> None:
    converted = to_gemini(CORPUS["handwritten__keywords"]["schema"])
    props = converted["properties"]
    assert props["version"] == {"type": "integer", "description": "Allowed values: 2."}
    assert props["level"]["type"] == "integer"
    assert "1, 2, 3" in props["level"]["description"]
    assert props["mode"] == {
        "anyOf": [{"type": "string", "enum": ["fast", "slow"]}, {"type": "null"}]
    }
    assert props["note"]["anyOf"] == [{"type": "string", "maxLength": 200}, {"type": "null"}]
    assert props["price"]["description"] == "What it costs"
    assert props["price"]["properties"]["currency"]["pattern"] == "^[A-Z]{3}$"
    assert [b["required"] for b in props["shape"]["anyOf"]] == [["radius"], ["side"]]
    assert props["meta"]["properties"] == {"a": {"type": "string"}, "b": {"type": "integer"}}


# --------------------------------------------------------------------------- Anthropic


def test_anthropic_tool_input_keeps_the_schema_but_drops_meta(case: dict[str, Any]) -> None:
    try:
        converted = to_anthropic(case["schema"])
    except SchemaError:
        pytest.fail("every corpus schema has an object at its top level")
    assert converted["type"] == "object"
    assert not {"$schema", "$id", "anyOf", "oneOf", "allOf"} & set(converted)
    v = validator(converted)
    for instance in case["valid"]:
        assert v.is_valid(instance), instance


def test_anthropic_merges_a_top_level_union() -> None:
    converted = to_anthropic(CORPUS["handwritten__top_level_union"]["schema"])
    assert converted == {
        "type": "object",
        "properties": {
            "query": {"type": "string"},
            "limit": {"type": "integer"},
            "id": {"type": "string"},
        },
        "required": [],
    }


def test_anthropic_needs_an_object_at_the_top_level() -> None:
    with pytest.raises(SchemaError, match="object at the top level"):
        to_anthropic({"type": "array", "items": {"type": "string"}})


def test_anthropic_output_format(case: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StrictSchemaWarning)
        converted = to_anthropic(case["schema"], output=True)
    moved = {"minimum", "maximum", "exclusiveMinimum", "minLength", "maxLength", "multipleOf"}
    for sub in walk(converted):
        assert not moved & set(sub), sub
        assert "oneOf" not in sub
        if sub.get("type") == "object" and sub.get("additionalProperties") is not True:
            assert "additionalProperties" in sub, sub
    v = validator(converted)
    for instance in case["valid"]:
        assert v.is_valid(instance), instance


def test_anthropic_output_moves_constraints_into_the_description() -> None:
    converted = to_anthropic(CORPUS["mcp_fetch__fetch"]["schema"], output=True)
    max_length = converted["properties"]["max_length"]
    assert max_length["description"] == (
        "Maximum number of characters to return.\n(exclusiveMinimum: 0; exclusiveMaximum: 1000000)"
    )
    assert converted["properties"]["url"]["format"] == "uri"
    assert converted["additionalProperties"] is False


def test_anthropic_output_warns_about_open_objects() -> None:
    with pytest.warns(StrictSchemaWarning, match="open object"):
        converted = to_anthropic(CORPUS["pydantic__tagged_open_dict"]["schema"], output=True)
    assert converted["properties"]["tags"]["additionalProperties"] == {"type": "integer"}
