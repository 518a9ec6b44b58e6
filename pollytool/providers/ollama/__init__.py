"""Ollama: native ``/api/chat`` through the official ``ollama`` SDK.

:class:`OllamaClient` streams by default, maps thinking to ``think``, structured output to a
schema-constrained ``format``, and types every failure (a server that is not running, a model
that is not pulled, a capability the model lacks, a broken stream).
"""

from __future__ import annotations

from ._client import DEFAULT_HOST, OllamaClient

__all__ = ["DEFAULT_HOST", "OllamaClient"]
