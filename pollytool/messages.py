"""Chat messages: roles, content parts, tool calls, stop reasons and token usage.

A conversation is a list of :class:`ChatMessage`. Messages are plain dataclasses that
serialise exactly with :meth:`ChatMessage.to_dict` / :meth:`ChatMessage.from_dict` (bytes as
base64, unknown keys kept), so a history saved to JSON and loaded again replays to the provider
byte for byte, including opaque provider data such as thinking signatures.

Example::

    history = [
        ChatMessage.system("You are terse."),
        ChatMessage.user("What is on this picture?", ImagePart(png_bytes, "image/png")),
    ]

**Assistant replies and their provider data.** You read and write an assistant message
through three plain fields: ``content`` (the reply text), ``reasoning`` (its visible
reasoning) and ``tool_calls``. ``ChatMessage.assistant("hi")`` is a complete reply, and
``msg.content = "shorter"`` is a valid edit. What a provider needs back on the next turn
travels with the piece it belongs to, keyed by provider name, and is only ever sent to that
provider:

* a tool call's own data (a Gemini thought signature) in ``ChatMessageToolCall.provider_data``;
* the reply's order and the data of its text and reasoning in ``response_parts``: the parts
  as the provider sent them, in order: :class:`TextPart` (with, e.g., a Gemini signature),
  :class:`ReasoningPart` (Anthropic thinking with its signature or redacted data, a Gemini
  thought, an OpenAI Responses reasoning item) and :class:`ToolCallPart` (where the call
  with that id stood). Adapters fill it only when the reply carried such data.

:meth:`ChatMessage.response_items` is what adapters send: the reply in order, always
consistent with the three fields, whatever was edited:

* ``content`` edited (it no longer equals the text parts joined): the text parts are replaced
  by one part holding the new text, where the first one stood, keeping their provider data;
* ``reasoning`` edited: plain reasoning parts are replaced the same way, but reasoning parts
  that carry provider data are sent exactly as received, because the provider verifies them
  (signed thinking, encrypted reasoning); to drop those, remove them from ``response_parts``;
* tool calls are taken from ``tool_calls`` by id (calls added since go last, removed ones
  disappear), so reordering, editing or filtering calls keeps each call's data;
* without ``response_parts`` the order is reasoning, text, tool calls.

Histories saved by earlier versions, which kept this data by position in
``provider_metadata`` (Anthropic thinking blocks with positions, Gemini part lengths, OpenAI
output order), read unchanged and are replayed as before: each adapter reads that older
layout when a message has no ``response_parts``.

**What a newer version wrote** is kept, never dropped, when read with ``from_dict``: unknown
keys, unknown part kinds (:class:`UnknownPart`), an unknown stop reason (in ``extra``) and an
unknown role (as a plain string). Such a message is written back unchanged; a request that
would send what this version cannot send fails with a clear error instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeAlias

from ._parts import (
    ContentPart,
    FilePart,
    FileURLPart,
    ImagePart,
    ImageURLPart,
    ReasoningPart,
    ResponsePart,
    TextPart,
    ToolCallPart,
    UnknownPart,
    decode_json_value,
    encode_json_value,
    part_from_dict,
    response_part_from_dict,
)
from .errors import ToolArgumentsError

__all__ = [
    "ChatMessage",
    "ChatMessageToolCall",
    "ContentPart",
    "FilePart",
    "FileURLPart",
    "ImagePart",
    "ImageURLPart",
    "MessageRole",
    "ReasoningPart",
    "ResponseItem",
    "ResponsePart",
    "StopReason",
    "TextPart",
    "ToolCallPart",
    "UnknownPart",
    "Usage",
]


class MessageRole(StrEnum):
    """Who wrote a message."""

    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


class StopReason(StrEnum):
    """Why the model stopped, the same for every provider.

    The provider's own reason is kept next to it in ``ChatMessage.raw_stop_reason``.
    """

    END_TURN = "end_turn"
    TOOL_USE = "tool_use"
    MAX_TOKENS = "max_tokens"
    CONTENT_FILTER = "content_filter"
    ERROR = "error"


@dataclass(slots=True)
class Usage:
    """Token counts of one response (or a sum of several: ``a + b``)."""

    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens (reasoning tokens are part of the output)."""
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
        )

    def to_dict(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Usage:
        return cls(**{k: int(v) for k, v in data.items() if k in _USAGE_FIELDS})


_USAGE_FIELDS = frozenset(Usage.__dataclass_fields__)


# --------------------------------------------------------------------------- tool calls


@dataclass(slots=True)
class ChatMessageToolCall:
    """A tool call the model made.

    ``arguments`` is the JSON text exactly as the model produced it; :attr:`args` parses it.
    ``provider_data`` holds, keyed by provider name, what the provider attached to the call
    (a Gemini thought signature); it stays with the call whatever else is edited.
    """

    id: str
    name: str
    arguments: str = "{}"
    provider_data: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def args(self) -> dict[str, Any]:
        """The arguments as a dict; raises :class:`~pollytool.errors.ToolArgumentsError` when
        they are not a JSON object."""
        text = self.arguments.strip() or "{}"
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ToolArgumentsError(
                f"arguments of tool call {self.name!r} are not valid JSON: {exc.msg} "
                f"at position {exc.pos}",
                tool_name=self.name,
            ) from None
        if not isinstance(value, dict):
            raise ToolArgumentsError(
                f"arguments of tool call {self.name!r} must be a JSON object, "
                f"got {type(value).__name__}",
                tool_name=self.name,
            )
        return value

    def to_dict(self) -> dict[str, Any]:
        out = {"id": self.id, "name": self.name, "arguments": self.arguments}
        if self.provider_data:
            out["provider_data"] = encode_json_value(self.provider_data)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChatMessageToolCall:
        arguments = data.get("arguments", "{}")
        if not isinstance(arguments, str):  # tolerate hand-written histories with dict args
            arguments = json.dumps(arguments)
        provider_data = data.get("provider_data")
        return cls(
            str(data.get("id", "")),
            str(data.get("name", "")),
            arguments,
            decode_json_value(provider_data) if isinstance(provider_data, dict) else {},
        )


#: What :meth:`ChatMessage.response_items` lists: the reply's pieces in order.
ResponseItem: TypeAlias = TextPart | ReasoningPart | ChatMessageToolCall


# --------------------------------------------------------------------------- messages

_ROLES = frozenset(role.value for role in MessageRole)
_STOP_REASONS = frozenset(reason.value for reason in StopReason)

_MESSAGE_KEYS = frozenset(
    {
        "role", "content", "parts", "tool_calls", "tool_call_id", "tool_name", "is_error",
        "reasoning", "stop_reason", "raw_stop_reason", "usage", "provider_metadata", "metadata",
        "response_parts",
    }
)  # fmt: skip


@dataclass(slots=True)
class ChatMessage:
    """One message of a conversation.

    Attributes:
        role: who wrote it (a :class:`MessageRole`; plain strings are accepted).
        content: the text. Extra text, images and files go in ``parts``.
        parts: content parts (:class:`TextPart`, :class:`ImagePart`, :class:`ImageURLPart`,
            :class:`FilePart`, :class:`FileURLPart`) sent after ``content``.
        tool_calls: tool calls of an assistant message.
        tool_call_id: on a tool message, the id of the call it answers.
        tool_name: on a tool message, the name of the tool that ran.
        is_error: on a tool message, whether the tool failed.
        reasoning: the model's visible reasoning (thinking text or summary).
        stop_reason: why the model stopped; ``raw_stop_reason`` is the provider's own word.
        usage: token counts of the response that produced this message.
        provider_metadata: opaque message-level data per provider name, sent back only to
            the provider that wrote it (earlier versions kept reply layouts here).
        metadata: your own data; stored with the message, never sent to a provider.
        response_parts: an assistant reply's parts in the order the provider sent them, with
            their provider data (see the module docstring); empty when the reply had none.
    """

    role: MessageRole | str
    content: str = ""
    parts: list[ContentPart] = field(default_factory=list)
    tool_calls: list[ChatMessageToolCall] = field(default_factory=list)
    tool_call_id: str = ""
    tool_name: str = ""
    is_error: bool = False
    reasoning: str = ""
    stop_reason: StopReason | None = None
    raw_stop_reason: str | None = None
    usage: Usage | None = None
    provider_metadata: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    response_parts: list[ResponsePart] = field(default_factory=list, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.content, str):
            raise TypeError(f"content must be str, got {type(self.content).__name__}")
        if not isinstance(self.role, MessageRole):
            try:
                self.role = MessageRole(self.role)
            except ValueError:
                valid = ", ".join(r.value for r in MessageRole)
                raise ValueError(f"invalid role {self.role!r}; expected one of {valid}") from None
        stop: object = self.stop_reason  # plain strings are accepted, as from JSON
        if stop is not None and not isinstance(stop, StopReason):
            self.stop_reason = StopReason(str(stop))

    # ------------------------------------------------------------------ constructors

    @classmethod
    def system(cls, content: str) -> ChatMessage:
        """A system prompt."""
        return cls(MessageRole.SYSTEM, content)

    @classmethod
    def user(cls, content: str = "", *parts: ContentPart) -> ChatMessage:
        """A user message with optional images or files after the text."""
        return cls(MessageRole.USER, content, list(parts))

    @classmethod
    def assistant(
        cls, content: str = "", tool_calls: list[ChatMessageToolCall] | None = None
    ) -> ChatMessage:
        """An assistant message (for writing few-shot examples or replaying history)."""
        return cls(MessageRole.ASSISTANT, content, tool_calls=list(tool_calls or []))

    @classmethod
    def tool_result(
        cls, tool_call_id: str, content: str, *, tool_name: str = "", is_error: bool = False
    ) -> ChatMessage:
        """The result of the tool call with id *tool_call_id*."""
        return cls(
            MessageRole.TOOL, content, tool_call_id=tool_call_id, tool_name=tool_name,
            is_error=is_error,
        )  # fmt: skip

    # ------------------------------------------------------------------ reading

    @property
    def text(self) -> str:
        """``content`` followed by the text of every :class:`TextPart`."""
        texts = [p.text for p in self.parts if isinstance(p, TextPart)]
        if not texts:
            return self.content
        return "".join([self.content, *texts]) if self.content else "".join(texts)

    def response_items(self) -> list[ResponseItem]:
        """The reply in order, as adapters send it back: text and reasoning parts and the
        tool calls themselves, always consistent with ``text``, ``reasoning`` and
        ``tool_calls`` (the rules are in the module docstring)."""
        calls = self.tool_calls
        text = self.text
        if not self.response_parts:
            items: list[ResponseItem] = [ReasoningPart(self.reasoning)] if self.reasoning else []
            if text:
                items.append(TextPart(text))
            items.extend(calls)
            return items
        return _reconciled(self.response_parts, text, self.reasoning, calls)

    @property
    def has_images(self) -> bool:
        return any(isinstance(p, ImagePart | ImageURLPart) for p in self.parts)

    # ------------------------------------------------------------------ serialisation

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict that :meth:`from_dict` turns back into an equal message."""
        out: dict[str, Any] = dict(self.extra)
        out["role"] = str(self.role)
        out["content"] = self.content
        if self.parts:
            out["parts"] = [p.to_dict() for p in self.parts]
        if self.tool_calls:
            out["tool_calls"] = [c.to_dict() for c in self.tool_calls]
        if self.tool_call_id:
            out["tool_call_id"] = self.tool_call_id
        if self.tool_name:
            out["tool_name"] = self.tool_name
        if self.is_error:
            out["is_error"] = True
        if self.reasoning:
            out["reasoning"] = self.reasoning
        if self.stop_reason is not None:
            out["stop_reason"] = str(self.stop_reason)
        if self.raw_stop_reason is not None:
            out["raw_stop_reason"] = self.raw_stop_reason
        if self.usage is not None:
            out["usage"] = self.usage.to_dict()
        if self.provider_metadata:
            out["provider_metadata"] = encode_json_value(self.provider_metadata)
        if self.metadata:
            out["metadata"] = encode_json_value(self.metadata)
        if self.response_parts:
            out["response_parts"] = [p.to_dict() for p in self.response_parts]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChatMessage:
        """Rebuild a message from :meth:`to_dict` output.

        What this version does not know is kept, never dropped, so that :meth:`to_dict`
        writes it back: unknown keys in ``extra``, unknown part kinds as
        :class:`UnknownPart`, an unknown stop reason in ``extra`` (``stop_reason`` is then
        ``None``), an unknown role as the plain string (such a message cannot be sent)."""
        usage = data.get("usage")
        role = data["role"]
        extra = {k: v for k, v in data.items() if k not in _MESSAGE_KEYS}
        stop = data.get("stop_reason")
        if stop is not None and stop not in _STOP_REASONS:
            extra["stop_reason"], stop = stop, None
        message = cls(
            role=role if role in _ROLES else MessageRole.USER,
            content=data.get("content") or "",
            parts=[part_from_dict(p) for p in data.get("parts") or []],
            tool_calls=[ChatMessageToolCall.from_dict(c) for c in data.get("tool_calls") or []],
            tool_call_id=data.get("tool_call_id") or "",
            tool_name=data.get("tool_name") or "",
            is_error=bool(data.get("is_error", False)),
            reasoning=data.get("reasoning") or "",
            stop_reason=stop,
            raw_stop_reason=data.get("raw_stop_reason"),
            usage=Usage.from_dict(usage) if isinstance(usage, dict) else None,
            provider_metadata=decode_json_value(data.get("provider_metadata") or {}),
            metadata=decode_json_value(data.get("metadata") or {}),
            response_parts=[response_part_from_dict(p) for p in data.get("response_parts") or []],
            extra=extra,
        )
        if role not in _ROLES:
            message.role = str(role)
        return message

    def to_json(self) -> str:
        """Compact JSON text of :meth:`to_dict` (one line, suitable for JSON Lines)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> ChatMessage:
        return cls.from_dict(json.loads(text))


def _reconciled(
    parts: list[ResponsePart], text: str, reasoning: str, calls: list[ChatMessageToolCall]
) -> list[ResponseItem]:
    """*parts* made consistent with the message's fields (see the module docstring)."""
    texts = [p for p in parts if isinstance(p, TextPart)]
    text_kept = "".join(p.text for p in texts) == text
    thoughts = [p for p in parts if isinstance(p, ReasoningPart)]
    plain_kept = "".join(p.text for p in thoughts) == reasoning  # else edited
    by_id: dict[str, list[ChatMessageToolCall]] = {}
    for call in calls:
        by_id.setdefault(call.id, []).append(call)
    items: list[ResponseItem] = []
    text_at = reasoning_at = first_call = -1
    for part in parts:
        if isinstance(part, TextPart):
            if text_kept:
                items.append(part)
            elif text_at < 0:
                text_at = len(items)
        elif isinstance(part, ReasoningPart):
            if part.opaque or plain_kept:
                items.append(part)
            elif reasoning_at < 0:
                reasoning_at = len(items)
        elif isinstance(part, ToolCallPart) and by_id.get(part.id):
            if first_call < 0:
                first_call = len(items)
            items.append(by_id[part.id].pop(0))
    inserts: list[tuple[int, ResponseItem]] = []
    if not text_kept and text:
        data: dict[str, Any] = {}
        for part in texts:
            data.update(part.provider_data)
        at = text_at if text_at >= 0 else first_call if first_call >= 0 else len(items)
        inserts.append((at, TextPart(text, provider_data=data)))
    if not plain_kept and reasoning:
        inserts.append((max(reasoning_at, 0), ReasoningPart(reasoning)))
    for at, item in sorted(inserts, key=lambda pair: pair[0], reverse=True):
        items.insert(at, item)
    placed = {id(item) for item in items}
    items.extend(call for call in calls if id(call) not in placed)
    return items
