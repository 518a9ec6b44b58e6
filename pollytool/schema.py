"""Response schemas for structured (JSON) output: building, validation and parsing."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ._jsonschema import StrictSchemaWarning, check_schema, strip_added_nulls
from .errors import SchemaError, SchemaValidationError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from jsonschema.protocols import Validator
    from pydantic import TypeAdapter

__all__ = ["MAX_REPLY_DEPTH", "Schema", "SchemaFormatWarning", "StrictSchemaWarning"]


class SchemaFormatWarning(UserWarning):
    """A server rejected the ``json_schema`` response format and structured output was asked
    for again in the ``json_object``-with-schema form (OpenAI-compatible servers such as
    llama-cpp-python's; see the local-models guide)."""


#: The deepest nesting of arrays and objects accepted in a reply; deeper replies are a
#: :class:`~pollytool.errors.SchemaValidationError` (no provider produces them for a real schema,
#: and checking them would exhaust the stack).
MAX_REPLY_DEPTH = 64

_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_FENCED = re.compile(r"^\s*```[A-Za-z]*\s*\n(.*?)\s*```\s*$", re.DOTALL)
#: A JSON string or one bracket: enough to measure nesting without parsing.
_NESTING_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


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

    A schema nested too deeply, too large (see :mod:`pollytool._jsonschema`'s limits, counted
    with its ``$ref`` inlined) or referring to a document outside itself raises
    :class:`~pollytool.errors.SchemaError` when the ``Schema`` is made; schemas are never
    fetched. Replies nested more than :data:`MAX_REPLY_DEPTH` levels are refused.

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
        check_schema(self.json_schema, local_refs_only=True)

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
        from referencing import Registry

        cls = validator_for(self.json_schema, default=Draft202012Validator)
        try:
            cls.check_schema(self.json_schema)
        except Exception as exc:
            raise SchemaError(f"the schema {self.name!r} is not valid JSON Schema: {exc}") from exc
        registry: Registry[Any] = Registry(retrieve=_never_fetch)  # type: ignore[call-arg]
        return cls(self.json_schema, registry=registry)

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
        from referencing.exceptions import Unresolvable

        value = self._load(text)
        try:
            problems = sorted(self._validator.iter_errors(value), key=_error_order)
        except Unresolvable as exc:
            raise SchemaError(f"the schema {self.name!r} cannot be used: {exc}") from None
        except RecursionError:
            raise self._failure(["the reply is nested too deeply to check"], text) from None
        errors = [f"{_path(error.absolute_path)}: {error.message}" for error in problems]
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

        value = self._load(text)
        try:
            return self._adapter.validate_python(value)
        except ValidationError as exc:
            errors = [f"{_path(err['loc'])}: {err['msg']}" for err in exc.errors()]
            raise self._failure(errors, text) from None
        except RecursionError:
            raise self._failure(["the reply is nested too deeply to check"], text) from None

    def _load(self, text: str) -> Any:
        """The JSON value of *text* without strict mode's added nulls; a reply that is not
        JSON, or nested more than :data:`MAX_REPLY_DEPTH` levels, raises
        :class:`~pollytool.errors.SchemaValidationError`."""
        fenced = _FENCED.match(text)
        body = fenced.group(1) if fenced else text
        if _nesting_exceeds(body, MAX_REPLY_DEPTH):
            raise self._failure(
                [f"the reply nests arrays and objects more than {MAX_REPLY_DEPTH} levels deep"],
                text,
            )
        try:
            value = json.loads(body)
        except (json.JSONDecodeError, TypeError) as exc:
            raise self._failure([f"the reply is not valid JSON: {exc}"], text) from None
        return strip_added_nulls(value, self.json_schema)

    def _failure(self, errors: list[str], raw: str) -> SchemaValidationError:
        shown = "; ".join(errors[:5]) + (
            f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        )
        return SchemaValidationError(
            f"the reply does not match the schema {self.name!r}: {shown}", errors=errors, raw=raw
        )


def _nesting_exceeds(text: str, limit: int) -> bool:
    """Whether the arrays and objects of JSON *text* nest more than *limit* deep (brackets
    inside strings do not count). Linear, and cheap when there are few brackets."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for token in _tokens(text):
        if token in "[{":
            depth += 1
            if depth > limit:
                return True
        elif token in "]}":
            depth -= 1
    return False


def _tokens(text: str) -> Iterator[str]:
    for match in _NESTING_TOKEN.finditer(text):
        yield match.group()[:1]


def _never_fetch(uri: str) -> Any:
    raise LookupError(f"{uri!r} is not part of the schema; pollytool never fetches schemas")


def _error_order(error: Any) -> list[str]:
    return [str(part) for part in error.absolute_path]


def _path(parts: Any) -> str:
    """A JSON-path-like location: ``$``, ``$.items[2].name``."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
