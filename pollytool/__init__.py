"""pollytool: one asyncio-native interface to OpenAI, Anthropic, Gemini and Ollama.

::

    from pollytool import ChatMessage, CompletionRequest, MultiPass

    async with MultiPass() as client:
        req = CompletionRequest("openai/gpt-5.4", [ChatMessage.user("Hello")])
        async for event in client.stream(req):
            ...

Importing pollytool loads no vendor SDK; each provider's SDK is imported when it is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports
from ._version import __version__

if TYPE_CHECKING:
    from .embeddings import EmbeddingRequest, EmbeddingResult
    from .errors import (
        APIConnectionError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        ConfigurationError,
        ContentFilterError,
        ContextLengthError,
        InvalidRequestError,
        MaxIterationsError,
        ModelNotFoundError,
        OverloadedError,
        PollyError,
        ProviderError,
        RateLimitError,
        SchemaValidationError,
        ServerError,
        ToolError,
    )
    from .events import (
        AgentEvent,
        CompleteEvent,
        ContentEvent,
        ErrorEvent,
        EventType,
        ReasoningEvent,
        StreamEvent,
        ToolCallDeltaEvent,
        ToolCallEvent,
        ToolCallStartEvent,
        ToolResultEvent,
        UsageEvent,
    )
    from .llm.router import MultiPass, get_default_client
    from .messages import (
        ChatMessage,
        ChatMessageToolCall,
        FilePart,
        FileURLPart,
        ImagePart,
        ImageURLPart,
        MessageRole,
        StopReason,
        TextPart,
        Usage,
    )
    from .request import CompletionRequest
    from .schema import Schema
    from .sessions.base import SessionMetadata
    from .sessions.file import FileSessionStore
    from .sessions.memory import MemorySessionStore
    from .stream import LLM, EventStream
    from .thinking import Thinking, ThinkingLevel

_EXPORTS = {
    **dict.fromkeys(
        ["ChatMessage", "ChatMessageToolCall", "FilePart", "FileURLPart", "ImagePart",
         "ImageURLPart", "MessageRole", "StopReason", "TextPart", "Usage"],
        "messages",
    ),
    **dict.fromkeys(
        ["AgentEvent", "CompleteEvent", "ContentEvent", "ErrorEvent", "EventType",
         "ReasoningEvent", "StreamEvent", "ToolCallDeltaEvent", "ToolCallEvent",
         "ToolCallStartEvent", "ToolResultEvent", "UsageEvent"],
        "events",
    ),
    **dict.fromkeys(
        ["APIConnectionError", "APIStatusError", "APITimeoutError", "AuthenticationError",
         "ConfigurationError", "ContentFilterError", "ContextLengthError",
         "InvalidRequestError", "MaxIterationsError", "ModelNotFoundError", "OverloadedError",
         "PollyError", "ProviderError", "RateLimitError", "SchemaValidationError",
         "ServerError", "ToolError"],
        "errors",
    ),
    "CompletionRequest": "request",
    "EmbeddingRequest": "embeddings",
    "EmbeddingResult": "embeddings",
    "MultiPass": "llm.router",
    "get_default_client": "llm.router",
    "Schema": "schema",
    "LLM": "stream",
    "EventStream": "stream",
    "Thinking": "thinking",
    "FileSessionStore": "sessions.file",
    "MemorySessionStore": "sessions.memory",
    "SessionMetadata": "sessions.base",
    "ThinkingLevel": "thinking",
}  # fmt: skip

__all__ = [
    "__version__",
    "APIConnectionError",
    "AgentEvent",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "ChatMessage",
    "ChatMessageToolCall",
    "CompleteEvent",
    "CompletionRequest",
    "ConfigurationError",
    "ContentEvent",
    "ContentFilterError",
    "ContextLengthError",
    "EmbeddingRequest",
    "EmbeddingResult",
    "ErrorEvent",
    "EventStream",
    "EventType",
    "FilePart",
    "FileSessionStore",
    "FileURLPart",
    "ImagePart",
    "ImageURLPart",
    "InvalidRequestError",
    "LLM",
    "MaxIterationsError",
    "MemorySessionStore",
    "MessageRole",
    "ModelNotFoundError",
    "MultiPass",
    "OverloadedError",
    "PollyError",
    "ProviderError",
    "RateLimitError",
    "ReasoningEvent",
    "Schema",
    "SchemaValidationError",
    "ServerError",
    "SessionMetadata",
    "StopReason",
    "StreamEvent",
    "TextPart",
    "Thinking",
    "ThinkingLevel",
    "ToolCallDeltaEvent",
    "ToolCallEvent",
    "ToolCallStartEvent",
    "ToolError",
    "ToolResultEvent",
    "Usage",
    "UsageEvent",
    "get_default_client",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
