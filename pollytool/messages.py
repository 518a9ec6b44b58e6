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
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Self, TypeAlias

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
    "StopReason",
    "TextPart",
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


# --------------------------------------------------------------------------- JSON helpers

_BYTES_TAG = "__bytes__"


def encode_json_value(value: Any) -> Any:
    """Turn nested data into JSON-safe data; ``bytes`` become ``{"__bytes__": base64}``."""
    if isinstance(value, bytes | bytearray):
        return {_BYTES_TAG: base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {str(k): encode_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode_json_value(v) for v in value]
    return value


def decode_json_value(value: Any) -> Any:
    """Inverse of :func:`encode_json_value`."""
    if isinstance(value, dict):
        if len(value) == 1 and _BYTES_TAG in value and isinstance(value[_BYTES_TAG], str):
            return base64.b64decode(value[_BYTES_TAG])
        return {k: decode_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_json_value(v) for v in value]
    return value


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --------------------------------------------------------------------------- content parts


@dataclass(slots=True)
class TextPart:
    """A piece of text."""

    text: str
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    kind: ClassVar[str] = "text"

    def to_dict(self) -> dict[str, Any]:
        return {**self.extra, "type": self.kind, "text": self.text}

    @classmethod
    def _from_fields(cls, data: dict[str, Any]) -> Self:
        return cls(data.pop("text"), extra=data)


@dataclass(slots=True)
class ImageURLPart:
    """An image the provider fetches itself: an ``https://`` URL, a ``data:`` URL or a file URI.

    ``detail`` is OpenAI's resolution hint (``"auto"``, ``"low"``, ``"high"``).
    """

    url: str
    mime_type: str | None = None
    detail: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    kind: ClassVar[str] = "image_url"

    def to_dict(self) -> dict[str, Any]:
        out = {**self.extra, "type": self.kind, "url": self.url}
        if self.mime_type is not None:
            out["mime_type"] = self.mime_type
        if self.detail is not None:
            out["detail"] = self.detail
        return out

    @classmethod
    def _from_fields(cls, data: dict[str, Any]) -> Self:
        return cls(data.pop("url"), data.pop("mime_type", None), data.pop("detail", None), data)


@dataclass(slots=True)
class ImagePart:
    """An image sent inline as bytes (``mime_type`` such as ``image/png``)."""

    data: bytes = field(repr=False)
    mime_type: str = "image/png"
    detail: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    kind: ClassVar[str] = "image"

    def to_dict(self) -> dict[str, Any]:
        out = {
            **self.extra,
            "type": self.kind,
            "data": _b64(self.data),
            "mime_type": self.mime_type,
        }
        if self.detail is not None:
            out["detail"] = self.detail
        return out

    @classmethod
    def _from_fields(cls, data: dict[str, Any]) -> Self:
        raw = base64.b64decode(data.pop("data"))
        return cls(raw, data.pop("mime_type", "image/png"), data.pop("detail", None), data)


@dataclass(slots=True)
class FilePart:
    """A document sent inline as bytes, e.g. a PDF, with its file name."""

    data: bytes = field(repr=False)
    mime_type: str = "application/pdf"
    filename: str = "document.pdf"
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    kind: ClassVar[str] = "file"

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.extra,
            "type": self.kind,
            "data": _b64(self.data),
            "mime_type": self.mime_type,
            "filename": self.filename,
        }

    @classmethod
    def _from_fields(cls, data: dict[str, Any]) -> Self:
        raw = base64.b64decode(data.pop("data"))
        return cls(raw, data.pop("mime_type", "application/pdf"), data.pop("filename", ""), data)


@dataclass(slots=True)
class FileURLPart:
    """A document the provider fetches itself (an ``https://`` URL or a provider file URI)."""

    url: str
    mime_type: str = "application/pdf"
    filename: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    kind: ClassVar[str] = "file_url"

    def to_dict(self) -> dict[str, Any]:
        out = {**self.extra, "type": self.kind, "url": self.url, "mime_type": self.mime_type}
        if self.filename is not None:
            out["filename"] = self.filename
        return out

    @classmethod
    def _from_fields(cls, data: dict[str, Any]) -> Self:
        return cls(
            data.pop("url"),
            data.pop("mime_type", "application/pdf"),
            data.pop("filename", None),
            data,
        )


ContentPart: TypeAlias = TextPart | ImageURLPart | ImagePart | FilePart | FileURLPart

_PART_KINDS: dict[str, type[ContentPart]] = {
    cls.kind: cls for cls in (TextPart, ImageURLPart, ImagePart, FilePart, FileURLPart)
}


def part_from_dict(data: dict[str, Any]) -> ContentPart:
    """Rebuild a content part written by its ``to_dict``."""
    fields = dict(data)
    kind = fields.pop("type", None)
    cls = _PART_KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(
            f"unknown content part type {kind!r}; expected one of {sorted(_PART_KINDS)}"
        )
    return cls._from_fields(fields)


# --------------------------------------------------------------------------- tool calls


@dataclass(slots=True)
class ChatMessageToolCall:
    """A tool call the model made.

    ``arguments`` is the JSON text exactly as the model produced it; :attr:`args` parses it.
    """

    id: str
    name: str
    arguments: str = "{}"

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
        return {"id": self.id, "name": self.name, "arguments": self.arguments}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChatMessageToolCall:
        arguments = data.get("arguments", "{}")
        if not isinstance(arguments, str):  # tolerate hand-written histories with dict args
            arguments = json.dumps(arguments)
        return cls(str(data.get("id", "")), str(data.get("name", "")), arguments)


# --------------------------------------------------------------------------- messages

_MESSAGE_KEYS = frozenset(
    {
        "role", "content", "parts", "tool_calls", "tool_call_id", "tool_name", "is_error",
        "reasoning", "stop_reason", "raw_stop_reason", "usage", "provider_metadata", "metadata",
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
        provider_metadata: opaque data per provider name (thinking signatures, reasoning items,
            thought signatures). Sent back only to the provider that wrote it.
        metadata: your own data; stored with the message, never sent to a provider.
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
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
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
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChatMessage:
        """Rebuild a message from :meth:`to_dict` output (unknown keys are kept in ``extra``)."""
        usage = data.get("usage")
        return cls(
            role=data["role"],
            content=data.get("content") or "",
            parts=[part_from_dict(p) for p in data.get("parts") or []],
            tool_calls=[ChatMessageToolCall.from_dict(c) for c in data.get("tool_calls") or []],
            tool_call_id=data.get("tool_call_id") or "",
            tool_name=data.get("tool_name") or "",
            is_error=bool(data.get("is_error", False)),
            reasoning=data.get("reasoning") or "",
            stop_reason=data.get("stop_reason"),
            raw_stop_reason=data.get("raw_stop_reason"),
            usage=Usage.from_dict(usage) if isinstance(usage, dict) else None,
            provider_metadata=decode_json_value(data.get("provider_metadata") or {}),
            metadata=decode_json_value(data.get("metadata") or {}),
            extra={k: v for k, v in data.items() if k not in _MESSAGE_KEYS},
        )

    def to_json(self) -> str:
        """Compact JSON text of :meth:`to_dict` (one line, suitable for JSON Lines)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> ChatMessage:
        return cls.from_dict(json.loads(text))
