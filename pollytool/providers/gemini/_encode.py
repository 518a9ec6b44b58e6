"""A :class:`~pollytool.request.CompletionRequest` as the wire JSON of ``generateContent``.

* The conversation → ``contents`` and ``systemInstruction`` (see
  :mod:`pollytool.providers.gemini._contents`).
* ``temperature`` and ``max_tokens`` → ``generationConfig.temperature`` and
  ``maxOutputTokens`` (only when set).
* ``thinking`` → ``generationConfig.thinkingConfig`` (see
  :mod:`pollytool.providers.gemini._thinking`).
* ``tools`` → one ``tools`` entry of ``functionDeclarations`` whose ``parametersJsonSchema`` is
  the tool's schema in Gemini's dialect (``_dialect.to_gemini``; the tool's own schema is
  never changed).
* ``tool_choice`` → ``toolConfig.functionCallingConfig``: ``"auto"`` → ``AUTO``, ``"none"`` →
  ``NONE``, ``"required"`` → ``ANY``, a tool name → ``ANY`` limited to that function.
* ``response_schema`` → ``responseMimeType: "application/json"`` and ``responseJsonSchema``
  (in Gemini's dialect), streaming as usual.
* ``provider_options`` → any further ``GenerateContentConfig`` fields, by their google-genai
  names (``safety_settings``, ``top_p``, ``seed``…), checked by the SDK's model and written in
  their wire form; they are applied last. Request-level ones (``safety_settings``,
  ``cached_content``, ``labels``…) go to the top of the body, the others into
  ``generationConfig``.

Nothing runs tools on the SDK's side: the body is sent as it is, so one request is one
response and the caller (or :class:`~pollytool.llm.agent.Agent`) runs tools.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import ConfigurationError
from ...tools.base import tool_spec
from ._contents import encode_contents
from ._dialect import to_gemini
from ._thinking import thinking_config

if TYPE_CHECKING:
    from ...request import CompletionRequest

__all__ = ["encode_request"]

#: ``functionCallingConfig.mode`` for each ``tool_choice`` keyword.
_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY"}

#: ``GenerateContentConfig`` fields (in wire form) that belong to the request itself rather
#: than to its ``generationConfig``.
_REQUEST_LEVEL = frozenset(
    {"systemInstruction", "safetySettings", "tools", "toolConfig", "labels", "cachedContent",
     "serviceTier", "continuationToken", "store"}
)  # fmt: skip

#: ``GenerateContentConfig`` fields that steer the SDK itself and are never sent.
_SDK_ONLY = frozenset(
    {"httpOptions", "automaticFunctionCalling", "automaticContinuation",
     "shouldReturnHttpResponse"}
)  # fmt: skip


def encode_request(req: CompletionRequest) -> dict[str, Any]:
    """The JSON body of ``generateContent`` / ``streamGenerateContent`` for *req*."""
    contents, system = encode_contents(req.messages)
    body: dict[str, Any] = {"contents": contents}
    if system is not None:
        body["systemInstruction"] = {"parts": [{"text": system}]}
    generation: dict[str, Any] = {}
    if req.temperature is not None:
        generation["temperature"] = req.temperature
    if req.max_tokens is not None:
        generation["maxOutputTokens"] = req.max_tokens
    thinking = thinking_config(req.model, req.thinking)
    if thinking is not None:
        generation["thinkingConfig"] = thinking
    if req.tools:
        body.update(_tools(req))
    if req.response_schema is not None:
        generation["responseMimeType"] = "application/json"
        generation["responseJsonSchema"] = to_gemini(req.response_schema.json_schema)
    if req.provider_options:
        for key, value in _provider_options(req.provider_options).items():
            (body if key in _REQUEST_LEVEL else generation)[key] = value
    if generation:
        body["generationConfig"] = generation
    return body


def _provider_options(options: dict[str, Any]) -> dict[str, Any]:
    """*options* (``GenerateContentConfig`` fields) checked by the SDK's model and written as
    wire JSON (camelCase names, bytes as base64)."""
    import pydantic
    from google.genai import types

    try:
        config = types.GenerateContentConfig(**options)
    except pydantic.ValidationError as exc:
        raise ConfigurationError(f"invalid Gemini settings in provider_options: {exc}") from None
    wire = config.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_unset=True)
    return {key: value for key, value in wire.items() if key not in _SDK_ONLY}


def _tools(req: CompletionRequest) -> dict[str, Any]:
    specs = [tool_spec(t) for t in req.tools]
    declarations = []
    for spec in specs:
        declaration: dict[str, Any] = {"name": spec.name}
        if spec.description:
            declaration["description"] = spec.description
        declaration["parametersJsonSchema"] = to_gemini(spec.parameters)
        declarations.append(declaration)
    fields: dict[str, Any] = {"tools": [{"functionDeclarations": declarations}]}
    choice = req.tool_choice
    if choice is None:
        return fields
    calling: dict[str, Any]
    if choice in _MODES:
        calling = {"mode": _MODES[choice]}
    elif any(spec.name == choice for spec in specs):
        calling = {"mode": "ANY", "allowedFunctionNames": [choice]}
    else:
        names = ", ".join(spec.name for spec in specs)
        raise ConfigurationError(
            f"tool_choice {choice!r} is neither auto, none, required nor one of the "
            f"request's tools ({names})"
        )
    fields["toolConfig"] = {"functionCallingConfig": calling}
    return fields
