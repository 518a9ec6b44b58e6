"""Thought signatures: remembering where they sat in a reply, and putting them back.

Gemini attaches opaque ``thought_signature`` bytes to some parts of a reply (function calls,
and text or thought parts) and needs each one back, on the same part, in the next request.
When a reply carries any signature, the decoder records the reply's part layout in
``provider_metadata["gemini"]["parts"]``, one entry per part, in order::

    {"parts": [
        {"kind": "thought", "length": 118},
        {"kind": "text", "length": 3},
        {"kind": "text", "length": 2, "thought_signature": b"..."},
        {"kind": "function_call", "id": "call_1", "thought_signature": b"..."},
        {"kind": "function_call", "id": "call_2"},
    ]}

Text entries give lengths (in characters) of consecutive slices of the message's
``reasoning`` (``thought``) or ``content`` (``text``); function-call entries name the tool
call by id. Streamed text pieces are merged into one entry, but a signed piece always stays a
part of its own, as Gemini requires. The bytes survive JSON save and load (see
:meth:`~pollytool.messages.ChatMessage.to_dict`).

:func:`model_parts` rebuilds the parts of an assistant message: exactly as recorded when the
message still matches its layout, otherwise its text and then its function calls, each call
keeping its signature (looked up by call id). Reasoning is sent back only as part of a
recorded layout: Gemini needs the signatures, not the thought summaries.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from ...errors import ToolArgumentsError
from ...messages import ChatMessage, ChatMessageToolCall

__all__ = ["LayoutRecorder", "PartDict", "function_call_part", "model_parts"]

PROVIDER = "gemini"

TextKind = Literal["thought", "text"]

#: A part in the SDK's dict form (``{"text": ...}``, ``{"function_call": {...}}``…). Plain
#: dicts are what ``generate_content`` takes from its own callers; building ``types.Part``
#: objects first would cost the SDK a second validation of every part of the history.
PartDict = dict[str, Any]


class LayoutRecorder:
    """Records the part layout of one reply as the decoder sees its parts."""

    __slots__ = ("_parts", "_signed")

    def __init__(self) -> None:
        self._parts: list[dict[str, Any]] = []
        self._signed = False

    def text(self, kind: TextKind, text: str, signature: bytes | None) -> None:
        """A text or thought part (or a streamed piece of one). Empty unsigned pieces (such
        as the one that often carries the finish reason) are no part of the layout."""
        if not text and signature is None:
            return
        last = self._parts[-1] if self._parts else None
        if (
            signature is None
            and last is not None
            and last["kind"] == kind
            and "thought_signature" not in last
        ):
            last["length"] += len(text)
            return
        entry: dict[str, Any] = {"kind": kind, "length": len(text)}
        self._add(entry, signature)

    def function_call(self, call_id: str, signature: bytes | None) -> None:
        """A function-call part."""
        self._add({"kind": "function_call", "id": call_id}, signature)

    def _add(self, entry: dict[str, Any], signature: bytes | None) -> None:
        if signature is not None:
            entry["thought_signature"] = signature
            self._signed = True
        self._parts.append(entry)

    def metadata(self) -> dict[str, Any] | None:
        """What goes into ``provider_metadata["gemini"]``, or ``None`` without signatures."""
        return {"parts": self._parts} if self._signed else None


def _signed(part: PartDict, signature: bytes | None) -> PartDict:
    if signature is not None:
        part["thought_signature"] = signature
    return part


def function_call_part(call: ChatMessageToolCall, signature: bytes | None) -> PartDict:
    """A ``function_call`` part for *call*.

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
    return _signed({"function_call": function_call}, signature)


def _layout(message: ChatMessage) -> list[dict[str, Any]]:
    data = message.provider_metadata.get(PROVIDER)
    parts = data.get("parts") if isinstance(data, dict) else None
    if not isinstance(parts, list):
        return []
    return [p for p in parts if isinstance(p, dict)]


def _signature(entry: dict[str, Any]) -> bytes | None:
    value = entry.get("thought_signature")
    return value if isinstance(value, bytes) else None


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


def model_parts(message: ChatMessage) -> list[PartDict]:
    """The parts of assistant *message* as Gemini sent them, signatures included."""
    layout = _layout(message)
    calls = {c.id: c for c in message.tool_calls}
    if layout and _matches(layout, message):
        parts: list[PartDict] = []
        offsets = {"thought": 0, "text": 0}
        sources = {"thought": message.reasoning, "text": message.content}
        for entry in layout:
            kind = entry["kind"]
            signature = _signature(entry)
            if kind == "function_call":
                parts.append(function_call_part(calls[entry["id"]], signature))
                continue
            start = offsets[kind]
            offsets[kind] = end = start + entry["length"]
            part: PartDict = {"text": sources[kind][start:end]}
            if kind == "thought":
                part["thought"] = True
            parts.append(_signed(part, signature))
        return parts
    signatures = {
        entry.get("id"): _signature(entry)
        for entry in layout
        if entry.get("kind") == "function_call"
    }
    parts = [{"text": message.content}] if message.content else []
    parts.extend(function_call_part(c, signatures.get(c.id)) for c in message.tool_calls)
    return parts
