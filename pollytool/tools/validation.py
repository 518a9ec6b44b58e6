"""Check tool-call arguments against a tool's JSON schema before the tool runs.

The messages are written for the model: they say which argument is wrong and how, so it can
call again with better arguments. ``jsonschema`` is imported on first use. A schema that refers
to another document is never fetched: using it raises :class:`~pollytool.errors.ToolError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ToolArgumentsError, ToolError

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

__all__ = ["ArgumentsValidator"]

#: At most this many problems are listed; the model fixes them and may learn of more later.
_MAX_PROBLEMS = 10
#: Long messages (jsonschema repeats the offending value) are cut to this many characters.
_MAX_PROBLEM_CHARS = 300


class ArgumentsValidator:
    """Validates argument objects against one tool's schema (the validator is built once).

    The schema's own ``$schema`` picks the JSON Schema draft; without one, draft 2020-12 is
    used.
    """

    __slots__ = ("_schema", "_tool_name", "_validator")

    def __init__(self, tool_name: str, schema: dict[str, Any]) -> None:
        self._tool_name = tool_name
        self._schema = schema
        self._validator: Validator | None = None

    def validate(self, args: dict[str, Any]) -> None:
        """Raise :class:`~pollytool.errors.ToolArgumentsError` listing what is wrong."""
        from referencing.exceptions import Unresolvable

        if self._validator is None:
            from jsonschema.validators import Draft202012Validator, validator_for
            from referencing import Registry

            cls = validator_for(self._schema, default=Draft202012Validator)
            registry: Registry[Any] = Registry(retrieve=_never_fetch)  # type: ignore[call-arg]
            self._validator = cls(self._schema, registry=registry)
        try:
            errors = sorted(self._validator.iter_errors(args), key=lambda e: e.json_path)
        except Unresolvable as exc:
            raise ToolError(
                f"tool {self._tool_name!r} cannot check its arguments: its schema refers to "
                f"{exc.ref!r}, which is not part of it (schemas are never fetched)",
                tool_name=self._tool_name,
            ) from None
        if not errors:
            return
        problems = [_describe(error.json_path, error.message) for error in errors]
        if len(problems) > _MAX_PROBLEMS:
            problems = [*problems[:_MAX_PROBLEMS], f"and {len(problems) - _MAX_PROBLEMS} more"]
        raise ToolArgumentsError(
            f"invalid arguments for tool {self._tool_name!r}: {'; '.join(problems)}",
            tool_name=self._tool_name,
        )


def _never_fetch(uri: str) -> Any:
    raise LookupError(f"{uri!r} is not part of the schema")


def _describe(path: str, message: str) -> str:
    if len(message) > _MAX_PROBLEM_CHARS:
        message = message[: _MAX_PROBLEM_CHARS - 1] + "…"
    return message if path == "$" else f"{path.removeprefix('$.')}: {message}"
