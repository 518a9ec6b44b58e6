"""The Gemini client: the Gemini API through the official ``google-genai`` SDK."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import ConfigurationError
from .._base import Call, ProviderClient, Single
from .._embedding import run_embedding
from ._decode import ResponseDecoder
from ._embed import GEMINI_EMBEDDINGS
from ._encode import encode_request
from ._errors import map_error
from ._transport import GeminiStream, close_responses, tracked_responses, tracking_transport

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx2
    from google.genai.client import AsyncClient
    from google.genai.types import HttpOptionsDict

    from ...embeddings import EmbeddingRequest, EmbeddingResult
    from ...errors import PollyError
    from .._accumulator import StreamAccumulator
    from .._decoder import Decoder

__all__ = ["DEFAULT_API_VERSION", "GeminiClient"]

#: The API version used unless another is given: ``v1beta`` is where Gemini offers JSON-schema
#: tool parameters and structured output (``parametersJsonSchema``, ``responseJsonSchema``).
DEFAULT_API_VERSION = "v1beta"

#: What the SDK gets as its key when the client has none (every request then brings its own,
#: sent as a per-request header; a request without any key never reaches the SDK).
_NO_KEY = "pollytool-no-key"


class GeminiClient(ProviderClient["AsyncClient"]):
    """A client for the Gemini API.

    Example::

        async with GeminiClient(api_key) as client:
            req = CompletionRequest("gemini-2.5-flash", [ChatMessage.user("Hello")])
            async for event in client.stream(req):
                ...

    Args:
        api_key: the Gemini API key, sent as ``x-goog-api-key``; ``None`` reads
            ``GOOGLE_API_KEY``, then ``GEMINI_API_KEY`` (for Google's endpoint, or the
            ``GOOGLE_GEMINI_BASE_URL`` it goes with).
        base_url: another endpoint (a proxy or gateway); ``None`` reads
            ``GOOGLE_GEMINI_BASE_URL``, else the SDK's default.
        max_retries: how often a request that failed with 408, 429 or 5xx or could not
            connect is tried again, before any event was produced, waiting what the server
            asked for (``RetryInfo`` or ``Retry-After``) or else backing off exponentially.
        timeout: seconds to wait for the connection and for each piece of the reply.
        api_version: the API version in the path (default ``v1beta``).

    The request body is pollytool's own wire JSON, sent with the SDK client's request
    methods (its key header, base URL, timeouts and error types); the replies are decoded
    from their wire JSON, without the SDK's typed objects (see :meth:`_open`).
    The SDK client always runs on ``httpx2`` (never aiohttp). Responses a call leaves
    unfinished are closed when the call ends (see
    :mod:`~pollytool.providers.gemini._transport`). Encoding, decoding and error typing are
    described in :mod:`~pollytool.providers.gemini._encode`,
    :mod:`~pollytool.providers.gemini._decode` and :mod:`~pollytool.providers.gemini._errors`;
    the rest of the contract is :class:`~pollytool.providers._base.ProviderClient`'s.
    """

    provider: ClassVar[str] = "gemini"
    api_key_env: ClassVar[tuple[str, ...]] = ("GOOGLE_API_KEY", "GEMINI_API_KEY")
    base_url_env: ClassVar[tuple[str, ...]] = ("GOOGLE_GEMINI_BASE_URL",)
    base_retries: ClassVar[bool] = True

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        max_retries: int = 2,
        timeout: float = 600.0,
        api_version: str | None = None,
    ) -> None:
        super().__init__(api_key, base_url, max_retries=max_retries, timeout=timeout)
        self._api_version = api_version or DEFAULT_API_VERSION

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, api_version={self._api_version!r})"

    # ------------------------------------------------------------------ the SDK client

    def _build_vendor(self) -> AsyncClient:
        from google import genai
        from google.genai import types

        options = types.HttpOptions(
            base_url=self.base_url,
            api_version=self._api_version,
            timeout=math.ceil(self.timeout * 1000),
            retry_options=types.HttpRetryOptions(attempts=1),  # pollytool retries (see base)
            async_client_args={"transport": tracking_transport()},
        )
        return genai.Client(api_key=self.api_key or _NO_KEY, http_options=options).aio

    async def _close_vendor(self, vendor: AsyncClient) -> None:
        await vendor.aclose()

    # ------------------------------------------------------------------ the call

    def _http_options(self, call: Call) -> HttpOptionsDict | None:
        """The SDK's per-request ``http_options`` for *call*'s own base URL, key and
        timeout (``None`` when it has none)."""
        options: HttpOptionsDict = {}
        if call.base_url != self.base_url:
            options["base_url"] = call.base_url
        if call.api_key != self.api_key and call.api_key:
            options["headers"] = {"x-goog-api-key": call.api_key}
        if call.req.timeout is not None:
            options["timeout"] = math.ceil(call.req.timeout * 1000)
        return options or None

    def _encode(self, call: Call) -> dict[str, Any]:
        return encode_request(call.req)

    async def _open(
        self, vendor: AsyncClient, call: Call, body: dict[str, Any]
    ) -> AsyncIterator[Any]:
        """Send *body* with the SDK client's ``async_request(_streamed)`` (private, on
        ``_api_client``; the version range is pinned and ``test_vendor_private_api`` checks
        their shape): the SDK's key header, base URL, timeouts, error types and in-stream
        error objects, with the replies' wire JSON read as dicts."""
        api = vendor._api_client
        path = _model_path(call.req.model)
        options = self._http_options(call)
        opened: list[httpx2.Response] = []
        try:
            with tracked_responses(opened):  # the request is sent before the stream returns
                if call.req.stream:
                    chunks = await api.async_request_streamed(
                        "post", f"{path}:streamGenerateContent?alt=sse", body, options
                    )
                else:
                    response = await api.async_request(
                        "post", f"{path}:generateContent", body, options
                    )
        except BaseException:
            await close_responses(opened)
            raise
        if not call.req.stream:
            await close_responses(opened)
            return Single(json.loads(response.body) if response.body else {})
        return GeminiStream(chunks, opened)

    def _decoder(
        self, call: Call, body: dict[str, Any], stream: AsyncIterator[Any], acc: StreamAccumulator
    ) -> Decoder:
        return ResponseDecoder(acc)

    def _map_error(self, exc: Exception, call: Call) -> PollyError | None:
        return map_error(exc, secrets=call.secrets)

    async def embed(self, req: EmbeddingRequest) -> EmbeddingResult:
        """One vector per input of *req* (see :mod:`pollytool.embeddings` and
        :mod:`pollytool.providers.gemini._embed`); raises the typed error."""
        return await run_embedding(self, req, GEMINI_EMBEDDINGS)


def _model_path(model: str) -> str:
    """The resource path of *model*: ``models/<name>`` unless it already names its collection
    (``models/…``, ``tunedModels/…``)."""
    if not model or ".." in model or "?" in model or "&" in model or "#" in model:
        raise ConfigurationError(f"{model!r} is not a valid Gemini model name")
    if model.startswith(("models/", "tunedModels/")):
        return model
    return f"models/{model}"
