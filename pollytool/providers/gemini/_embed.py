"""Gemini embeddings (``batchEmbedContents``) through ``google-genai``'s ``embed_content``.

* Each text is sent as a ``Content`` of its own. Given plain strings, the SDK merges a list
  into one multi-part content for every model id it takes for multimodal (any ``gemini*``
  id except ``gemini-embedding-001`` / ``-exp``, so ``gemini-embedding-2`` too), which would
  return one vector for all of them.
* ``task_type`` and ``dimensions`` become ``taskType`` and ``outputDimensionality``.
* Gemini normalises only full-length vectors; vectors shortened with ``dimensions`` are scaled
  back to length 1 here, so dot products stay cosine similarities.
* At most 100 texts go in one request (the API's limit for a batch).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from .._embedding import BatchReply, EmbeddingAPI, normalized
from ._transport import close_responses, tracked_responses

if TYPE_CHECKING:
    import httpx2
    from google.genai.client import AsyncClient

    from ...embeddings import EmbeddingRequest
    from .._base import Call, ProviderClient

__all__ = ["GEMINI_EMBEDDINGS"]


async def _send(
    client: ProviderClient[AsyncClient],
    vendor: AsyncClient,
    call: Call,
    req: EmbeddingRequest,
    texts: list[str],
) -> BatchReply:
    from google.genai import types

    from ._client import GeminiClient

    options = cast("GeminiClient", client)._http_options(call)
    config = types.EmbedContentConfig(
        task_type=req.task_type,
        output_dimensionality=req.dimensions,
        http_options=types.HttpOptions.model_validate(options) if options else None,
    )
    contents: Any = [types.Content(parts=[types.Part(text=text)], role="user") for text in texts]
    opened: list[httpx2.Response] = []
    try:
        with tracked_responses(opened):
            response = await vendor.models.embed_content(
                model=call.req.model, contents=contents, config=config
            )
    finally:
        await close_responses(opened)
    vectors = [list(embedding.values or ()) for embedding in response.embeddings or ()]
    if req.dimensions is not None:
        vectors = [normalized(vector) for vector in vectors]
    usage = response.usage_metadata
    return BatchReply(vectors, usage.prompt_token_count if usage is not None else None)


#: Gemini's batch embeddings endpoint.
GEMINI_EMBEDDINGS: EmbeddingAPI[AsyncClient] = EmbeddingAPI(100, 400_000, _send)
