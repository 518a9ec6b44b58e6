"""An assistant message as Gemini ``model`` parts, thought signatures where they came.

Gemini attaches opaque ``thought_signature`` bytes to some parts of a reply (function calls,
and text or thought parts) and needs each one back, on the same part, in the next request. The
decoder keeps them as provider data: a function call's on the call
(``ChatMessageToolCall.provider_data["gemini"]``), a text or thought part's on that part in
the message's ``response_parts``. :func:`model_parts` sends the reply back from
:meth:`~pollytool.messages.ChatMessage.response_items`: text parts (a signed one on its own),
the thoughts Gemini produced (Gemini needs their signatures, not the summaries, so other
providers' reasoning is not sent), and function calls, each with its signature.

A history saved by an earlier version recorded the reply's layout in
``provider_metadata["gemini"]["parts"]`` instead, one entry per part with text lengths
(``{"kind": "thought" | "text", "length": n}``) or a call id
(``{"kind": "function_call", "id": ...}``), signatures on the entries.
:func:`from_earlier_layout` reads it: as response parts while the text still matches the
lengths, otherwise only each call's signature (found by call id).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

from ...errors import ToolArgumentsError
from ...messages import (
    ChatMessage,
    ChatMessageToolCall,
    ReasoningPart,
    ResponsePart,
    TextPart,
    ToolCallPart,
)
from ._b64 import to_wire

__all__ = ["PartDict", "from_earlier_layout", "function_call_part", "model_parts"]

PROVIDER = "gemini"

#: A part in Gemini's wire JSON (``{"text": ...}``, ``{"functionCall": {...}}``…).
PartDict = dict[str, Any]


def _signature(provider_data: dict[str, Any]) -> bytes | None:
    data = provider_data.get(PROVIDER)
    value = data.get("thought_signature") if isinstance(data, dict) else None
    return value if isinstance(value, bytes) else None


def _signed(part: PartDict, signature: bytes | None) -> PartDict:
    if signature is not None:
        part["thoughtSignature"] = to_wire(signature)
    return part


def function_call_part(call: ChatMessageToolCall) -> PartDict:
    """A ``functionCall`` part for *call*, with its signature.

    Arguments that are not a JSON object (possible in a history written by another provider)
    are sent as ``{"arguments": <the raw text>}`` so the conversation can go on.
    """
    try:
        args = call.args
    except ToolArgumentsError:
        args = {"arguments": call.arguments}
    function_call: dict[str, Any] = {"name": call.name, "args": args}
    if call.id:
        function_call["id"] = call.id
    return _signed({"functionCall": function_call}, _signature(call.provider_data))


def model_parts(message: ChatMessage) -> tuple[list[PartDict], bool]:
    """The parts of assistant *message* as Gemini sent them, signatures included, and whether
    they hold the text of the message's own ``parts`` too."""
    if not message.response_parts:
        message = from_earlier_layout(message) or message
    if not message.response_parts:  # the common case: the text, then the calls
        parts = [{"text": message.content}] if message.content else []
        parts.extend(function_call_part(call) for call in message.tool_calls)
        return parts, False
    parts = []
    for item in message.response_items():
        if isinstance(item, ChatMessageToolCall):
            parts.append(function_call_part(item))
            continue
        signature = _signature(item.provider_data)
        if isinstance(item, ReasoningPart):
            if PROVIDER in item.provider_data:
                parts.append(_signed({"text": item.text, "thought": True}, signature))
        elif item.text or signature is not None:
            parts.append(_signed({"text": item.text}, signature))
    return parts, True


# --------------------------------------------------------------------------- earlier layout


def _layout(message: ChatMessage) -> list[dict[str, Any]]:
    data = message.provider_metadata.get(PROVIDER)
    parts = data.get("parts") if isinstance(data, dict) else None
    if not isinstance(parts, list):
        return []
    return [p for p in parts if isinstance(p, dict)]


def _matches(layout: list[dict[str, Any]], message: ChatMessage) -> bool:
    """Whether *message* still has the text and calls its layout describes."""
    lengths = {"thought": 0, "text": 0}
    call_ids: list[str] = []
    for entry in layout:
        kind = entry.get("kind")
        if kind in lengths:
            length = entry.get("length")
            if not isinstance(length, int) or length < 0:
                return False
            lengths[kind] += length
        elif kind == "function_call" and isinstance(entry.get("id"), str):
            call_ids.append(entry["id"])
        else:
            return False
    return (
        lengths["thought"] == len(message.reasoning)
        and lengths["text"] == len(message.content)
        and Counter(call_ids) == Counter(c.id for c in message.tool_calls)
    )


def _data(entry: dict[str, Any]) -> dict[str, Any]:
    signature = entry.get("thought_signature")
    return {"thought_signature": signature} if isinstance(signature, bytes) else {}


def from_earlier_layout(message: ChatMessage) -> ChatMessage | None:
    """*message* with the layout an earlier version saved turned into provider data (see the
    module docstring), or ``None`` when it has none."""
    layout = _layout(message)
    if not layout:
        return None
    signatures = {
        entry.get("id"): _data(entry)
        for entry in layout
        if entry.get("kind") == "function_call" and _data(entry)
    }
    calls = [
        dataclasses.replace(
            call, provider_data={**call.provider_data, PROVIDER: signatures[call.id]}
        )
        if call.id in signatures
        else call
        for call in message.tool_calls
    ]
    if not _matches(layout, message):
        return dataclasses.replace(message, tool_calls=calls)
    parts: list[ResponsePart] = []
    offsets = {"thought": 0, "text": 0}
    sources = {"thought": message.reasoning, "text": message.content}
    for entry in layout:
        kind = entry["kind"]
        if kind == "function_call":
            parts.append(ToolCallPart(entry["id"]))
            continue
        start = offsets[kind]
        offsets[kind] = end = start + entry["length"]
        text = sources[kind][start:end]
        if kind == "thought":
            parts.append(ReasoningPart(text, {PROVIDER: _data(entry)}))
        else:
            parts.append(
                TextPart(text, provider_data={PROVIDER: _data(entry)} if _data(entry) else {})
            )
    return dataclasses.replace(message, tool_calls=calls, response_parts=parts)
