"""``-f`` attachments: text files, images, PDFs and URLs turned into message parts.

The kind is read from the content (magic bytes), not trusted from a name or a server:

- text (UTF-8, no NUL bytes): sent as text inside ``<file name="...">`` so the model sees the
  file's name; at most :data:`MAX_TEXT_BYTES`;
- PNG, JPEG, GIF, WebP: sent as images, preceded by a line naming the file; at most
  :data:`MAX_IMAGE_BYTES`;
- PDF: sent as a document with its file name; at most :data:`MAX_DOCUMENT_BYTES`.

Directories, missing files and other binaries are rejected with an
:class:`~pollytool.cli._errors.AttachmentError` naming the file and what is accepted. URLs
(``http://``, ``https://``) are downloaded with a :data:`DOWNLOAD_TIMEOUT` and stop at
:data:`MAX_DOWNLOAD_BYTES`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal
from urllib.parse import unquote, urlsplit

import anyio

from ..messages import ChatMessage, ContentPart, FilePart, ImagePart, TextPart
from ._errors import AttachmentError

__all__ = [
    "DOWNLOAD_TIMEOUT",
    "MAX_DOCUMENT_BYTES",
    "MAX_DOWNLOAD_BYTES",
    "MAX_IMAGE_BYTES",
    "MAX_TEXT_BYTES",
    "Attachment",
    "load_attachments",
    "text_block",
]

MiB = 1024 * 1024
MAX_TEXT_BYTES = 1 * MiB
MAX_IMAGE_BYTES = 20 * MiB
MAX_DOCUMENT_BYTES = 32 * MiB
MAX_DOWNLOAD_BYTES = MAX_DOCUMENT_BYTES
DOWNLOAD_TIMEOUT = 30.0

Kind = Literal["text", "image", "pdf"]

_LIMITS: dict[Kind, int] = {
    "text": MAX_TEXT_BYTES,
    "image": MAX_IMAGE_BYTES,
    "pdf": MAX_DOCUMENT_BYTES,
}
_ACCEPTED = "UTF-8 text, PNG, JPEG, GIF, WebP or PDF"


@dataclass(frozen=True, slots=True)
class Attachment:
    """One loaded attachment."""

    name: str
    kind: Kind
    mime_type: str
    data: bytes

    def parts(self) -> list[ContentPart]:
        """The message parts that carry it, the file's name always visible to the model."""
        if self.kind == "text":
            return [TextPart(text_block(self.name, self.data.decode("utf-8-sig")))]
        if self.kind == "image":
            return [TextPart(f"[image: {self.name}]"), ImagePart(self.data, self.mime_type)]
        return [FilePart(self.data, self.mime_type, self.name)]

    def message(self) -> ChatMessage:
        """A user message holding just this attachment (``--add``)."""
        parts = self.parts()
        if isinstance(parts[0], TextPart) and len(parts) == 1:
            return ChatMessage.user(parts[0].text)
        return ChatMessage.user("", *parts)


def text_block(name: str, text: str) -> str:
    """*text* wrapped so the model knows which file it comes from."""
    body = text if text.endswith("\n") else text + "\n"
    return f'<file name="{name}">\n{body}</file>'


def _sniff(data: bytes) -> tuple[Kind, str] | None:
    """The kind and MIME type of *data* from its first bytes, ``None`` if not accepted."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image", "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image", "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image", "image/webp"
    if data.startswith(b"%PDF-"):
        return "pdf", "application/pdf"
    if b"\x00" in data:
        return None
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return "text", "text/plain"


def _classify(name: str, data: bytes, where: str) -> Attachment:
    found = _sniff(data)
    if found is None:
        raise AttachmentError(f"cannot attach {where}: not {_ACCEPTED}")
    kind, mime = found
    limit = _LIMITS[kind]
    if len(data) > limit:
        raise AttachmentError(
            f"cannot attach {where}: {_size(len(data))} is over the {_size(limit)} limit "
            f"for {kind} attachments"
        )
    return Attachment(name, kind, mime, data)


def _size(count: int) -> str:
    """A limit (whole MiB) or a file size (bytes) as people read it."""
    if count % MiB == 0:
        return f"{count // MiB} MiB"
    return f"{count:,} bytes"


async def _load_file(spec: str) -> Attachment:
    path = await anyio.Path(spec).expanduser()
    where = repr(spec)
    try:
        info = await path.stat()
    except FileNotFoundError:
        raise AttachmentError(f"cannot attach {where}: no such file") from None
    except OSError as exc:
        raise AttachmentError(f"cannot attach {where}: {exc.strerror}") from None
    if await path.is_dir():
        raise AttachmentError(f"cannot attach {where}: it is a directory; attach files in it")
    if info.st_size > max(_LIMITS.values()):
        raise AttachmentError(
            f"cannot attach {where}: {_size(info.st_size)} is larger than any attachment may be "
            f"({_size(max(_LIMITS.values()))})"
        )
    try:
        data = await path.read_bytes()
    except OSError as exc:
        raise AttachmentError(f"cannot attach {where}: {exc.strerror}") from None
    return _classify(path.name, data, where)


async def _download(url: str) -> Attachment:
    import httpx

    name = unquote(PurePosixPath(urlsplit(url).path).name) or "download"
    where = repr(url)
    try:
        async with (
            httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT, follow_redirects=True) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise AttachmentError(
                    f"cannot attach {where}: the server answered {response.status_code}"
                )
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > MAX_DOWNLOAD_BYTES:
                raise AttachmentError(
                    f"cannot attach {where}: {_size(int(declared))} is over the "
                    f"{_size(MAX_DOWNLOAD_BYTES)} download limit"
                )
            data = bytearray()
            async for piece in response.aiter_bytes():
                data += piece
                if len(data) > MAX_DOWNLOAD_BYTES:
                    raise AttachmentError(
                        f"cannot attach {where}: the download is over the "
                        f"{_size(MAX_DOWNLOAD_BYTES)} limit"
                    )
    except httpx.TimeoutException:
        raise AttachmentError(
            f"cannot attach {where}: no answer within {DOWNLOAD_TIMEOUT:g}s"
        ) from None
    except httpx.HTTPError as exc:
        raise AttachmentError(f"cannot attach {where}: download failed ({exc})") from None
    return _classify(name, bytes(data), where)


def _is_url(spec: str) -> bool:
    return urlsplit(spec).scheme.lower() in ("http", "https")


async def load_attachments(specs: Sequence[str]) -> list[Attachment]:
    """Load every ``-f`` value, in order; the first that cannot be attached raises
    :class:`~pollytool.cli._errors.AttachmentError`."""
    return [await (_download(spec) if _is_url(spec) else _load_file(spec)) for spec in specs]
