"""The ``llm`` package of the seed API: requests, clients, the router, the tool loop, helpers.

Every name is imported on first use, so ``import pollytool.llm`` stays cheap; a provider's
SDK loads when its client class is first touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from ..embeddings import Embedder, EmbeddingRequest, EmbeddingResult
    from ..providers.anthropic import AnthropicClient
    from ..providers.fake import FakeLLM
    from ..providers.gemini import GeminiClient
    from ..providers.ollama import OllamaClient
    from ..providers.openai import OpenAIClient
    from ..request import CompletionRequest, SkillPrompt
    from ..schema import Schema
    from ..stream import LLM, BaseLLM, EventStream
    from ..thinking import Thinking, ThinkingLevel
    from ..tools.function import tool
    from ..tools.registry import ToolRegistry
    from .agent import Agent, AgentResult, AgentStream
    from .builder import CompletionBuilder
    from .embeddings import embed
    from .helpers import (
        TextStream,
        chat_with_history,
        quick_complete,
        shared_client,
        stream_complete,
        stream_text,
    )
    from .router import MultiPass, get_default_client
    from .structured import StructuredStream, structured_complete, structured_stream

__all__ = [
    "LLM",
    "Agent",
    "AgentResult",
    "AgentStream",
    "AnthropicClient",
    "BaseLLM",
    "CompletionBuilder",
    "CompletionRequest",
    "Embedder",
    "EmbeddingRequest",
    "EmbeddingResult",
    "EventStream",
    "FakeLLM",
    "GeminiClient",
    "MultiPass",
    "OllamaClient",
    "OpenAIClient",
    "Schema",
    "StructuredStream",
    "SkillPrompt",
    "TextStream",
    "Thinking",
    "ThinkingLevel",
    "ToolRegistry",
    "chat_with_history",
    "embed",
    "get_default_client",
    "quick_complete",
    "shared_client",
    "stream_complete",
    "stream_text",
    "structured_complete",
    "structured_stream",
    "tool",
]

_EXPORTS = {
    "Agent": "agent",
    "AgentResult": "agent",
    "AgentStream": "agent",
    "CompletionBuilder": "builder",
    "Embedder": "pollytool.embeddings",
    "EmbeddingRequest": "pollytool.embeddings",
    "EmbeddingResult": "pollytool.embeddings",
    "embed": "embeddings",
    "TextStream": "helpers",
    "chat_with_history": "helpers",
    "quick_complete": "helpers",
    "shared_client": "helpers",
    "stream_complete": "helpers",
    "stream_text": "helpers",
    "CompletionRequest": "pollytool.request",
    "SkillPrompt": "pollytool.request",
    "MultiPass": "router",
    "get_default_client": "router",
    "Schema": "pollytool.schema",
    "LLM": "pollytool.stream",
    "BaseLLM": "pollytool.stream",
    "EventStream": "pollytool.stream",
    "StructuredStream": "structured",
    "structured_complete": "structured",
    "structured_stream": "structured",
    "Thinking": "pollytool.thinking",
    "ThinkingLevel": "pollytool.thinking",
    "tool": "pollytool.tools.function",
    "ToolRegistry": "pollytool.tools.registry",
    "FakeLLM": "pollytool.providers.fake",
    "OpenAIClient": "pollytool.providers.openai",
    "AnthropicClient": "pollytool.providers.anthropic",
    "GeminiClient": "pollytool.providers.gemini",
    "OllamaClient": "pollytool.providers.ollama",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
