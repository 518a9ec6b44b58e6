"""Response schemas for structured (JSON) output."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from ..errors import SchemaError

__all__ = ["Schema"]


@dataclass(frozen=True, slots=True)
class Schema:
    """A JSON schema the model's reply must follow.

    Build it from a JSON-schema dict or from a Python type (a Pydantic model, a dataclass or a
    TypedDict)::

        Schema({"type": "object", "properties": {"name": {"type": "string"}}})
        Schema.from_type(UserInfo)

    Attributes:
        json_schema: the schema as a dict (never mutated; adapters convert copies).
        name: the name providers show the model (letters, digits, ``_`` and ``-``).
        description: optional description of what the output is.
        strict: ask for strict, schema-constrained decoding where the provider offers it.
        python_type: the type it was built from, used to parse the result; ``None`` for dicts.
    """

    json_schema: dict[str, Any]
    name: str = "response"
    description: str | None = None
    strict: bool = True
    python_type: Any = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.json_schema, dict):
            raise SchemaError(
                f"a schema must be a JSON-schema dict, got {type(self.json_schema).__name__}; "
                "use Schema.from_type() for Python types"
            )

    @property
    def raw(self) -> dict[str, Any]:
        """The schema dict (the seed's ``Schema.Raw``)."""
        return self.json_schema

    def copy_schema(self) -> dict[str, Any]:
        """A deep copy of the schema dict, safe to modify."""
        return copy.deepcopy(self.json_schema)

    @classmethod
    def from_dict(
        cls,
        schema: dict[str, Any],
        *,
        name: str = "response",
        description: str | None = None,
        strict: bool = True,
    ) -> Schema:
        return cls(schema, name=name, description=description, strict=strict)

    @classmethod
    def from_type(
        cls,
        tp: Any,
        *,
        name: str | None = None,
        description: str | None = None,
        strict: bool = True,
    ) -> Schema:
        """Build a schema from a Pydantic model, a dataclass, a TypedDict or any type
        Pydantic understands. The name defaults to the type's name."""
        if isinstance(tp, Schema):
            return tp
        if isinstance(tp, dict):
            return cls.from_dict(tp, name=name or "response", description=description,
                                 strict=strict)  # fmt: skip
        from pydantic import TypeAdapter

        try:
            json_schema = TypeAdapter(tp).json_schema()
        except Exception as exc:
            raise SchemaError(f"cannot build a JSON schema from {tp!r}: {exc}") from exc
        type_name = getattr(tp, "__name__", None) or "response"
        doc = description or json_schema.get("description")
        return cls(json_schema, name=name or type_name, description=doc, strict=strict,
                   python_type=tp)  # fmt: skip
