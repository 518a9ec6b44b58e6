"""Request pieces both OpenAI APIs encode the same way: tools, thinking, inline data, options."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...errors import ConfigurationError
from ...messages import ChatMessage, TextPart
from ...thinking import Thinking
from ...tools.base import tool_spec
from ._dialect import is_openai_strict_compatible, to_openai_strict
from ._schema_format import SCHEMA_FORMAT_OPTION

if TYPE_CHECKING:
    from openai import RequestOptions

    from ...request import CompletionRequest
    from ...schema import Schema

__all__ = [
    "API_OPTION",
    "FunctionTool",
    "call_options",
    "data_url",
    "function_tools",
    "output_schema",
    "reasoning_effort",
    "require_call_id",
    "text_only",
    "tool_choice",
    "with_extras",
]

#: The ``provider_options`` key that picks the API (``"responses"`` or ``"chat"``).
API_OPTION = "api"
#: ``provider_options`` keys the adapter reads itself (the rest go into the body).
_OWN_OPTIONS = frozenset({API_OPTION, SCHEMA_FORMAT_OPTION})


@dataclass(frozen=True, slots=True)
class FunctionTool:
    """One function tool as both APIs describe it."""

    name: str
    description: str
    parameters: dict[str, Any]
    strict: bool


def function_tools(req: CompletionRequest) -> list[FunctionTool]:
    """The request's tools. A tool is strict when its parameters schema already satisfies
    OpenAI strict mode (every object closed, every property required); otherwise it is sent
    non-strict, unchanged, because making it strict would change what the tool accepts."""
    tools = []
    for tool in req.tools:
        spec = tool_spec(tool)
        strict = is_openai_strict_compatible(spec.parameters)
        tools.append(FunctionTool(spec.name, spec.description, spec.parameters, strict))
    return tools


def tool_choice(choice: str, forced: Callable[[str], dict[str, Any]]) -> str | dict[str, Any]:
    """``auto``/``none``/``required`` as they are; a tool name as *forced*(name), the
    API's own shape for "call this function"."""
    return choice if choice in ("auto", "none", "required") else forced(choice)


def output_schema(schema: Schema) -> tuple[dict[str, Any], bool]:
    """The JSON schema to send for structured output and whether it is strict: with
    ``schema.strict`` it is converted to OpenAI's strict dialect (optional properties become
    required and nullable), unless strict mode cannot express it, in which case it goes
    non-strict as it is (with a :class:`~pollytool._jsonschema.StrictSchemaWarning`)."""
    if not schema.strict:
        return schema.json_schema, False
    return to_openai_strict(schema.json_schema)


def reasoning_effort(thinking: Thinking) -> str | None:
    """The ``reasoning_effort`` / ``reasoning.effort`` value for *thinking*, or ``None`` to send
    none: thinking off (explicit or default) and dynamic thinking send no effort; a budget maps
    to the nearest level."""
    if thinking.mode in ("level", "budget"):
        return thinking.as_level().value
    return None


def data_url(data: bytes, mime_type: str) -> str:
    """``data:<mime>;base64,<data>`` for inline images and files."""
    return f"data:{mime_type};base64,{base64.b64encode(data).decode('ascii')}"


def text_only(msg: ChatMessage) -> str:
    """The text of a system or assistant message, which cannot carry images or files."""
    if any(not isinstance(p, TextPart) for p in msg.parts):
        raise ConfigurationError(
            f"OpenAI takes only text in {msg.role} messages; move images and files into a "
            "user message"
        )
    return msg.text


def require_call_id(tool_call_id: str) -> str:
    """A tool message must name the call it answers; both APIs reject it otherwise."""
    if not tool_call_id:
        raise ConfigurationError(
            "a tool message needs tool_call_id (the id of the tool call it answers); "
            "build it with ChatMessage.tool_result(call.id, ...)"
        )
    return tool_call_id


def call_options(req: CompletionRequest) -> RequestOptions:
    """Per-call SDK request options (``client.post(..., options=...)``): the request timeout,
    and the key sent as a bearer token (as the SDK's own ``create`` methods do)."""
    options: RequestOptions = {"security": {"bearer_auth": True}}
    if req.timeout is not None:
        options["timeout"] = req.timeout
    return options


def with_extras(body: dict[str, Any], req: CompletionRequest) -> dict[str, Any]:
    """*body* with every ``provider_options`` key except ``"api"`` and ``"schema_format"``
    merged in verbatim, after pollytool's own fields, so it can add a field pollytool does not
    know (``service_tier``, ``parallel_tool_calls``, ``verbosity``, ``top_p``…) or replace one
    it computed."""
    body.update((k, v) for k, v in req.provider_options.items() if k not in _OWN_OPTIONS)
    return body
