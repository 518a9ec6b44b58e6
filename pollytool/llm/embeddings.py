"""``embed``: vectors for texts in one call, through the router or any embeddings client.

::

    from pollytool.llm import embed

    result = await embed("openai/text-embedding-3-small", ["a text", "another"])
    for text, vector in zip(texts, result.vectors):
        ...
    query = (await embed("gemini/gemini-embedding-001", "a query",
                         task_type="RETRIEVAL_QUERY", dimensions=768)).vector
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..embeddings import Embedder, EmbeddingRequest, EmbeddingResult
from ..errors import UnsupportedFeatureError
from .helpers import shared_client

__all__ = ["embed"]

if TYPE_CHECKING:
    from ..stream import LLM


async def embed(
    model: str,
    inputs: Sequence[str] | str,
    dimensions: int | None = None,
    task_type: str | None = None,
    *,
    client: Embedder | LLM | None = None,
    **request_fields: Any,
) -> EmbeddingResult:
    """The vectors of *inputs*, one per text and in their order (a single ``str`` gives one
    vector: ``result.vector``).

    *model* is ``"provider/model"`` for the router (the default: the one
    :func:`~pollytool.llm.shared_client` returns), or the bare name for a provider client
    passed as *client*. Extra keyword arguments become
    :class:`~pollytool.embeddings.EmbeddingRequest` fields (``timeout``, ``base_url``,
    ``api_key``). Failures raise the typed :mod:`pollytool.errors` exception; a client or
    provider without an embeddings API raises
    :class:`~pollytool.errors.UnsupportedFeatureError`.
    """
    req = EmbeddingRequest(model, inputs, dimensions, task_type, **request_fields)
    target: object = client if client is not None else shared_client()
    if not isinstance(target, Embedder):
        provider = str(getattr(target, "provider", "") or type(target).__name__)
        raise UnsupportedFeatureError(
            f"{type(target).__name__} has no embeddings API; use an OpenAI, Gemini or Ollama "
            "client, or the router with an openai/, gemini/ or ollama/ model",
            provider=provider,
            feature="embeddings",
        )
    return await target.embed(req)
