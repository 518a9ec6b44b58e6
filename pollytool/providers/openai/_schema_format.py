"""How structured output is asked of a Chat Completions server: ``json_schema`` or
``json_object``.

OpenAI and most compatible servers (vLLM, LM Studio, Ollama's ``/v1``) take
``response_format: {"type": "json_schema", ...}``. Some (llama-cpp-python's server) reject it
and take ``{"type": "json_object", "schema": {...}}`` instead, which they enforce with a
grammar. ``provider_options={"schema_format": "json_object"}`` asks for the second form; by
default a server other than api.openai.com that rejects the first is asked again once in the
second form, with a :class:`~pollytool.schema.SchemaFormatWarning`, and the client remembers
the answer for that base URL.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import TYPE_CHECKING, Any, Literal

from ...errors import ConfigurationError
from ...schema import SchemaFormatWarning

if TYPE_CHECKING:
    from ...request import CompletionRequest

__all__ = [
    "SCHEMA_FORMAT_OPTION",
    "SchemaFormat",
    "SchemaFormats",
    "json_object_format",
    "rejects_json_schema",
    "requested_format",
]

#: The ``provider_options`` key that picks the form (``"json_schema"`` or ``"json_object"``).
SCHEMA_FORMAT_OPTION = "schema_format"

SchemaFormat = Literal["json_schema", "json_object"]
_FORMATS: tuple[SchemaFormat, ...] = ("json_schema", "json_object")
#: Statuses a server answers an unsupported ``response_format`` with (llama-cpp-python: 500).
_REJECTION_STATUSES = frozenset({400, 422, 500})
#: How many base URLs a client remembers the answer for.
_MAX_REMEMBERED = 64


def requested_format(req: CompletionRequest) -> SchemaFormat | None:
    """The form *req* asks for in ``provider_options``, or ``None`` to choose automatically."""
    value = req.provider_options.get(SCHEMA_FORMAT_OPTION)
    if value is None:
        return None
    if value not in _FORMATS:
        raise ConfigurationError(
            f"provider_options[{SCHEMA_FORMAT_OPTION!r}] must be 'json_schema' or "
            f"'json_object', got {value!r}"
        )
    chosen: SchemaFormat = value
    return chosen


def json_object_format(params: dict[str, Any]) -> dict[str, Any]:
    """*params* (a Chat body with a ``json_schema`` response format) with the
    ``json_object``-with-``schema`` form instead."""
    schema = params["response_format"]["json_schema"]["schema"]
    return {**params, "response_format": {"type": "json_object", "schema": schema}}


def rejects_json_schema(exc: Exception) -> bool:
    """Whether *exc* is a server refusing the ``json_schema`` response format."""
    import openai

    if not isinstance(exc, openai.APIStatusError):
        return False
    if exc.status_code not in _REJECTION_STATUSES:
        return False
    text = f"{exc.message} {exc.body}"
    return "response_format" in text or "json_schema" in text


@dataclasses.dataclass
class SchemaFormats:
    """What each base URL turned out to accept (the client's memory)."""

    _known: dict[str | None, SchemaFormat] = dataclasses.field(default_factory=dict)

    def get(self, base_url: str | None) -> SchemaFormat | None:
        """The form *base_url* is known to accept, or ``None`` when it was never asked."""
        return self._known.get(base_url)

    def remember(self, base_url: str | None, form: SchemaFormat) -> None:
        """Note that *base_url* accepts *form*."""
        self._known.pop(base_url, None)
        self._known[base_url] = form
        if len(self._known) > _MAX_REMEMBERED:
            del self._known[next(iter(self._known))]

    def fall_back(self, base_url: str | None) -> None:
        """Note that *base_url* rejected ``json_schema``, and warn once about it."""
        self.remember(base_url, "json_object")
        warnings.warn(
            "the server rejected response_format 'json_schema'; structured output now uses "
            "'json_object' with the schema for this base URL (set provider_options="
            "{'schema_format': 'json_object'} to ask for it directly)",
            SchemaFormatWarning,
            stacklevel=2,
        )
