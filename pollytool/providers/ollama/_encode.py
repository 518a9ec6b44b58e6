"""Turning a :class:`~pollytool.request.CompletionRequest` into an Ollama ``/api/chat`` body.

What goes where:

* ``messages``: every message in order, system messages included. Text parts are joined into
  ``content``; images (:class:`~pollytool.messages.ImagePart` bytes, or ``data:`` URLs) go into
  ``images`` as base64. Assistant messages carry their ``tool_calls`` (arguments as objects) and
  their reasoning as ``thinking``; tool results are role ``tool`` with ``tool_name`` (taken
  from the assistant call with the same id when the message does not name it).
* ``tools``: the tools' full JSON schemas, nothing dropped. ``tool_choice="none"`` sends no
  tools; a tool name sends only that tool. Ollama cannot force a call, so ``"required"`` sends
  all tools like ``"auto"``.
* ``think``: see :func:`think_value`.
* ``format``: the response schema itself (schema-constrained decoding), never the bare
  ``"json"`` mode (which stays reachable as ``provider_options={"format": "json"}``).
* ``options``: ``temperature`` when set, ``num_predict`` from ``max_tokens``, and every
  ``provider_options`` entry (``num_ctx``, ``top_k``, ``top_p``, ``seed``, ``stop``…) except the
  request-level ones in :data:`TOP_LEVEL_OPTIONS` (``keep_alive``, ``format``), which go at the
  top of the body. Request fields win over ``provider_options`` entries of the same name.

Content Ollama cannot take (image URLs it would have to fetch, files) raises
:class:`~pollytool.errors.ConfigurationError` before anything is sent.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from ...errors import ConfigurationError
from ...messages import FilePart, FileURLPart, ImagePart, ImageURLPart, MessageRole
from ...thinking import ThinkingLevel
from ...tools.base import tool_spec

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ...messages import ChatMessage
    from ...request import CompletionRequest, ToolChoice
    from ...thinking import Thinking
    from ...tools.base import Tool

__all__ = [
    "TOP_LEVEL_OPTIONS",
    "build_chat_body",
    "encode_messages",
    "encode_tools",
    "takes_think_levels",
    "think_value",
]

#: ``provider_options`` keys that are fields of the request body, not model ``options``.
TOP_LEVEL_OPTIONS = frozenset({"keep_alive", "format"})

#: Ollama's think levels for each pollytool level.
_THINK_LEVELS: dict[ThinkingLevel, str] = {
    ThinkingLevel.MINIMAL: "low",
    ThinkingLevel.LOW: "low",
    ThinkingLevel.MEDIUM: "medium",
    ThinkingLevel.HIGH: "high",
    ThinkingLevel.XHIGH: "high",
    ThinkingLevel.MAX: "high",
}

#: Model families whose ``think`` takes a level string rather than true/false.
_LEVEL_FAMILIES = ("gpt-oss",)


def build_chat_body(req: CompletionRequest, schema: dict[str, Any] | None) -> dict[str, Any]:
    """The JSON body of ``POST /api/chat`` for *req*; *schema* is the response schema in
    Ollama's dialect (or ``None``)."""
    body: dict[str, Any] = {
        "model": req.model,
        "messages": encode_messages(req.messages),
        "tools": encode_tools(req.tools, req.tool_choice),
        "stream": req.stream,
    }
    think = think_value(req.thinking, req.model)
    if think is not None:
        body["think"] = think
    options: dict[str, Any] = {}
    for key, value in req.provider_options.items():
        (body if key in TOP_LEVEL_OPTIONS else options)[key] = value
    if schema is not None:
        body["format"] = schema
    if req.temperature is not None:
        options["temperature"] = req.temperature
    if req.max_tokens is not None:
        options["num_predict"] = req.max_tokens
    if options:
        body["options"] = options
    return body


# --------------------------------------------------------------------------- thinking


def takes_think_levels(model: str) -> bool:
    """Whether *model* takes ``think`` as a level (``"low"``, ``"medium"``, ``"high"``).

    Ollama has no way to ask a model this, so it is decided by name: the gpt-oss family
    (``gpt-oss:20b``, ``gpt-oss-safeguard``, ``hf.co/<user>/gpt-oss-20b-GGUF``…). Every other
    model takes true/false.
    """
    name = model.rsplit("/", 1)[-1].split(":", 1)[0].lower()
    return name.startswith(_LEVEL_FAMILIES)


def think_value(thinking: Thinking, model: str) -> bool | str | None:
    """The ``think`` field for *thinking*: ``None`` (not sent) for the request default,
    ``False`` for an explicit off, the nearest level for a level or budget on models that take
    levels, else ``True``."""
    if not thinking.enabled:
        return False if thinking.explicit else None
    if thinking.mode in ("level", "budget") and takes_think_levels(model):
        return _THINK_LEVELS[thinking.as_level()]
    return True


# --------------------------------------------------------------------------- tools


def encode_tools(tools: Sequence[Tool], tool_choice: ToolChoice | None) -> list[dict[str, Any]]:
    """The ``tools`` list: each tool's full schema, filtered by *tool_choice*."""
    if tool_choice == "none":
        return []
    specs = [tool_spec(tool) for tool in tools]
    if tool_choice not in (None, "auto", "required"):
        specs = [spec for spec in specs if spec.name == tool_choice]
        if not specs:
            names = ", ".join(tool.name for tool in tools) or "none"
            raise ConfigurationError(
                f"tool_choice names {tool_choice!r}, which is not among the request's tools "
                f"({names})"
            )
    return [
        {
            "type": "function",
            "function": {
                "name": spec.name,
                "description": spec.description,
                "parameters": spec.parameters,
            },
        }
        for spec in specs
    ]


# --------------------------------------------------------------------------- messages


def encode_messages(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """The ``messages`` list, in order."""
    call_names: dict[str, str] = {}
    out: list[dict[str, Any]] = []
    for message in messages:
        entry: dict[str, Any] = {"role": str(message.role), "content": message.text}
        images = _images(message)
        if images:
            entry["images"] = images
        if message.role == MessageRole.ASSISTANT:
            if message.reasoning:
                entry["thinking"] = message.reasoning
            if message.tool_calls:
                entry["tool_calls"] = [
                    {"function": {"name": call.name, "arguments": call.args}}
                    for call in message.tool_calls
                ]
                call_names.update((call.id, call.name) for call in message.tool_calls)
        elif message.role == MessageRole.TOOL:
            name = message.tool_name or call_names.get(message.tool_call_id, "")
            if name:
                entry["tool_name"] = name
        out.append(entry)
    return out


def _images(message: ChatMessage) -> list[str]:
    """The message's images as base64 (text parts are already in ``content``)."""
    images: list[str] = []
    for part in message.parts:
        if isinstance(part, ImagePart):
            images.append(base64.b64encode(part.data).decode("ascii"))
        elif isinstance(part, ImageURLPart):
            images.append(_data_url_base64(part.url))
        elif isinstance(part, FilePart | FileURLPart):
            raise ConfigurationError(
                "Ollama does not accept files; put the document's text in the message instead"
            )
    return images


def _data_url_base64(url: str) -> str:
    head, sep, data = url.partition(",")
    if not (url.startswith("data:") and sep and head.endswith(";base64")):
        shown = url if len(url) <= 80 else url[:77] + "..."
        raise ConfigurationError(
            f"Ollama cannot fetch image URLs ({shown}); download the image and pass its bytes "
            "as ImagePart(data, mime_type)"
        )
    try:
        base64.b64decode(data, validate=True)
    except binascii.Error:
        raise ConfigurationError("an image data: URL does not hold valid base64") from None
    return data
