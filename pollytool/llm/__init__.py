"""The ``llm`` package of the seed API: requests, clients, the router and helpers.

Every name is imported on first use, so ``import pollytool.llm`` stays cheap; a provider's
SDK loads when its client class is first touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from ..providers.fake import FakeLLM
    from ..providers.ollama import OllamaClient
    from .request import CompletionRequest, SkillPrompt
    from .router import MultiPass, get_default_client
    from .schema import Schema
    from .stream import LLM, BaseLLM, EventStream
    from .thinking import Thinking, ThinkingLevel

_EXPORTS = {
    "CompletionRequest": "request",
    "SkillPrompt": "request",
    "MultiPass": "router",
    "get_default_client": "router",
    "Schema": "schema",
    "LLM": "stream",
    "BaseLLM": "stream",
    "EventStream": "stream",
    "Thinking": "thinking",
    "ThinkingLevel": "thinking",
    "FakeLLM": "pollytool.providers.fake",
    "OpenAIClient": "pollytool.providers.openai",
    "AnthropicClient": "pollytool.providers.anthropic",
    "GeminiClient": "pollytool.providers.gemini",
    "OllamaClient": "pollytool.providers.ollama",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
