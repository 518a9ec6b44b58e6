"""A conversation as Gemini ``contents`` plus its ``systemInstruction`` (wire JSON).

* Every system message, wherever it stands, is joined (blank line between) into the
  ``systemInstruction``.
* User messages become ``user`` turns: the text, then images and files. Bytes go inline
  (``inlineData``, URL-safe base64); URLs and file URIs (``https://…``, ``gs://…``, Files API
  URIs) go as ``fileData``; a ``data:`` URL is decoded and sent inline.
* Assistant messages become ``model`` turns, rebuilt with their thought signatures (see
  :mod:`pollytool.providers.gemini._layout`).
* Tool results become ``functionResponse`` parts, all results that follow one another in one
  ``user`` turn. Each carries the call id and the function's name (from ``tool_name``, or from
  the assistant tool call with that id). The result is an object: a JSON-object result as it
  is, any other text as ``{"result": text}``, a failed tool's text as ``{"error": text}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
from typing import Any

from ...errors import ConfigurationError
from ...messages import (
    ChatMessage,
    ContentPart,
    FilePart,
    FileURLPart,
    ImagePart,
    ImageURLPart,
    MessageRole,
    TextPart,
)
from ._b64 import to_wire
from ._layout import PartDict, model_parts

__all__ = ["encode_contents"]


def encode_contents(messages: list[ChatMessage]) -> tuple[list[dict[str, Any]], str | None]:
    """The ``contents`` (wire JSON) and the ``systemInstruction`` text
    (``None`` without one)."""
    system: list[str] = []
    contents: list[dict[str, Any]] = []
    call_names: dict[str, str] = {}
    results: list[PartDict] = []  # the tool-result turn being collected

    def flush_results() -> None:
        if results:
            contents.append({"role": "user", "parts": list(results)})
            results.clear()

    for message in messages:
        if message.role == MessageRole.TOOL:
            results.extend(_tool_result_parts(message, call_names))
            continue
        flush_results()
        if message.role == MessageRole.SYSTEM:
            if message.text:
                system.append(message.text)
        elif message.role == MessageRole.ASSISTANT:
            call_names.update((c.id, c.name) for c in message.tool_calls)
            parts, with_text = model_parts(message)
            parts += [
                _part(p) for p in message.parts if not (with_text and isinstance(p, TextPart))
            ]
            if parts:
                contents.append({"role": "model", "parts": parts})
        else:
            parts = [{"text": message.content}] if message.content else []
            parts.extend(_part(p) for p in message.parts)
            if parts:
                contents.append({"role": "user", "parts": parts})
    flush_results()
    return contents, "\n\n".join(system) if system else None


def _tool_result_parts(message: ChatMessage, call_names: dict[str, str]) -> list[PartDict]:
    name = message.tool_name or call_names.get(message.tool_call_id)
    if not name:
        raise ConfigurationError(
            f"the tool result for call id {message.tool_call_id!r} has no tool_name and no "
            "earlier assistant message made a call with that id; Gemini needs the function "
            "name: set tool_name on the tool message"
        )
    function_response: dict[str, Any] = {"name": name, "response": _result_object(message)}
    if message.tool_call_id:
        function_response["id"] = message.tool_call_id
    return [{"functionResponse": function_response}] + [_part(p) for p in message.parts]


def _result_object(message: ChatMessage) -> dict[str, Any]:
    text = message.content
    if message.is_error:
        return {"error": text}
    return _json_object(text) or {"result": text}


def _json_object(text: str) -> dict[str, Any] | None:
    if not text.lstrip().startswith("{"):
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _part(part: ContentPart) -> PartDict:
    match part:
        case TextPart(text=text):
            return {"text": text}
        case ImagePart(data=data, mime_type=mime) | FilePart(data=data, mime_type=mime):
            return _inline(data, mime)
        case ImageURLPart(url=url, mime_type=mime):
            if url.startswith("data:"):
                return _data_url(url)
            return _file_data(url, mime)
        case FileURLPart(url=url, mime_type=mime):
            return _file_data(url, mime)
    raise ConfigurationError(f"Gemini cannot take a {type(part).__name__} content part")


def _file_data(url: str, mime_type: str | None) -> PartDict:
    mime = mime_type or mimetypes.guess_type(url.split("?", 1)[0])[0]
    file_data = {"fileUri": url}
    if mime:
        file_data["mimeType"] = mime
    return {"fileData": file_data}


def _inline(data: bytes, mime_type: str) -> PartDict:
    return {"inlineData": {"data": to_wire(data), "mimeType": mime_type}}


def _data_url(url: str) -> PartDict:
    header, sep, payload = url[len("data:") :].partition(",")
    mime, _, encoding = header.partition(";")
    if not sep or encoding != "base64":
        raise ConfigurationError("an image data: URL must look like data:<type>;base64,<data>")
    try:
        data = base64.b64decode(payload, validate=True)
    except binascii.Error:
        raise ConfigurationError("an image data: URL holds invalid base64") from None
    return _inline(data, mime or "image/png")
