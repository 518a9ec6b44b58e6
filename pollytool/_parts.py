"""Content and response parts of messages, and the JSON form of the bytes they hold.

Re-exported by :mod:`pollytool.messages`, where they are documented with the messages.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self, TypeAlias

from .errors import ConfigurationError

__all__ = [
    "ContentPart",
    "FilePart",
    "FileURLPart",
    "ImagePart",
    "ImageURLPart",
    "ReasoningPart",
    "ResponsePart",
    "TextPart",
    "ToolCallPart",
    "UnknownPart",
    "decode_json_value",
    "encode_json_value",
    "part_from_dict",
    "response_part_from_dict",
]


_BYTES_TAG = "__bytes__"
_DICT_TAG = "__pollytool_dict__"


def encode_json_value(value: Any) -> Any:
    """Turn nested data into JSON-safe data; ``bytes`` become ``{"__bytes__": base64}``, and a
    dict of your own that has one of these tag keys is escaped as
    ``{"__pollytool_dict__": {...}}`` so it reads back as itself."""
    if isinstance(value, bytes | bytearray):
        return {_BYTES_TAG: base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        encoded = {str(k): encode_json_value(v) for k, v in value.items()}
        return {_DICT_TAG: encoded} if _BYTES_TAG in encoded or _DICT_TAG in encoded else encoded
    if isinstance(value, list | tuple):
        return [encode_json_value(v) for v in value]
    return value


def decode_json_value(value: Any) -> Any:
    """Inverse of :func:`encode_json_value`."""
    if isinstance(value, dict):
        if len(value) == 1:
            tag, inner = next(iter(value.items()))
            if tag == _BYTES_TAG and isinstance(inner, str):
                return base64.b64decode(inner)
            if tag == _DICT_TAG and isinstance(inner, dict):
                return {k: decode_json_value(v) for k, v in inner.items()}
        return {k: decode_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_json_value(v) for v in value]
    return value


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --------------------------------------------------------------------------- content parts


def _with_provider_data(out: dict[str, Any], provider_data: dict[str, Any]) -> dict[str, Any]:
    if provider_data:
        out["provider_data"] = encode_json_value(provider_data)
    return out


def _provider_data(data: dict[str, Any]) -> dict[str, Any]:
    value = data.pop("provider_data", None)
    return decode_json_value(value) if isinstance(value, dict) else {}


@dataclass(slots=True)
class TextPart:
    """A piece of text. In an assistant message's ``response_parts``, ``provider_data`` holds
    what the provider attached to it (a Gemini thought signature), keyed by provider name."""

    text: str
    extra: dict[str, Any] = field(default_factory=dict, repr=False)
    provider_data: dict[str, Any] = field(default_factory=dict, repr=False)

    kind: ClassVar[str] = "text"

    def to_dict(self) -> dict[str, Any]:
        return _with_provider_data(
            {**self.extra, "type": self.kind, "text": self.text}, self.provider_data
        )

    @classmethod
    def _from_fields(cls, data: dict[str, Any]) -> Self:
        provider_data = _provider_data(data)
        return cls(data.pop("text"), extra=data, provider_data=provider_data)


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


@dataclass(slots=True)
class UnknownPart:
    """A part of a kind this version of pollytool does not know (written by a newer one),
    kept as it was read so that saving the message writes it back unchanged. It cannot be
    sent to a provider (the request says so)."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)

    kind: ClassVar[str] = "unknown"

    @property
    def text(self) -> str:
        """The text this version can read in it: none."""
        return ""

    def to_dict(self) -> dict[str, Any]:
        return {**self.data, "type": self.type}

    def unsendable(self) -> ConfigurationError:
        """The error for trying to send it."""
        return ConfigurationError(
            f"a message has a {self.type!r} part, which this version of pollytool cannot "
            "send; it was probably written by a newer version"
        )


ContentPart: TypeAlias = TextPart | ImageURLPart | ImagePart | FilePart | FileURLPart | UnknownPart

_PART_KINDS: dict[str, Any] = {
    cls.kind: cls for cls in (TextPart, ImageURLPart, ImagePart, FilePart, FileURLPart)
}


def part_from_dict(data: dict[str, Any]) -> ContentPart:
    """Rebuild a content part written by its ``to_dict`` (an unknown kind is kept as an
    :class:`UnknownPart`)."""
    fields = dict(data)
    kind = fields.pop("type", None)
    cls = _PART_KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        return UnknownPart(str(kind), fields)
    part: ContentPart = cls._from_fields(fields)
    return part


# --------------------------------------------------------------------------- response parts


@dataclass(slots=True)
class ReasoningPart:
    """A piece of the model's reasoning, in an assistant message's ``response_parts``.

    ``provider_data`` holds, keyed by provider name, what the provider needs to accept it back
    (Anthropic's ``signature`` or ``redacted_data``, Gemini's ``thought_signature``, an OpenAI
    Responses reasoning item); a part with such data is sent back exactly as it was received.
    """

    text: str = ""
    provider_data: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    kind: ClassVar[str] = "reasoning"

    @property
    def opaque(self) -> bool:
        """Whether a provider attached data to it (then it is replayed as received)."""
        return any(self.provider_data.values())

    def to_dict(self) -> dict[str, Any]:
        return _with_provider_data(
            {**self.extra, "type": self.kind, "text": self.text}, self.provider_data
        )

    @classmethod
    def _from_fields(cls, data: dict[str, Any]) -> Self:
        provider_data = _provider_data(data)
        return cls(str(data.pop("text", "")), provider_data, extra=data)


@dataclass(slots=True)
class ToolCallPart:
    """Where a tool call stood in the reply, in an assistant message's ``response_parts``;
    the call itself (with its own provider data) is the one in ``tool_calls`` with this id."""

    id: str

    kind: ClassVar[str] = "tool_call"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "id": self.id}

    @classmethod
    def _from_fields(cls, data: dict[str, Any]) -> Self:
        return cls(str(data.get("id", "")))


ResponsePart: TypeAlias = TextPart | ReasoningPart | ToolCallPart | UnknownPart

_RESPONSE_KINDS: dict[str, Any] = {cls.kind: cls for cls in (TextPart, ReasoningPart, ToolCallPart)}


def response_part_from_dict(data: dict[str, Any]) -> ResponsePart:
    """Rebuild a response part written by its ``to_dict`` (an unknown kind is kept as an
    :class:`UnknownPart`)."""
    fields = dict(data)
    kind = fields.pop("type", None)
    cls = _RESPONSE_KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        return UnknownPart(str(kind), fields)
    part: ResponsePart = cls._from_fields(fields)
    return part
