"""Ollama embeddings: ``POST /api/embed`` (not the deprecated single-text
``/api/embeddings``).

The body is ``{"model", "input": [texts], "dimensions"?}``; the reply's ``embeddings`` are in
input order and ``prompt_eval_count`` counts the input tokens. The request goes through the
SDK's own request machinery like chat does (see :class:`~pollytool.providers.ollama.OllamaClient`),
so a request's own base URL and key are honoured on the client's connection pool. Ollama sets
no limit on a batch; 512 texts per request keep one slow request from holding up the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._embedding import BatchReply, EmbeddingAPI

if TYPE_CHECKING:
    import ollama

    from ...embeddings import EmbeddingRequest
    from .._base import Call, ProviderClient

__all__ = ["OLLAMA_EMBEDDINGS"]

_EMBED_PATH = "/api/embed"


async def _send(
    client: ProviderClient[ollama.AsyncClient],
    vendor: ollama.AsyncClient,
    call: Call,
    req: EmbeddingRequest,
    texts: list[str],
) -> BatchReply:
    import ollama
    from ollama._client import _parse_host

    body: dict[str, Any] = {"model": call.req.model, "input": texts}
    if req.dimensions is not None:
        body["dimensions"] = req.dimensions
    url = _EMBED_PATH
    if call.base_url != client.base_url and call.base_url:
        url = _parse_host(call.base_url) + _EMBED_PATH
    headers = {"authorization": f"Bearer {call.api_key}"} if call.api_key else None
    response = await vendor._request(ollama.EmbedResponse, "POST", url, json=body, headers=headers)
    vectors = [[float(x) for x in vector] for vector in response.embeddings]
    return BatchReply(vectors, response.prompt_eval_count)


#: Ollama's batch embeddings endpoint.
OLLAMA_EMBEDDINGS: EmbeddingAPI[ollama.AsyncClient] = EmbeddingAPI(512, 1_000_000, _send)
