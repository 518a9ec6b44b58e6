"""The tool protocol every tool implements: Python functions, shell scripts, MCP tools, skills."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = ["BaseTool", "Tool", "ToolOutput", "ToolSpec", "tool_spec"]

#: Keys of a tool schema that describe the tool rather than its parameters, or that only
#: pollytool reads; they are never sent as part of the parameters schema.
_NON_PARAMETER_KEYS = frozenset({"title", "description", "sandbox", "strict", "$schema"})


@dataclass(slots=True)
class ToolOutput:
    """What a tool returns when plain text is not enough.

    Attributes:
        text: the result the model reads.
        is_error: the tool failed; the model is told so.
        images: optional images as ``(bytes, mime_type)`` pairs.
        data: optional structured result (kept for callers; the model reads ``text``).
    """

    text: str
    is_error: bool = False
    images: list[tuple[bytes, str]] = field(default_factory=list)
    data: Any = None


@runtime_checkable
class Tool(Protocol):
    """A tool the model can call.

    ``schema`` is a JSON schema of the arguments object with ``title`` (the tool's name) and
    ``description``. ``execute`` receives the parsed arguments and returns the result as text
    or as a :class:`ToolOutput`.
    """

    @property
    def name(self) -> str: ...

    @property
    def schema(self) -> dict[str, Any]: ...

    async def execute(self, args: dict[str, Any]) -> str | ToolOutput: ...


class BaseTool(ABC):
    """A convenient base class for tools: implement ``name``, ``schema`` and ``execute``;
    the seed-compatible :meth:`get_schema` comes with it. Subclassing is optional: any object
    with the three members of :class:`Tool` is a tool."""

    @property
    @abstractmethod
    def name(self) -> str:
        """The name the model calls the tool by."""

    @property
    @abstractmethod
    def schema(self) -> dict[str, Any]:
        """JSON schema of the arguments object, with ``title`` and ``description``."""

    @abstractmethod
    async def execute(self, args: dict[str, Any]) -> str | ToolOutput:
        """Run the tool with the parsed arguments."""

    def get_schema(self) -> dict[str, Any]:
        """Alias of :attr:`schema` with the seed's name."""
        return self.schema


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """What providers are told about a tool: its name, description and parameters schema."""

    name: str
    description: str
    parameters: dict[str, Any]


def tool_spec(tool: Tool) -> ToolSpec:
    """The provider-facing description of *tool*.

    ``parameters`` is a new dict (the tool's own schema is never modified) holding the JSON
    schema of the arguments object, with ``type: object`` and ``properties`` always present.
    """
    schema = tool.schema
    params = {k: v for k, v in schema.items() if k not in _NON_PARAMETER_KEYS}
    params.setdefault("type", "object")
    params.setdefault("properties", {})
    description = schema.get("description")
    return ToolSpec(tool.name, description if isinstance(description, str) else "", params)
