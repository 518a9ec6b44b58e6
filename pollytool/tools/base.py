"""The tool protocol every tool implements: Python functions, shell scripts, MCP tools, skills."""

from __future__ import annotations

import dataclasses
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "BaseTool",
    "Tool",
    "ToolOutput",
    "ToolSpec",
    "image_mime_type",
    "tool_output",
    "tool_result_text",
    "tool_spec",
]

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


# --------------------------------------------------------------------------- results

#: Leading bytes of the image formats every provider accepts.
_IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def image_mime_type(data: bytes) -> str | None:
    """The MIME type of *data* when it is a PNG, JPEG, GIF or WebP image, else ``None``."""
    for signature, mime in _IMAGE_SIGNATURES:
        if data.startswith(signature):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def tool_output(value: object) -> str | ToolOutput:
    """What the model is given for a tool's return *value*.

    Text stays text and a :class:`ToolOutput` stays as it is (its ``text`` made a string).
    Bytes holding a PNG, JPEG, GIF or WebP image become a :class:`ToolOutput` carrying the
    image; other bytes are decoded as UTF-8, and bytes that are neither become an error
    result saying so. Any other value becomes JSON text (see :func:`tool_result_text`).
    """
    if isinstance(value, str):
        return value
    if isinstance(value, ToolOutput):
        text: object = value.text  # a hand-made ToolOutput may hold bytes or data
        return value if isinstance(text, str) else dataclasses.replace(value, text=_text_of(text))
    if isinstance(value, bytes | bytearray | memoryview):
        return _binary_output(bytes(value))
    return tool_result_text(value)


def _text_of(value: object) -> str:
    output = tool_output(value)
    return output if isinstance(output, str) else output.text


def _binary_output(data: bytes) -> str | ToolOutput:
    mime = image_mime_type(data)
    if mime is not None:
        return ToolOutput(f"(the tool returned an image: {mime}, {len(data)} bytes)",
                          images=[(data, mime)])  # fmt: skip
    try:
        return data.decode()
    except UnicodeDecodeError:
        return ToolOutput(
            f"the tool returned {len(data)} bytes of binary data that is neither UTF-8 text "
            "nor a PNG, JPEG, GIF or WebP image",
            is_error=True,
        )


def tool_result_text(value: object) -> str:
    """The text the model reads for a tool's return *value*: strings as they are, anything
    else as compact JSON (Pydantic models, dataclasses, enums, dates and sets included;
    what JSON cannot express falls back to ``str()``). Never raises for odd values."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        from pydantic_core import PydanticSerializationError, to_json

        try:
            return to_json(value, fallback=str).decode()
        except (PydanticSerializationError, ValueError):
            return str(value)
