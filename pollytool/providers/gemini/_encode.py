"""A :class:`~pollytool.request.CompletionRequest` as ``contents`` and a
``GenerateContentConfig``.

* ``temperature`` and ``max_tokens`` → ``temperature`` and ``max_output_tokens`` (only when set).
* ``thinking`` → ``thinking_config`` (see :mod:`pollytool.providers.gemini._thinking`).
* ``tools`` → one ``Tool`` of ``function_declarations`` whose ``parameters_json_schema`` is the
  tool's schema in Gemini's dialect (``_dialect.to_gemini``; the tool's own
  schema is never changed).
* ``tool_choice`` → ``tool_config``: ``"auto"`` → ``AUTO``, ``"none"`` → ``NONE``,
  ``"required"`` → ``ANY``, a tool name → ``ANY`` limited to that function.
* ``response_schema`` → ``response_mime_type="application/json"`` and
  ``response_json_schema`` (in Gemini's dialect), streaming as usual.
* ``provider_options`` → any further ``GenerateContentConfig`` fields (``safety_settings``,
  ``top_p``, ``seed``…); they are applied last.

The SDK's automatic function calling and automatic continuation are always off: the caller
(or :class:`~pollytool.llm.agent.Agent`) runs tools, and one request is one response.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import ConfigurationError
from ...tools.base import tool_spec
from ._contents import encode_contents
from ._dialect import to_gemini
from ._thinking import thinking_config

if TYPE_CHECKING:
    from google.genai import types

    from ...request import CompletionRequest

__all__ = ["encode_request"]

#: ``FunctionCallingConfig.mode`` for each ``tool_choice`` keyword.
_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY"}


def encode_request(
    req: CompletionRequest, http_options: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], types.GenerateContentConfig]:
    """The ``contents`` and ``config`` for ``generate_content(_stream)``; *http_options*
    are the fields of a per-request ``types.HttpOptions``. Needs the SDK imported (the client
    is built first)."""
    import pydantic
    from google.genai import types

    contents, system = encode_contents(req.messages)
    fields: dict[str, Any] = {
        "automatic_function_calling": {"disable": True},
        "automatic_continuation": False,
        "system_instruction": system,
        "temperature": req.temperature,
        "max_output_tokens": req.max_tokens,
        "thinking_config": thinking_config(req.model, req.thinking),
        "http_options": http_options,
    }
    if req.tools:
        fields.update(_tools(req))
    if req.response_schema is not None:
        fields["response_mime_type"] = "application/json"
        fields["response_json_schema"] = to_gemini(req.response_schema.json_schema)
    fields.update(req.provider_options)
    try:
        config = types.GenerateContentConfig(**fields)
    except pydantic.ValidationError as exc:
        raise ConfigurationError(f"invalid Gemini settings in provider_options: {exc}") from None
    return contents, config


def _tools(req: CompletionRequest) -> dict[str, Any]:
    specs = [tool_spec(t) for t in req.tools]
    declarations = [
        {
            "name": spec.name,
            "description": spec.description or None,
            "parameters_json_schema": to_gemini(spec.parameters),
        }
        for spec in specs
    ]
    fields: dict[str, Any] = {"tools": [{"function_declarations": declarations}]}
    choice = req.tool_choice
    if choice is None:
        return fields
    calling: dict[str, Any]
    if choice in _MODES:
        calling = {"mode": _MODES[choice]}
    elif any(spec.name == choice for spec in specs):
        calling = {"mode": "ANY", "allowed_function_names": [choice]}
    else:
        names = ", ".join(spec.name for spec in specs)
        raise ConfigurationError(
            f"tool_choice {choice!r} is neither auto, none, required nor one of the "
            f"request's tools ({names})"
        )
    fields["tool_config"] = {"function_calling_config": calling}
    return fields
