"""OpenAI embeddings (``POST /v1/embeddings``), also for OpenAI-compatible servers.

Floats are asked for explicitly (``encoding_format="float"``): without it the SDK requests
base64 and decodes it itself. A server that answers with base64 anyway (some compatible
servers, and recordings made with the SDK's default) is decoded here, as little-endian
float32. At most 2048 inputs go in one request (OpenAI's limit), and about 300,000
characters (OpenAI limits a request to 300,000 tokens).
"""

from __future__ import annotations

import base64
import sys
from array import array
from typing import TYPE_CHECKING, Any

from .._embedding import BatchReply, EmbeddingAPI
from .._stainless import for_call

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from ...embeddings import EmbeddingRequest
    from .._base import Call, ProviderClient

__all__ = ["OPENAI_EMBEDDINGS"]


def _floats(embedding: Any) -> list[float]:
    if not isinstance(embedding, str):
        return [float(x) for x in embedding]
    values = array("f")
    values.frombytes(base64.b64decode(embedding))
    if sys.byteorder == "big":
        values.byteswap()
    return values.tolist()


async def _send(
    client: ProviderClient[AsyncOpenAI],
    vendor: AsyncOpenAI,
    call: Call,
    req: EmbeddingRequest,
    texts: list[str],
) -> BatchReply:
    params: dict[str, Any] = {"model": call.req.model, "input": texts, "encoding_format": "float"}
    if req.dimensions is not None:
        params["dimensions"] = req.dimensions
    response = await for_call(client, vendor, call).embeddings.create(**params)
    data = sorted(response.data, key=lambda item: item.index)
    usage = response.usage
    return BatchReply([_floats(item.embedding) for item in data],
                      usage.prompt_tokens if usage is not None else None)  # fmt: skip


#: OpenAI's embeddings endpoint.
OPENAI_EMBEDDINGS: EmbeddingAPI[AsyncOpenAI] = EmbeddingAPI(2048, 300_000, _send)
