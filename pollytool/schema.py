"""Response schemas for structured (JSON) output: building, validation and parsing."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ._jsonschema import StrictSchemaWarning, strip_added_nulls
from .errors import SchemaError, SchemaValidationError

if TYPE_CHECKING:
    from jsonschema.protocols import Validator
    from pydantic import TypeAdapter

__all__ = ["Schema", "StrictSchemaWarning"]

_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_FENCED = re.compile(r"^\s*```[A-Za-z]*\s*\n(.*?)\s*```\s*$", re.DOTALL)


def _safe_name(raw: str) -> str:
    """*raw* reduced to the letters, digits, ``_`` and ``-`` providers accept (max 64)."""
    return _NAME_UNSAFE.sub("_", raw).strip("_")[:64] or "response"


@dataclass(frozen=True)
class Schema:
    """A JSON schema the model's reply must follow.

    Build it from a JSON-schema dict or from a Python type (a Pydantic model, a dataclass or a
    TypedDict)::

        Schema({"type": "object", "properties": {"name": {"type": "string"}}})
        Schema.from_type(UserInfo)

    It validates and parses replies (:meth:`validate`, :meth:`parse`). Each adapter converts
    a copy into its provider's dialect of JSON Schema when it sends the request.

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
        """A schema from a JSON-schema dict (kept as given; validated with jsonschema)."""
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
        Pydantic understands (``list[Item]``…); replies then parse into that type.

        The name defaults to the type's name, the description to its docstring. A
        :class:`Schema` is returned as it is and a dict goes to :meth:`from_dict`.
        """
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
        type_name = _safe_name(getattr(tp, "__name__", None) or "response")
        doc = description or json_schema.get("description")
        return cls(json_schema, name=name or type_name, description=doc, strict=strict,
                   python_type=tp)  # fmt: skip

    # ------------------------------------------------------------------ validation

    @cached_property
    def _validator(self) -> Validator:
        from jsonschema import Draft202012Validator
        from jsonschema.validators import validator_for

        cls = validator_for(self.json_schema, default=Draft202012Validator)
        try:
            cls.check_schema(self.json_schema)
        except Exception as exc:
            raise SchemaError(f"the schema {self.name!r} is not valid JSON Schema: {exc}") from exc
        return cls(self.json_schema)

    @cached_property
    def _adapter(self) -> TypeAdapter[Any]:
        from pydantic import TypeAdapter

        return TypeAdapter(self.python_type)

    def validate(self, text: str) -> Any:
        """Parse *text* as JSON (a Markdown code fence around it is allowed) and check it
        against the schema; return the JSON value.

        ``null`` values that strict mode forces into optional properties are removed first
        (OpenAI strict mode sends ``null`` for a property it was told is optional). Raises
        :class:`~pollytool.errors.SchemaValidationError` with the list of problems and the raw
        text when the text is not JSON or does not match.
        """
        try:
            value = _load(text)
        except (json.JSONDecodeError, TypeError) as exc:
            raise self._failure([f"the reply is not valid JSON: {exc}"], text) from None
        value = strip_added_nulls(value, self.json_schema)
        errors = [
            f"{_path(error.absolute_path)}: {error.message}"
            for error in sorted(self._validator.iter_errors(value), key=_error_order)
        ]
        if errors:
            raise self._failure(errors, text)
        return value

    def parse(self, text: str) -> Any:
        """Validate *text* and return the result as the schema's Python type: a Pydantic
        model instance, a dataclass instance, a TypedDict (dict)… or, for a dict schema,
        the JSON value. Raises :class:`~pollytool.errors.SchemaValidationError`."""
        if self.python_type is None:
            return self.validate(text)
        from pydantic import ValidationError

        try:
            value = _load(text)
        except (json.JSONDecodeError, TypeError) as exc:
            raise self._failure([f"the reply is not valid JSON: {exc}"], text) from None
        value = strip_added_nulls(value, self.json_schema)
        try:
            return self._adapter.validate_python(value)
        except ValidationError as exc:
            errors = [f"{_path(err['loc'])}: {err['msg']}" for err in exc.errors()]
            raise self._failure(errors, text) from None

    def _failure(self, errors: list[str], raw: str) -> SchemaValidationError:
        shown = "; ".join(errors[:5]) + (
            f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        )
        return SchemaValidationError(
            f"the reply does not match the schema {self.name!r}: {shown}", errors=errors, raw=raw
        )


def _load(text: str) -> Any:
    """JSON *text*, also when wrapped in a Markdown code fence."""
    fenced = _FENCED.match(text)
    return json.loads(fenced.group(1) if fenced else text)


def _error_order(error: Any) -> list[str]:
    return [str(part) for part in error.absolute_path]


def _path(parts: Any) -> str:
    """A JSON-path-like location: ``$``, ``$.items[2].name``."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
