"""The Ollama client: native ``/api/chat`` through the official ``ollama`` SDK."""

from __future__ import annotations

import os
from contextlib import aclosing, asynccontextmanager
from typing import TYPE_CHECKING, ClassVar

import httpx
import ollama

from ...errors import PollyError, StreamInterruptedError
from .._base import ProviderClient
from ._decode import ChatDecoder
from ._encode import build_chat_body
from ._errors import display_host, map_error

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

    from ...events import StreamEvent
    from ...request import CompletionRequest
    from .._accumulator import StreamAccumulator

__all__ = ["DEFAULT_HOST", "OllamaClient"]

#: Where Ollama listens when nothing else is configured.
DEFAULT_HOST = "http://localhost:11434"


class OllamaClient(ProviderClient):
    """A client for an Ollama server (local, or hosted with an API key).

    Example::

        async with OllamaClient() as client:
            req = CompletionRequest("qwen3:8b", [ChatMessage.user("Hello")])
            async for event in client.stream(req):
                ...

    Args:
        base_url: the server, e.g. ``http://gpu-box:11434``. Without it the client reads
            ``POLLYTOOL_OLLAMA_BASEURL``, then ``OLLAMA_HOST`` (when it is constructed),
            else uses ``http://localhost:11434``.
        api_key: a key for a hosted Ollama, sent as ``Authorization: Bearer``. Without it the
            client reads ``OLLAMA_API_KEY`` (Ollama's own variable) when it is constructed;
            with neither, no ``Authorization`` header is sent. The key is never shown in
            errors or reprs.
        timeout: seconds to wait for the connection and for each piece of the reply (the
            SDK itself has no timeout). The first request to a model that is not loaded yet
            waits for it to load. A request's own ``timeout`` bounds the whole call.

    One SDK client (one connection pool) is created on first use and closed by
    :meth:`aclose`; the client can be used again afterwards. A request with its own
    ``base_url`` or ``api_key`` uses a separate connection for that request only.

    How requests are encoded and replies decoded is described in
    :mod:`pollytool.providers.ollama._encode` and :mod:`pollytool.providers.ollama._decode`;
    error typing in :mod:`pollytool.providers.ollama._errors`.

    The request body is built here and sent through the SDK's own request machinery
    (``AsyncClient._request``: transport, status errors, NDJSON parsing, typed
    ``ChatResponse`` chunks) rather than through ``AsyncClient.chat``, because ``chat``
    re-validates tools into a model that silently drops nested object properties, ``anyOf``,
    ``default`` and ``additionalProperties`` from their schemas (ollama-python issues 429 and
    724), which would make the model call tools with wrong arguments.
    """

    provider: ClassVar[str] = "ollama"

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 600.0,
    ) -> None:
        super().__init__(api_key=api_key or os.environ.get("OLLAMA_API_KEY") or None)
        self._host = (
            base_url
            or os.environ.get("POLLYTOOL_OLLAMA_BASEURL")
            or os.environ.get("OLLAMA_HOST")
            or DEFAULT_HOST
        )
        self._timeout = timeout
        self._client: ollama.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"OllamaClient(host={display_host(self._host)!r})"

    @property
    def host(self) -> str:
        """The server this client talks to."""
        return self._host

    async def aclose(self) -> None:
        """Close the connection pool. The client opens a new one if used again."""
        client, self._client = self._client, None
        if client is not None:
            await _close(client)

    # ------------------------------------------------------------------ the SDK client

    def _new_sdk_client(self, host: str, api_key: str | None) -> ollama.AsyncClient:
        headers = {"authorization": f"Bearer {api_key}"} if api_key else None
        timeout = httpx.Timeout(self._timeout, connect=min(self._timeout, 10.0))
        return ollama.AsyncClient(host=host, timeout=timeout, headers=headers)

    @asynccontextmanager
    async def _sdk_client(self, req: CompletionRequest) -> AsyncIterator[ollama.AsyncClient]:
        """The shared SDK client, or a one-off one for a request's own base URL or key."""
        if req.base_url is None and req.api_key is None:
            if self._client is None:
                self._client = self._new_sdk_client(self._host, self._api_key)
            yield self._client
            return
        client = self._new_sdk_client(req.base_url or self._host, req.api_key or self._api_key)
        try:
            yield client
        finally:
            await _close(client)

    # ------------------------------------------------------------------ the call

    async def _events(
        self, req: CompletionRequest, acc: StreamAccumulator
    ) -> AsyncGenerator[StreamEvent, None]:
        schema = req.response_schema
        body = build_chat_body(req, schema.json_schema if schema else None)
        decoder = ChatDecoder(acc)
        secrets = (*self._secrets(), *((req.api_key,) if req.api_key else ()))
        try:
            async with self._sdk_client(req) as client:
                if req.stream:
                    chunks = await client._request(
                        ollama.ChatResponse, "POST", "/api/chat", json=body, stream=True
                    )
                    async with aclosing(chunks):  # type: ignore[type-var]
                        async for chunk in chunks:
                            for event in decoder.feed(chunk):
                                yield event
                else:
                    chunk = await client._request(
                        ollama.ChatResponse, "POST", "/api/chat", json=body
                    )
                    for event in decoder.feed(chunk):
                        yield event
        except PollyError:
            raise
        except Exception as exc:
            host = req.base_url or self._host
            raise map_error(exc, host=host, model=req.model, secrets=secrets) from exc
        if not decoder.done:
            raise StreamInterruptedError(
                "the reply ended before Ollama's final message (done: true)",
                provider=self.provider,
            )

    def _map_error(self, exc: Exception) -> PollyError:
        return map_error(exc, host=self._host, model=None, secrets=self._secrets())


async def _close(client: ollama.AsyncClient) -> None:
    """Close an SDK client's connection pool (``close`` is untyped in the SDK)."""
    await client.close()  # type: ignore[no-untyped-call]
