"""Schema: building from types, provider dialects, validation and parsing."""

from __future__ import annotations

import dataclasses
import enum
import json
from typing import Any, NotRequired

import pytest
from pydantic import BaseModel, Field
from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

from pollytool.errors import SchemaError, SchemaValidationError
from pollytool.schema import Schema


class Colour(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    street: str
    postcode: str | None = None


class Person(BaseModel):
    """A person."""

    name: str = Field(min_length=1)
    age: int = 0
    colour: Colour = Colour.RED
    address: Address


@dataclasses.dataclass
class Point:
    x: float
    y: float
    label: str = "origin"


class Movie(TypedDict):
    title: str
    year: int
    rating: NotRequired[float]


def test_from_pydantic_model() -> None:
    schema = Schema.from_type(Person)
    assert schema.name == "Person"
    assert schema.description == "A person."
    assert schema.strict is True
    assert schema.python_type is Person
    assert schema.json_schema["required"] == ["name", "address"]
    person = schema.parse('{"name": "Ada", "address": {"street": "1 Road"}}')
    assert person == Person(name="Ada", address=Address(street="1 Road"))


def test_from_dataclass_and_typeddict() -> None:
    point = Schema.from_type(Point, name="pt", description="A point", strict=False)
    assert (point.name, point.description, point.strict) == ("pt", "A point", False)
    assert point.parse('{"x": 1, "y": 2.5}') == Point(1.0, 2.5)
    movie = Schema.from_type(Movie)
    assert movie.name == "Movie"
    assert movie.json_schema["required"] == ["title", "year"]
    assert movie.parse('{"title": "Heat", "year": 1995}') == {"title": "Heat", "year": 1995}


def test_from_type_passes_schemas_and_dicts_through() -> None:
    schema = Schema.from_type(Point)
    assert Schema.from_type(schema) is schema
    raw = {"type": "object", "properties": {"a": {"type": "string"}}}
    from_dict = Schema.from_type(raw, name="thing")
    assert from_dict == Schema(raw, name="thing")
    assert from_dict.python_type is None


def test_names_are_safe_for_providers() -> None:
    assert Schema.from_type(list[int]).name == "list"
    assert Schema.from_type(dict[str, Point]).name == "dict"


def test_types_pydantic_cannot_describe_raise_schema_error() -> None:
    with pytest.raises(SchemaError, match="cannot build a JSON schema"):
        Schema.from_type(object())
    with pytest.raises(SchemaError, match="JSON-schema dict"):
        Schema("not a dict")  # type: ignore[arg-type]


def test_validate_dict_schema() -> None:
    schema = Schema(
        {
            "type": "object",
            "properties": {
                "n": {"type": "integer"},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["n"],
        }
    )
    assert schema.validate('{"n": 1, "tags": ["a"]}') == {"n": 1, "tags": ["a"]}
    assert schema.parse('```json\n{"n": 2}\n```') == {"n": 2}
    with pytest.raises(SchemaValidationError) as info:
        schema.validate('{"n": "one", "tags": ["a", 2]}')
    assert info.value.errors == [
        "$.n: 'one' is not of type 'integer'",
        "$.tags[1]: 2 is not of type 'string'",
    ]
    assert info.value.raw == '{"n": "one", "tags": ["a", 2]}'
    assert "does not match the schema 'response'" in str(info.value)


def test_invalid_json_is_a_validation_error() -> None:
    with pytest.raises(SchemaValidationError) as info:
        Schema.from_type(Point).parse('{"x": 1,')
    assert info.value.errors[0].startswith("the reply is not valid JSON")
    assert info.value.raw == '{"x": 1,'


def test_typed_validation_errors_name_the_field() -> None:
    with pytest.raises(SchemaValidationError) as info:
        Schema.from_type(Person).parse('{"name": "", "address": {}}')
    assert info.value.errors == [
        "$.name: String should have at least 1 character",
        "$.address.street: Field required",
    ]


def test_nulls_from_strict_mode_are_dropped_before_validation() -> None:
    schema = Schema.from_type(Person)
    person = schema.parse(
        '{"name": "Ada", "age": null, "colour": null, "address": {"street": "s", "postcode": null}}'
    )
    assert person == Person(name="Ada", address=Address(street="s"))
    assert Schema.from_type(Point).validate('{"x": 1, "y": 2, "label": null}') == {"x": 1, "y": 2}


def test_an_invalid_json_schema_is_reported_when_used() -> None:
    schema = Schema({"type": "no-such-type"})
    with pytest.raises(SchemaError, match="not valid JSON Schema"):
        schema.validate("{}")


def test_schemas_compare_by_value() -> None:
    raw: dict[str, Any] = json.loads('{"type": "object"}')
    assert Schema(raw) == Schema(dict(raw))
    assert Schema(raw).raw is raw
    assert Schema(raw).copy_schema() == raw and Schema(raw).copy_schema() is not raw
