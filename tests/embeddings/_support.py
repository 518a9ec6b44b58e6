"""Clients of the three embedding providers pointed at the loopback server, and the recorded
embedding exchanges."""

from __future__ import annotations

import json
from typing import Any

from pollytool.providers.gemini import GeminiClient
from pollytool.providers.ollama import OllamaClient
from pollytool.providers.openai import OpenAIClient
from tests.fakes.cassettes import load_cassette

__all__ = ["KEYS", "PATHS", "EmbeddingClient", "client_for", "recorded", "response_json"]

KEYS = {
    "openai": "sk-embed-test-0123456789abcdef",
    "gemini": "AIzaEmbedTestKey0123456789abcdefgh",
    "ollama": "ollama-embed-key-0123456789",
}

#: The embeddings path of each provider (Gemini's names the model).
PATHS = {
    "openai": "/v1/embeddings",
    "gemini": "/v1beta/models/{model}:batchEmbedContents",
    "ollama": "/api/embed",
}


EmbeddingClient = OpenAIClient | GeminiClient | OllamaClient


def client_for(provider: str, url: str, **settings: Any) -> EmbeddingClient:
    """The provider's client for the loopback server at *url* (retries off unless given)."""
    settings.setdefault("max_retries", 0)
    settings.setdefault("api_key", KEYS[provider])
    if provider == "openai":
        return OpenAIClient(base_url=url + "/v1", **settings)
    if provider == "gemini":
        return GeminiClient(base_url=url, **settings)
    return OllamaClient(base_url=url, **settings)


def recorded(cassette_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The cassette and its single interaction."""
    cassette = load_cassette(cassette_id)
    (interaction,) = cassette["interactions"]
    return cassette, interaction


def response_json(interaction: dict[str, Any]) -> Any:
    return json.loads(interaction["response"]["body"])
