"""The Ollama client: native ``/api/chat`` through the official ``ollama`` SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from .._base import CONNECT_TIMEOUT, Call, ProviderClient, Single
from .._embedding import run_embedding
from ._decode import ChatDecoder
from ._embed import OLLAMA_EMBEDDINGS
from ._encode import build_chat_body
from ._errors import map_error

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import ollama

    from ...embeddings import EmbeddingRequest, EmbeddingResult
    from ...errors import PollyError
    from .._accumulator import StreamAccumulator
    from .._decoder import Decoder

__all__ = ["DEFAULT_HOST", "OllamaClient"]

#: Where Ollama listens when nothing else is configured.
DEFAULT_HOST = "http://localhost:11434"
_CHAT_PATH = "/api/chat"


class OllamaClient(ProviderClient["ollama.AsyncClient"]):
    """A client for an Ollama server (local, or hosted with an API key).

    Example::

        async with OllamaClient() as client:
            req = CompletionRequest("qwen3:8b", [ChatMessage.user("Hello")])
            async for event in client.stream(req):
                ...

    Args:
        base_url: the server, e.g. ``http://gpu-box:11434``; ``None`` reads ``OLLAMA_HOST``,
            else uses ``http://localhost:11434``.
        api_key: a key for a hosted Ollama, sent as ``Authorization: Bearer``; ``None`` reads
            ``OLLAMA_API_KEY`` (for the ``OLLAMA_HOST`` it goes with); with neither, no
            ``Authorization`` header is sent.
        max_retries: how often a request that failed with 408, 429 or 5xx or could not
            connect is tried again, before any event was produced, waiting what the server
            asked for (``Retry-After``) or else backing off exponentially (the SDK itself
            never retries).
        timeout: seconds to wait for each piece of the reply (at most 10 s to connect). The
            first request to a model that is not loaded yet waits for it to load. A request's
            own ``timeout`` bounds the whole call.

    The key is never stored in the SDK client: each request sends the key that belongs to it,
    so a request with its own ``base_url`` or ``api_key`` goes through the same connection
    pool without the client's key leaking to another server.

    How requests are encoded and replies decoded is described in
    :mod:`pollytool.providers.ollama._encode` and :mod:`pollytool.providers.ollama._decode`;
    error typing in :mod:`pollytool.providers.ollama._errors`.

    The request body is built here and sent through the SDK's own request machinery
    (``AsyncClient._request``: transport, status errors, NDJSON parsing, in-stream errors),
    asking it for plain dicts instead of typed ``ChatResponse`` chunks, rather than through
    ``AsyncClient.chat``: ``chat`` re-validates tools into a model that silently drops nested
    object properties, ``anyOf``, ``default`` and ``additionalProperties`` from their schemas
    (ollama-python issues 429 and 724), which would make the model call tools with wrong
    arguments, and it builds a typed object per chunk that the decoder does not need.
    ``_request`` is private, so the SDK's version is pinned (``ollama>=0.6.3,<0.7``) and
    ``tests/providers/test_vendor_private_api.py`` fails when it changes.
    """

    provider: ClassVar[str] = "ollama"
    api_key_env: ClassVar[tuple[str, ...]] = ("OLLAMA_API_KEY",)
    base_url_env: ClassVar[tuple[str, ...]] = ("OLLAMA_HOST",)
    requires_key: ClassVar[bool] = False
    base_retries: ClassVar[bool] = True

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        max_retries: int = 2,
        timeout: float = 600.0,
    ) -> None:
        super().__init__(api_key, base_url, max_retries=max_retries, timeout=timeout)

    @property
    def host(self) -> str:
        """The server this client talks to."""
        return self.base_url or DEFAULT_HOST

    def _build_vendor(self) -> ollama.AsyncClient:
        import httpx
        import ollama

        timeout = httpx.Timeout(self.timeout, connect=min(self.timeout, CONNECT_TIMEOUT))
        client = ollama.AsyncClient(host=self.host, timeout=timeout)
        # the SDK adds OLLAMA_API_KEY to every request by itself; keys go per request instead
        client._client.headers.pop("authorization", None)
        return client

    async def _close_vendor(self, vendor: ollama.AsyncClient) -> None:
        await vendor.close()  # type: ignore[no-untyped-call]

    def _encode(self, call: Call) -> dict[str, Any]:
        schema = call.req.response_schema
        return build_chat_body(call.req, schema.json_schema if schema else None)

    async def _open(
        self, vendor: ollama.AsyncClient, call: Call, body: dict[str, Any]
    ) -> AsyncIterator[Any]:
        from ollama._client import _parse_host

        url = _CHAT_PATH
        if call.base_url != self.base_url and call.base_url:
            url = _parse_host(call.base_url) + _CHAT_PATH
        headers = {"authorization": f"Bearer {call.api_key}"} if call.api_key else None
        if call.req.stream:
            return await vendor._request(dict, "POST", url, json=body, stream=True, headers=headers)
        return Single(await vendor._request(dict, "POST", url, json=body, headers=headers))

    def _decoder(
        self, call: Call, body: dict[str, Any], stream: AsyncIterator[Any], acc: StreamAccumulator
    ) -> Decoder:
        return ChatDecoder(acc)

    def _map_error(self, exc: Exception, call: Call) -> PollyError | None:
        host = call.base_url or self.host
        return map_error(exc, host=host, model=call.req.model, secrets=call.secrets)

    async def embed(self, req: EmbeddingRequest) -> EmbeddingResult:
        """One vector per input of *req* (see :mod:`pollytool.embeddings` and
        :mod:`pollytool.providers.ollama._embed`); raises the typed error."""
        return await run_embedding(self, req, OLLAMA_EMBEDDINGS)
