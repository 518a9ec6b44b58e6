"""Responses API: request encoding, including the replay of reasoning items.

An assistant message produced by the Responses API keeps its reasoning items in full (``id``,
``summary``, ``encrypted_content``) as the provider data of its reasoning parts, in
``response_parts`` with its text and function calls in output order. Encoding that message
again re-creates the same order, so every reasoning item precedes the item it belongs to
(histories saved by earlier versions, with the order in ``provider_metadata["openai"]
["output"]``, are read too).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from ...messages import (
    ChatMessage,
    ChatMessageToolCall,
    FilePart,
    ImagePart,
    ImageURLPart,
    MessageRole,
    ReasoningPart,
    ResponsePart,
    TextPart,
    ToolCallPart,
    UnknownPart,
)
from ._shared import (
    data_url,
    function_tools,
    output_schema,
    reasoning_effort,
    require_call_id,
    text_only,
    tool_choice,
)

if TYPE_CHECKING:
    from ...messages import ContentPart
    from ...request import CompletionRequest

__all__ = ["encode_responses"]

PROVIDER = "openai"
#: Where an earlier version kept a reply's output order: ``provider_metadata["openai"]``.
EARLIER_KEY = "output"
_ENCRYPTED = "reasoning.encrypted_content"


def encode_responses(req: CompletionRequest) -> dict[str, Any]:
    """The Responses API body for *req* (without ``stream``).

    When thinking is enabled, or the history holds reasoning items, the request is stateless:
    ``store: false`` plus ``include: ["reasoning.encrypted_content"]``, and only reasoning
    items that carry encrypted content are sent back (an item without it can only be found
    on the server, which keeps nothing under ``store: false``). ``provider_options={"store":
    True}`` keeps server-side storage and sends every reasoning item back."""
    has_reasoning = any(_has_reasoning(m) for m in req.messages)
    stateless = req.provider_options.get("store") is not True and (
        req.thinking.enabled or has_reasoning
    )
    items: list[dict[str, Any]] = []
    for msg in req.messages:
        _encode_message(msg, items, stateless=stateless)
    body: dict[str, Any] = {"model": req.model, "input": items}
    if stateless:
        body["store"] = False
        body["include"] = [_ENCRYPTED]
    if req.temperature is not None:
        body["temperature"] = req.temperature
    if req.max_tokens is not None:
        body["max_output_tokens"] = req.max_tokens
    tools = function_tools(req)
    if tools:
        body["tools"] = [
            {
                "type": "function",
                "name": t.name,
                "description": t.description,
                "parameters": t.parameters,
                "strict": t.strict,
            }
            for t in tools
        ]
    if req.tool_choice is not None:
        body["tool_choice"] = tool_choice(
            req.tool_choice, lambda name: {"type": "function", "name": name}
        )
    if req.thinking.enabled:
        reasoning: dict[str, Any] = {"summary": "auto"}
        effort = reasoning_effort(req.thinking)
        if effort is not None:
            reasoning["effort"] = effort
        body["reasoning"] = reasoning
    schema = req.response_schema
    if schema is not None:
        converted, strict = output_schema(schema)
        fmt: dict[str, Any] = {
            "type": "json_schema",
            "name": schema.name,
            "schema": converted,
            "strict": strict,
        }
        if schema.description:
            fmt["description"] = schema.description
        body["text"] = {"format": fmt}
    return body


def _encode_message(msg: ChatMessage, items: list[dict[str, Any]], *, stateless: bool) -> None:
    if msg.role == MessageRole.TOOL:
        output: str | list[dict[str, Any]] = msg.text
        if any(not isinstance(p, TextPart) for p in msg.parts):  # images or files returned
            output = _content(msg)
        items.append(
            {
                "type": "function_call_output",
                "call_id": require_call_id(msg.tool_call_id),
                "output": output,
            }
        )
    elif msg.role == MessageRole.ASSISTANT:
        _encode_assistant(msg, items, stateless=stateless)
    elif msg.role == MessageRole.SYSTEM:
        items.append({"role": "system", "content": text_only(msg)})
    elif not msg.parts:
        items.append({"role": "user", "content": msg.content})
    else:
        items.append({"role": "user", "content": _content(msg)})


def _content(msg: ChatMessage) -> list[dict[str, Any]]:
    content = [{"type": "input_text", "text": msg.content}] if msg.content else []
    content.extend(_part(p) for p in msg.parts)
    return content


def _part(part: ContentPart) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "input_text", "text": part.text}
    if isinstance(part, ImageURLPart | ImagePart):
        url = part.url if isinstance(part, ImageURLPart) else data_url(part.data, part.mime_type)
        return {"type": "input_image", "image_url": url, "detail": part.detail or "auto"}
    if isinstance(part, FilePart):
        return {
            "type": "input_file",
            "filename": part.filename,
            "file_data": data_url(part.data, part.mime_type),
        }
    if isinstance(part, UnknownPart):
        raise part.unsendable()
    if part.url.startswith("file-"):
        return {"type": "input_file", "file_id": part.url}
    out: dict[str, Any] = {"type": "input_file", "file_url": part.url}
    if part.filename:
        out["filename"] = part.filename
    return out


def _has_reasoning(msg: ChatMessage) -> bool:
    """Whether *msg* holds OpenAI reasoning items to send back."""
    if msg.role != MessageRole.ASSISTANT:
        return False
    if msg.response_parts:
        return any(_reasoning_item(p) is not None for p in msg.response_parts)
    return bool(_earlier_entries(msg))


def _reasoning_item(part: object) -> dict[str, Any] | None:
    """The reasoning item a response part carries (OpenAI's own), or ``None``."""
    if not isinstance(part, ReasoningPart):
        return None
    entry = part.provider_data.get(PROVIDER)
    return entry if isinstance(entry, dict) and entry.get("type") == "reasoning" else None


def _function_call(call: ChatMessageToolCall) -> dict[str, Any]:
    return {
        "type": "function_call",
        "call_id": call.id,
        "name": call.name,
        "arguments": call.arguments,
    }


def _encode_assistant(msg: ChatMessage, items: list[dict[str, Any]], *, stateless: bool) -> None:
    """The assistant's items in their original output order (reasoning items, text, calls;
    see :meth:`~pollytool.messages.ChatMessage.response_items`)."""
    text = text_only(msg)
    if not msg.response_parts:
        msg = _from_earlier_layout(msg) or msg
    if not msg.response_parts:  # the common case: the text, then the calls
        if text:
            items.append({"role": "assistant", "content": text})
        items.extend(_function_call(c) for c in msg.tool_calls)
        return
    previous_text: dict[str, Any] | None = None
    for item in msg.response_items():
        if isinstance(item, ChatMessageToolCall):
            items.append(_function_call(item))
        elif isinstance(item, TextPart):
            if not item.text:
                continue
            if previous_text is not None and items[-1] is previous_text:
                previous_text["content"] += item.text
                continue
            previous_text = {"role": "assistant", "content": item.text}
            items.append(previous_text)
        elif (entry := _reasoning_item(item)) is not None and (
            entry.get("encrypted_content") or not stateless
        ):
            items.append(dict(entry))


def _earlier_entries(msg: ChatMessage) -> list[dict[str, Any]]:
    meta = msg.provider_metadata.get(PROVIDER)
    entries = meta.get(EARLIER_KEY) if isinstance(meta, dict) else None
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _from_earlier_layout(msg: ChatMessage) -> ChatMessage | None:
    """A message saved by an earlier version, which kept the reply's output order in
    ``provider_metadata["openai"]["output"]`` (reasoning items in full, references to the
    message and the function calls), with that order as response parts; ``None`` without."""
    entries = _earlier_entries(msg)
    if not any(e.get("type") == "reasoning" for e in entries):
        return None
    parts: list[ResponsePart] = []
    for entry in entries:
        kind = entry.get("type")
        if kind == "reasoning":
            summary = entry.get("summary") or []
            text = "\n\n".join(s.get("text", "") for s in summary if isinstance(s, dict))
            parts.append(ReasoningPart(text, {PROVIDER: dict(entry)}))
        elif kind == "function_call":
            parts.append(ToolCallPart(str(entry.get("call_id"))))
        elif kind == "message":
            parts.append(TextPart(msg.text))
    return dataclasses.replace(msg, response_parts=parts)
