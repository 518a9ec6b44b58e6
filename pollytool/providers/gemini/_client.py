"""The Gemini client: the Gemini API through the official ``google-genai`` SDK."""

from __future__ import annotations

import math
import os
from contextlib import aclosing, asynccontextmanager
from typing import TYPE_CHECKING, ClassVar, cast

import httpx2
from google import genai
from google.genai import types

from ...errors import MissingAPIKeyError, PollyError
from .._base import ProviderClient
from ._decode import ResponseDecoder
from ._encode import encode_request
from ._errors import map_error
from ._transport import TrackingTransport, close_responses, tracked_responses

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

    from google.genai.client import AsyncClient
    from google.genai.types import GenerateContentResponse

    from ...events import StreamEvent
    from ...request import CompletionRequest
    from .._accumulator import StreamAccumulator

__all__ = ["DEFAULT_API_VERSION", "GeminiClient"]

#: The API version used unless another is given: ``v1beta`` is where Gemini offers JSON-schema
#: tool parameters and structured output (``parametersJsonSchema``, ``responseJsonSchema``).
DEFAULT_API_VERSION = "v1beta"

#: Status codes the SDK retries (with exponential backoff and jitter).
_RETRY_STATUSES = [408, 429, 500, 502, 503, 504]


class GeminiClient(ProviderClient):
    """A client for the Gemini API.

    Example::

        async with GeminiClient(api_key) as client:
            req = CompletionRequest("gemini-2.5-flash", [ChatMessage.user("Hello")])
            async for event in client.stream(req):
                ...

    Args:
        api_key: the Gemini API key, sent as ``x-goog-api-key``. Without it the client reads
            ``GOOGLE_API_KEY``, then ``GEMINI_API_KEY`` (when it is constructed). Never shown
            in errors or reprs.
        base_url: another endpoint (a proxy or gateway); the SDK's default otherwise.
        max_retries: how often the SDK retries a request that failed with 408, 429 or 5xx or
            could not connect, before any event was produced (a stream that has started is
            never retried).
        timeout: seconds to wait for the connection and for each piece of the reply (the
            SDK itself has none). A request's own ``timeout`` bounds the whole call.
        api_version: the API version in the path (default ``v1beta``).
        retry_delay: seconds before the first retry; each further wait doubles (up to 60 s),
            plus up to ``retry_delay`` seconds of jitter.

    One SDK client (one connection pool, always on ``httpx2``, never aiohttp) is created on
    first use and closed by :meth:`aclose`; the client can be used again afterwards. A request
    with its own ``base_url`` or ``api_key`` goes through the same pool (through a one-off SDK
    client only when this client has no key at all). Responses a call leaves unfinished are
    closed when the call ends (see :mod:`~pollytool.providers.gemini._transport`).

    Encoding, decoding and error typing are described in
    :mod:`~pollytool.providers.gemini._encode`, :mod:`~pollytool.providers.gemini._decode`
    and :mod:`~pollytool.providers.gemini._errors`.
    """

    provider: ClassVar[str] = "gemini"

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        max_retries: int = 2,
        timeout: float = 600.0,
        api_version: str | None = None,
        retry_delay: float = 1.0,
    ) -> None:
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
        if timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout}")
        super().__init__(
            api_key=api_key
            or os.environ.get("GOOGLE_API_KEY")
            or os.environ.get("GEMINI_API_KEY")
            or None
        )
        self._base_url = base_url
        self._api_version = api_version or DEFAULT_API_VERSION
        self._max_retries = max_retries
        self._timeout = timeout
        self._retry_delay = retry_delay
        self._client: AsyncClient | None = None

    def __repr__(self) -> str:
        where = f"base_url={self._base_url!r}, " if self._base_url else ""
        return f"GeminiClient({where}api_version={self._api_version!r})"

    async def aclose(self) -> None:
        """Close the connection pool. The client opens a new one if used again."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    # ------------------------------------------------------------------ the SDK client

    def _new_sdk_client(self, api_key: str) -> AsyncClient:
        retry = types.HttpRetryOptions(
            attempts=self._max_retries + 1,
            initial_delay=self._retry_delay,
            jitter=self._retry_delay,
            http_status_codes=_RETRY_STATUSES,
        )
        options = types.HttpOptions(
            base_url=self._base_url,
            api_version=self._api_version,
            timeout=math.ceil(self._timeout * 1000),
            retry_options=retry,
            async_client_args={"transport": TrackingTransport()},
        )
        return genai.Client(api_key=api_key, http_options=options).aio

    @asynccontextmanager
    async def _sdk_client(self, req: CompletionRequest) -> AsyncIterator[AsyncClient]:
        """The shared SDK client; a one-off one when only the request has a key."""
        if self._api_key:
            if self._client is None:
                self._client = self._new_sdk_client(self._api_key)
            yield self._client
            return
        if not req.api_key:
            raise MissingAPIKeyError(
                "no Gemini API key: pass api_key or set GOOGLE_API_KEY or GEMINI_API_KEY",
                provider=self.provider,
                env_var="GEMINI_API_KEY",
            )
        client = self._new_sdk_client(req.api_key)
        try:
            yield client
        finally:
            await client.aclose()

    def _request_options(self, req: CompletionRequest) -> types.HttpOptions | None:
        """Per-request overrides: base URL, key and the request's timeout."""
        if req.base_url is None and req.api_key is None and req.timeout is None:
            return None
        return types.HttpOptions(
            base_url=req.base_url,
            headers={"x-goog-api-key": req.api_key} if req.api_key else None,
            timeout=math.ceil(req.timeout * 1000) if req.timeout is not None else None,
        )

    # ------------------------------------------------------------------ the call

    async def _events(
        self, req: CompletionRequest, acc: StreamAccumulator
    ) -> AsyncGenerator[StreamEvent, None]:
        contents, config = encode_request(req, self._request_options(req))
        decoder = ResponseDecoder(acc)
        secrets = (*self._secrets(), *((req.api_key,) if req.api_key else ()))
        opened: list[httpx2.Response] = []
        try:
            async with self._sdk_client(req) as client:
                if req.stream:
                    with tracked_responses(opened):  # the request is sent on the first step
                        stream = await client.models.generate_content_stream(
                            model=req.model, contents=contents, config=config
                        )
                        chunks = cast("AsyncGenerator[GenerateContentResponse, None]", stream)
                        chunk = await anext(chunks, None)
                    async with aclosing(chunks):
                        while chunk is not None:
                            for event in decoder.feed(chunk):
                                yield event
                            chunk = await anext(chunks, None)
                else:
                    with tracked_responses(opened):
                        response = await client.models.generate_content(
                            model=req.model, contents=contents, config=config
                        )
                    for event in decoder.feed(response):
                        yield event
        except Exception as exc:
            raise map_error(exc, secrets=secrets) from exc
        finally:
            await close_responses(opened)
        for event in decoder.finish():
            yield event

    def _map_error(self, exc: Exception) -> PollyError:
        return map_error(exc, secrets=self._secrets())
