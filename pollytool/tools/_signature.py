"""Turn a Python function's signature and docstring into a tool's arguments schema.

Pydantic does the type work (it is imported here, on first use, never by ``import pollytool``):
each parameter becomes a field of a generated model whose JSON schema is the tool's schema and
whose validation converts JSON arguments into the Python values the function expects (enum
members, dataclass and Pydantic model instances, …).
"""

from __future__ import annotations

import functools
import inspect
import re
import typing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ToolArgumentsError, ToolError

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydantic import BaseModel

__all__ = ["Docstring", "FunctionArguments", "describe_function", "parse_docstring"]

#: Google-style section headers; the description is the text before the first of them.
_SECTION = re.compile(
    r"^(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Other Parameters|"
    r"Returns?|Yields?|Raises|Examples?|Notes?|Attributes|Warnings?|See Also|Todo|References)"
    r"\s*:\s*$"
)
_ARG_SECTIONS = frozenset(
    {"Args", "Arguments", "Parameters", "Params", "Keyword Args", "Keyword Arguments"}
)
#: ``name: text`` or ``name (type): text`` at the start of an argument entry.
_ARG_ENTRY = re.compile(r"^\*{0,2}(?P<name>\w+)\s*(?:\([^)]*\))?\s*:\s*(?P<text>.*)$")


@dataclass(frozen=True, slots=True)
class Docstring:
    """What a Google-style docstring says: the description and one text per parameter."""

    description: str = ""
    params: dict[str, str] = field(default_factory=dict)


def parse_docstring(doc: str | None) -> Docstring:
    """Read a Google-style docstring.

    The description is everything before the first section header (``Args:``,
    ``Returns:``, …). Entries of an ``Args:`` section (``name: text`` or
    ``name (type): text``, continued on more-indented lines) become parameter descriptions.
    """
    if not doc:
        return Docstring()
    lines = inspect.cleandoc(doc).splitlines()
    description: list[str] = []
    params: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    entry_indent: int | None = None
    for line in lines:
        header = _SECTION.match(line)
        if header is not None:
            section, current, entry_indent = header.group(1), None, None
            continue
        if section is None:
            description.append(line)
            continue
        if section not in _ARG_SECTIONS or not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if entry_indent is None:
            entry_indent = indent
        entry = _ARG_ENTRY.match(line.strip()) if indent <= entry_indent else None
        if entry is not None:
            current = entry.group("name")
            params[current] = entry.group("text").strip()
        elif current is not None:
            params[current] = f"{params[current]} {line.strip()}".strip()
    return Docstring("\n".join(description).strip(), params)


@dataclass(frozen=True, slots=True)
class FunctionArguments:
    """A function's arguments as a tool sees them.

    Attributes:
        schema: JSON schema of the arguments object (``title``, ``description``,
            ``properties``, ``required``, ``additionalProperties: false``, ``$defs``).
        model: the generated Pydantic model that converts JSON arguments to Python values.
        fields: ``(field name, parameter name)`` pairs of the model, in signature order.
    """

    schema: dict[str, Any]
    model: type[BaseModel]
    fields: tuple[tuple[str, str], ...]

    def convert(self, tool_name: str, args: dict[str, Any]) -> dict[str, Any]:
        """Keyword arguments for the function from already schema-checked JSON *args*."""
        from pydantic import ValidationError

        try:
            values = self.model.model_validate(args)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(arguments)'}: {err['msg']}"
                for err in exc.errors()
            )
            raise ToolArgumentsError(
                f"invalid arguments for tool {tool_name!r}: {problems}", tool_name=tool_name
            ) from None
        return {param: getattr(values, name) for name, param in self.fields}


def describe_function(
    func: Callable[..., Any], name: str, description: str | None
) -> FunctionArguments:
    """Build the arguments schema and converter of *func*, published as tool *name*.

    Parameters without a type hint accept any JSON value. ``*args``, ``**kwargs`` and
    positional-only parameters cannot be filled from a JSON object and are refused with a
    :class:`~pollytool.errors.ToolError`, as are types Pydantic cannot describe.
    """
    from pydantic import ConfigDict, Field, create_model

    docstring = parse_docstring(inspect.getdoc(func))
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except Exception as exc:
        raise ToolError(
            f"cannot read the type hints of tool {name!r}: {exc}", tool_name=name
        ) from exc
    definitions: dict[str, Any] = {}
    fields: list[tuple[str, str]] = []
    for position, param in enumerate(inspect.signature(func).parameters.values()):
        if param.kind not in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
            raise ToolError(
                f"tool {name!r}: parameter {param.name!r} is {param.kind.description}; "
                "tool functions take named parameters only",
                tool_name=name,
            )
        # Field names are neutral so parameters such as ``schema`` or ``copy`` cannot clash
        # with BaseModel attributes; the parameter name is the alias the model sees.
        field_name = f"p{position}"
        default = ... if param.default is param.empty else param.default
        definitions[field_name] = (
            hints.get(param.name, Any),
            Field(default, alias=param.name, description=docstring.params.get(param.name)),
        )
        fields.append((field_name, param.name))
    try:
        model = create_model("Arguments", __config__=ConfigDict(extra="forbid"), **definitions)
        generated = model.model_json_schema(schema_generator=_schema_generator())
    except Exception as exc:
        raise ToolError(f"cannot build a schema for tool {name!r}: {exc}", tool_name=name) from exc
    generated.pop("title", None)
    summary = docstring.description if description is None else description
    schema: dict[str, Any] = {"title": name, "description": summary, "type": "object"}
    schema["properties"] = generated.pop("properties", {})
    schema.update(generated)  # required, additionalProperties, $defs
    return FunctionArguments(schema, model, tuple(fields))


@functools.cache
def _schema_generator() -> type[Any]:
    """A Pydantic schema generator that leaves out the per-field ``title`` noise."""
    from pydantic.json_schema import GenerateJsonSchema

    class _WithoutFieldTitles(GenerateJsonSchema):
        def field_title_should_be_set(self, schema: Any) -> bool:
            return False

    return _WithoutFieldTitles
