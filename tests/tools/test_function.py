"""Function tools: schemas from hints and docstrings, argument checking, results."""

from __future__ import annotations

import dataclasses
import enum
import threading
from typing import Annotated, Any, Literal, Optional

import jsonschema
import pydantic
import pytest

from pollytool.errors import ToolArgumentsError, ToolError
from pollytool.tools import FunctionTool, Tool, ToolOutput, tool, tool_spec
from pollytool.tools._signature import parse_docstring

pytestmark = pytest.mark.anyio


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0


class Address(pydantic.BaseModel):
    street: str
    zip_code: str | None = None


class Tree(pydantic.BaseModel):
    name: str
    children: list[Tree] = []


class Even(pydantic.BaseModel):
    n: int

    @pydantic.field_validator("n")
    @classmethod
    def even(cls, value: int) -> int:
        if value % 2:
            raise ValueError("must be even")
        return value


def _plain(city: str, count: int, ratio: float, flag: bool) -> str:
    return ""


def _containers(tags: list[str], scores: dict[str, float], matrix: list[list[int]]) -> str:
    return ""


def _choices(mode: Literal["fast", "slow"], color: Color, level: Literal[1, 2, 3] = 1) -> str:
    return ""


def _optionals(a: Optional[int], b: str | None = None, c: list[Point] | None = None) -> str:  # noqa: UP045
    return ""


def _models(address: Address, point: Point, tree: Tree, anything: Any = None) -> str:
    return ""


def _annotated(n: Annotated[int, pydantic.Field(ge=0, le=10)], untyped=3) -> str:  # type: ignore[no-untyped-def]
    return ""


def _nothing() -> str:
    return ""


@pytest.mark.parametrize(
    "func", [_plain, _containers, _choices, _optionals, _models, _annotated, _nothing]
)
def test_generated_schemas_are_valid_json_schema(func: Any) -> None:
    schema = tool(func).schema
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object"
    assert schema["title"] == func.__name__
    assert schema["additionalProperties"] is False
    assert list(schema["properties"]) == list(
        func.__code__.co_varnames[: func.__code__.co_argcount]
    )


def test_schema_types_follow_the_hints() -> None:
    props = tool(_plain).schema["properties"]
    assert [props[k]["type"] for k in ("city", "count", "ratio", "flag")] == [
        "string", "integer", "number", "boolean",
    ]  # fmt: skip
    assert tool(_plain).schema["required"] == ["city", "count", "ratio", "flag"]
    props = tool(_containers).schema["properties"]
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}
    assert props["scores"] == {"type": "object", "additionalProperties": {"type": "number"}}
    schema = tool(_choices).schema
    assert schema["properties"]["mode"] == {"type": "string", "enum": ["fast", "slow"]}
    assert schema["$defs"]["Color"]["enum"] == ["red", "blue"]
    assert schema["required"] == ["mode", "color"]
    assert schema["properties"]["level"]["default"] == 1
    props = tool(_optionals).schema["properties"]
    assert {"type": "null"} in props["a"]["anyOf"]
    assert {"type": "null"} in props["b"]["anyOf"]
    assert tool(_optionals).schema["required"] == ["a"]


def test_fields_carry_no_generated_titles_but_the_tool_does() -> None:
    schema = tool(_plain).schema
    assert schema["title"] == "_plain"
    assert all("title" not in p for p in schema["properties"].values())


def test_description_and_parameter_docs_come_from_the_docstring() -> None:
    @tool
    def search(query: str, limit: int = 10, *, exact: bool = False) -> str:
        """Search the knowledge base.

        Returns the best matches first.

        Args:
            query: What to look for,
                over several lines.
            limit (int): How many results.
            exact: Match the whole phrase.

        Returns:
            The matches, one per line.
        """
        return query

    schema = search.schema
    assert schema["description"] == "Search the knowledge base.\n\nReturns the best matches first."
    assert schema["properties"]["query"]["description"] == "What to look for, over several lines."
    assert schema["properties"]["limit"]["description"] == "How many results."
    assert schema["properties"]["exact"]["description"] == "Match the whole phrase."
    assert schema["required"] == ["query"]


def test_parse_docstring_handles_missing_and_odd_sections() -> None:
    assert parse_docstring(None).description == ""
    doc = parse_docstring("Only a summary.")
    assert (doc.description, doc.params) == ("Only a summary.", {})
    doc = parse_docstring(
        """Summary.

        Raises:
            ValueError: never.

        Keyword Args:
            **options: extra settings.
        """
    )
    assert doc.description == "Summary."
    assert doc.params == {"options": "extra settings."}


def test_decorator_options_and_seed_alias() -> None:
    @tool(name="lookup", description="Find a thing.")
    def find(key: str) -> str:
        """Ignored docstring."""
        return key

    assert isinstance(find, FunctionTool)
    assert isinstance(find, Tool)
    assert find.name == "lookup"
    assert find.get_schema() is find.schema
    assert find.schema["description"] == "Find a thing."
    assert find("k") == "k"  # still callable as the function
    spec = tool_spec(find)
    assert spec.name == "lookup"
    assert spec.description == "Find a thing."
    assert "title" not in spec.parameters
    assert "description" not in spec.parameters


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("def f(*args: int) -> str: ...", "variadic positional"),
        ("def f(**kwargs: int) -> str: ...", "variadic keyword"),
        ("def f(a: int, /) -> str: ...", "positional-only"),
        ("def f(a: 'NoSuchType') -> str: ...", "type hints"),
        ("def f(a: threading.Lock) -> str: ...", "schema"),
    ],
)
def test_functions_that_cannot_be_tools_are_refused(source: str, problem: str) -> None:
    namespace: dict[str, Any] = {"threading": threading}
    exec(source, namespace)
    with pytest.raises(ToolError, match=problem) as info:
        tool(namespace["f"])
    assert info.value.tool_name == "f"


async def test_sync_functions_run_in_a_worker_thread() -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []

    @tool
    def where(n: int) -> int:
        seen.append(threading.get_ident())
        return n * 2

    assert await where.execute({"n": 21}) == "42"
    assert seen and seen[0] != loop_thread


async def test_async_functions_are_awaited_in_the_event_loop() -> None:
    loop_thread = threading.get_ident()

    @tool
    async def where() -> str:
        return "same" if threading.get_ident() == loop_thread else "other"

    assert await where.execute({}) == "same"


async def test_arguments_are_converted_to_the_hinted_python_types() -> None:
    received: dict[str, Any] = {}

    @tool
    def take(
        color: Color, point: Point, address: Address, points: list[Point] | None = None
    ) -> str:
        received.update(color=color, point=point, address=address, points=points)
        return "ok"

    await take.execute(
        {"color": "blue", "point": {"x": 1}, "address": {"street": "Main"}, "points": [{"x": 2}]}
    )
    assert received == {
        "color": Color.BLUE,
        "point": Point(1, 0),
        "address": Address(street="Main"),
        "points": [Point(2, 0)],
    }


async def test_a_parameter_named_like_a_model_attribute_works() -> None:
    @tool
    def describe(schema: str, copy: int = 1) -> str:
        return f"{schema}x{copy}"

    assert set(describe.schema["properties"]) == {"schema", "copy"}
    assert await describe.execute({"schema": "s", "copy": 3}) == "sx3"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            {"city": "Paris", "count": "3", "ratio": 1.0, "flag": True},
            r"count: '3' is not of type 'integer'",
        ),
        ({"city": "Paris", "count": 3, "ratio": 1.0}, r"'flag' is a required property"),
        ({"city": "Paris", "count": 3, "ratio": 1.0, "flag": True, "x": 1}, r"'x' was unexpected"),
    ],
)
async def test_invalid_arguments_are_reported_and_the_function_is_not_called(
    args: dict[str, Any], expected: str
) -> None:
    calls: list[object] = []

    @tool
    def plain(city: str, count: int, ratio: float, flag: bool) -> str:
        calls.append(city)
        return city

    with pytest.raises(ToolArgumentsError, match=expected) as info:
        await plain.execute(args)
    assert info.value.tool_name == "plain"
    assert "invalid arguments for tool 'plain'" in str(info.value)
    assert calls == []


async def test_model_validators_failing_become_argument_errors() -> None:
    @tool
    def half(value: Even) -> int:
        return value.n // 2

    assert await half.execute({"value": {"n": 4}}) == "2"
    with pytest.raises(ToolArgumentsError, match=r"value\.n: Value error, must be even"):
        await half.execute({"value": {"n": 3}})


async def test_return_values_become_text() -> None:
    @tool
    def as_is(kind: str) -> Any:
        values: dict[str, Any] = {
            "str": "plain text",
            "output": ToolOutput("shown", is_error=True),
            "dict": {"a": [1, 2], "é": None},
            "model": Address(street="Main"),
            "enum": [Color.RED],
            "none": None,
        }
        return values[kind]

    assert await as_is.execute({"kind": "str"}) == "plain text"
    assert await as_is.execute({"kind": "output"}) == ToolOutput("shown", is_error=True)
    assert await as_is.execute({"kind": "dict"}) == '{"a": [1, 2], "é": null}'
    assert await as_is.execute({"kind": "model"}) == '{"street":"Main","zip_code":null}'
    assert await as_is.execute({"kind": "enum"}) == '["red"]'
    assert await as_is.execute({"kind": "none"}) == "null"


async def test_bytes_become_an_image_or_text() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 8
    webp = b"RIFF\x00\x00\x00\x00WEBPVP8 "

    @tool
    def produce(kind: str) -> bytes:
        return {"png": png, "jpeg": jpeg, "webp": webp, "text": b"ok", "raw": b"\xff\x00"}[kind]

    image = await produce.execute({"kind": "png"})
    assert isinstance(image, ToolOutput) and image.images == [(png, "image/png")]
    assert (await produce.execute({"kind": "jpeg"})).images == [(jpeg, "image/jpeg")]  # type: ignore[union-attr]
    assert (await produce.execute({"kind": "webp"})).images == [(webp, "image/webp")]  # type: ignore[union-attr]
    assert await produce.execute({"kind": "text"}) == "ok"
    raw = await produce.execute({"kind": "raw"})
    assert isinstance(raw, ToolOutput) and raw.is_error and "2 bytes of binary data" in raw.text


async def test_exceptions_from_the_function_propagate() -> None:
    @tool
    async def broken() -> str:
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        await broken.execute({})
