"""ToolRegistry: unique, ordered, provider-safe names with a map back."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pollytool.errors import DuplicateToolError, ToolNotFoundError
from pollytool.tools import (
    NamespacedTool,
    ToolOutput,
    ToolRegistry,
    namespaced_name,
    sanitize_tool_name,
    split_namespaced_name,
    tool,
    tool_spec,
)

pytestmark = pytest.mark.anyio

SAFE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")


class EchoTool:
    """A hand-written tool (no base class), as MCP or shell tools might be."""

    def __init__(self, name: str, source: str = "") -> None:
        self._name = name
        self.source = source

    @property
    def name(self) -> str:
        return self._name

    @property
    def schema(self) -> dict[str, Any]:
        return {
            "title": self._name,
            "description": "Echo the text.",
            "type": "object",
            "properties": {"text": {"type": "string"}},
        }

    async def execute(self, args: dict[str, Any]) -> str | ToolOutput:
        return f"{self._name}:{args.get('text', '')}"


def test_registry_keeps_registration_order_and_instances() -> None:
    first, second, third = EchoTool("zeta"), EchoTool("alpha"), EchoTool("mid")
    registry = ToolRegistry([first, second])
    assert registry.register(third) is third
    assert registry.all() == [first, second, third]
    assert list(registry) == [first, second, third]
    assert registry.names() == ["zeta", "alpha", "mid"]
    assert [s["title"] for s in registry.schemas()] == ["zeta", "alpha", "mid"]
    assert registry.get_schemas() == registry.schemas()
    assert len(registry) == 3
    assert registry.get("alpha") is second
    assert registry.get("nope") is None
    assert "mid" in registry
    assert "nope" not in registry


def test_schemas_are_copies() -> None:
    registry = ToolRegistry([EchoTool("echo")])
    registry.schemas()[0]["properties"]["text"]["type"] = "integer"
    assert registry.get("echo").schema["properties"]["text"]["type"] == "string"  # type: ignore[union-attr]


def test_remove() -> None:
    tool_a = EchoTool("a")
    registry = ToolRegistry([tool_a, EchoTool("b")])
    assert registry.remove("a") is tool_a
    assert registry.get("a") is None
    assert registry.names() == ["b"]
    with pytest.raises(ToolNotFoundError, match="'a'"):
        registry.remove("a")
    registry.register(EchoTool("a"))  # the name is free again
    assert registry.names() == ["b", "a"]


def test_duplicate_names_are_an_error_naming_both_tools() -> None:
    registry = ToolRegistry([EchoTool("search", source="/tools/search.sh")])
    with pytest.raises(DuplicateToolError) as info:
        registry.register(EchoTool("search", source="mcp.json#web"))
    message = str(info.value)
    assert "/tools/search.sh" in message
    assert "mcp.json#web" in message
    assert info.value.tool_name == "search"
    assert len(registry) == 1


def test_names_that_collide_after_sanitising_are_duplicates() -> None:
    registry = ToolRegistry([EchoTool("a.b")])
    with pytest.raises(DuplicateToolError, match=r"'a\.b'.*'a_b'"):
        registry.register(EchoTool("a_b"))


async def test_namespaced_tools_are_published_under_the_namespace() -> None:
    inner = EchoTool("get")
    registry = ToolRegistry()
    published = registry.register(inner, namespace="weather")
    assert isinstance(published, NamespacedTool)
    assert published.tool is inner
    assert published.name == "weather__get"
    assert published.schema["title"] == "weather__get"
    assert inner.schema["title"] == "get"  # the tool's own schema is untouched
    assert published.get_schema() == published.schema
    assert tool_spec(published).name == "weather__get"
    assert registry.get("weather__get") is published
    assert registry.original_name("weather__get") == "weather__get"
    assert await published.execute({"text": "hi"}) == "get:hi"
    registry.register(EchoTool("get"), namespace="time")  # same tool name, other namespace
    assert registry.names() == ["weather__get", "time__get"]


def test_invalid_names_are_sanitised_and_mapped_back() -> None:
    registry = ToolRegistry()
    published = registry.register(EchoTool("read.file"), namespace="my server")
    assert published.name == "my_server__read_file"
    assert registry.original_name("my_server__read_file") == "my server__read.file"
    with pytest.raises(ToolNotFoundError):
        registry.original_name("unknown")


def test_long_names_get_distinct_hash_suffixes() -> None:
    base = "x" * 70
    one, two = sanitize_tool_name(base + "1"), sanitize_tool_name(base + "2")
    assert one != two
    assert len(one) == len(two) == 64
    assert one.startswith("x" * 55 + "_")
    registry = ToolRegistry([EchoTool(base + "1"), EchoTool(base + "2")])
    assert registry.original_name(one) == base + "1"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("get_weather", "get_weather"),
        ("get-weather", "get-weather"),
        ("9lives", "_9lives"),
        ("-dash", "_-dash"),
        ("", "_"),
        ("a b/c", "a_b_c"),
        ("café", "caf_"),
    ],
)
def test_sanitize_examples(name: str, expected: str) -> None:
    assert sanitize_tool_name(name) == expected


@given(st.text(max_size=200))
def test_sanitized_names_are_always_provider_safe(name: str) -> None:
    result = sanitize_tool_name(name)
    assert SAFE.match(result)
    if SAFE.match(name):
        assert result == name


def test_namespace_helpers() -> None:
    assert namespaced_name("fs", "read") == "fs__read"
    assert split_namespaced_name("fs__read") == ("fs", "read")
    assert split_namespaced_name("fs__read__deep") == ("fs", "read__deep")
    assert split_namespaced_name("plain") == (None, "plain")
    assert split_namespaced_name("__private") == (None, "__private")


def test_function_tools_register_like_any_tool() -> None:
    @tool
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    registry = ToolRegistry([add])
    assert registry.get("add") is add
    assert registry.schemas()[0]["description"] == "Add two numbers."
