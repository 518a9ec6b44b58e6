"""Google Gemini through the official ``google-genai`` SDK.

:class:`GeminiClient` streams by default (server-sent events) and can fetch a reply in one
piece; it maps thinking to ``thinking_config`` by model family, keeps every thought signature
for the next turn (also across JSON save and load), sends tools and structured output as JSON
Schema in Gemini's dialect, and types every failure.
"""

from __future__ import annotations

from ._client import DEFAULT_API_VERSION, GeminiClient
from ._thinking import ThinkingSupport, thinking_support

__all__ = ["DEFAULT_API_VERSION", "GeminiClient", "ThinkingSupport", "thinking_support"]
