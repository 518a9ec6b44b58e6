"""What MCP servers return, as pollytool values: tool results, resource contents, prompts.

A tool result becomes an :class:`MCPToolResult`: the text the model reads (text blocks joined,
short notes for images, audio, resource links and embedded resources, the structured content
as JSON when there is no text), the images as ``(bytes, mime_type)`` pairs the agent attaches
to the tool message, and everything else kept for the caller (structured content, audio,
embedded resources, links). Prompt messages become :class:`~pollytool.messages.ChatMessage`
objects ready to put into a request.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import mcp_types as types

from ..messages import ChatMessage, ContentPart, FilePart, ImagePart, MessageRole
from ..tools.base import ToolOutput

__all__ = [
    "MCPPrompt",
    "MCPResourceContents",
    "MCPResourceLink",
    "MCPToolResult",
]


@dataclass(frozen=True, slots=True)
class MCPResourceContents:
    """The contents of a resource: ``text``, or ``blob`` bytes (decoded from base64)."""

    uri: str
    mime_type: str | None = None
    text: str | None = None
    blob: bytes | None = field(default=None, repr=False)

    def describe(self) -> str:
        """How the model is told about these contents inside a tool result."""
        if self.text is not None:
            return f"[resource {self.uri}]\n{self.text}"
        size = len(self.blob or b"")
        return f"[resource {self.uri}: {self.mime_type or 'binary'}, {size} bytes]"


@dataclass(frozen=True, slots=True)
class MCPResourceLink:
    """A tool's pointer to a resource the client may read with ``read_resource(uri)``."""

    uri: str
    name: str
    description: str | None = None
    mime_type: str | None = None

    def describe(self) -> str:
        about = f": {self.description}" if self.description else ""
        return f"[resource link {self.name} <{self.uri}>{about}]"


@dataclass(slots=True)
class MCPToolResult:
    """One tool call's result.

    Attributes:
        text: what the model reads.
        is_error: the tool reported a failure (``isError``).
        structured: the ``structuredContent`` JSON value, when the tool sent one.
        images: images as ``(bytes, mime_type)``; the agent attaches them to the tool message.
        audio: audio clips as ``(bytes, mime_type)`` (kept for the caller; models get a note).
        resources: resources embedded in the result.
        links: resource links in the result.
    """

    text: str
    is_error: bool = False
    structured: Any = None
    images: list[tuple[bytes, str]] = field(default_factory=list)
    audio: list[tuple[bytes, str]] = field(default_factory=list)
    resources: list[MCPResourceContents] = field(default_factory=list)
    links: list[MCPResourceLink] = field(default_factory=list)

    def to_tool_output(self) -> ToolOutput:
        """The result as a :class:`~pollytool.tools.ToolOutput` (``data`` is this object)."""
        return ToolOutput(self.text, is_error=self.is_error, images=list(self.images), data=self)


@dataclass(slots=True)
class MCPPrompt:
    """A prompt the server rendered: its description and its messages."""

    description: str | None
    messages: list[ChatMessage]


# --------------------------------------------------------------------------- conversion


def tool_result(result: types.CallToolResult) -> MCPToolResult:
    """Convert the SDK's ``CallToolResult``."""
    out = MCPToolResult("", is_error=bool(result.is_error), structured=result.structured_content)
    texts: list[str] = []
    for block in result.content:
        match block:
            case types.TextContent():
                texts.append(block.text)
            case types.ImageContent():
                out.images.append((_decode(block.data), block.mime_type))
                texts.append(f"[image {block.mime_type} attached]")
            case types.AudioContent():
                out.audio.append((_decode(block.data), block.mime_type))
                texts.append(f"[audio {block.mime_type} not shown]")
            case types.ResourceLink():
                link = MCPResourceLink(block.uri, block.name, block.description, block.mime_type)
                out.links.append(link)
                texts.append(link.describe())
            case types.EmbeddedResource():
                contents = resource_contents(block.resource)
                out.resources.append(contents)
                texts.append(contents.describe())
    has_text = any(isinstance(block, types.TextContent) for block in result.content)
    if not has_text and out.structured is not None:
        texts.insert(0, json.dumps(out.structured, ensure_ascii=False))
    out.text = "\n".join(texts)
    return out


def resource_contents(
    contents: types.TextResourceContents | types.BlobResourceContents,
) -> MCPResourceContents:
    """Convert one item of a resource read."""
    if isinstance(contents, types.TextResourceContents):
        return MCPResourceContents(contents.uri, contents.mime_type, text=contents.text)
    return MCPResourceContents(contents.uri, contents.mime_type, blob=_decode(contents.blob))


def prompt(result: types.GetPromptResult) -> MCPPrompt:
    """Convert a rendered prompt: one :class:`ChatMessage` per prompt message."""
    return MCPPrompt(result.description, [_prompt_message(m) for m in result.messages])


def _prompt_message(message: types.PromptMessage) -> ChatMessage:
    role = MessageRole.ASSISTANT if message.role == "assistant" else MessageRole.USER
    parts: list[ContentPart] = []
    text = ""
    match block := message.content:
        case types.TextContent():
            text = block.text
        case types.ImageContent():
            parts.append(ImagePart(_decode(block.data), block.mime_type))
        case types.AudioContent():
            text = f"[audio {block.mime_type} not shown]"
        case types.ResourceLink():
            text = MCPResourceLink(block.uri, block.name, block.description).describe()
        case types.EmbeddedResource():
            contents = resource_contents(block.resource)
            mime = contents.mime_type or "application/octet-stream"
            if contents.text is not None:
                text = contents.text
            elif mime.startswith("image/"):
                parts.append(ImagePart(contents.blob or b"", mime))
            else:
                name = contents.uri.rstrip("/").rsplit("/", 1)[-1] or "resource"
                parts.append(FilePart(contents.blob or b"", mime, name))
    return ChatMessage(role, text, parts)


def _decode(data: str) -> bytes:
    """Base64 as servers send it (padding is sometimes missing)."""
    return base64.b64decode(data + "=" * (-len(data) % 4))
