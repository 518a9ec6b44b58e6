"""``OpenAIClient``: the vendor client it owns, the API choice, and error typing."""

from __future__ import annotations

from contextlib import aclosing
from typing import TYPE_CHECKING, ClassVar

from ...errors import ConfigurationError, MissingAPIKeyError, PollyError
from .._base import ProviderClient
from ._chat import chat_events
from ._errors import map_error
from ._responses_decode import responses_events
from ._shared import API_OPTION

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from openai import AsyncOpenAI

    from ...events import StreamEvent
    from ...request import CompletionRequest
    from .._accumulator import StreamAccumulator

__all__ = ["OpenAIClient"]

_OPENAI_HOST = "api.openai.com"
#: Sent as the bearer token to servers that need no key (the SDK insists on one). It is not a
#: secret, and no real key is ever read from the environment in its place.
_NO_KEY = "pollytool-no-key"
_APIS = ("responses", "chat")


class OpenAIClient(ProviderClient):
    """A client for OpenAI and OpenAI-compatible servers, built on ``openai.AsyncOpenAI``.

    Args:
        api_key: the API key. May be left out when *base_url* points at a server that needs
            none (vLLM, llama.cpp, LM Studio, Ollama); the environment's ``OPENAI_API_KEY`` is
            never sent to such a server.
        base_url: the API root including ``/v1``; ``None`` means api.openai.com (or the SDK's
            ``OPENAI_BASE_URL``).
        max_retries: retries of the SDK itself (408, 409, 429, 5xx and connection errors,
            honouring ``retry-after``); a stream that has started is never retried.
        timeout: the SDK's per-request timeout in seconds (``None``: 600 s, 5 s to connect).
            ``CompletionRequest.timeout`` additionally bounds each whole call.
        organization: the OpenAI organization id to bill.

    The Responses API is used for api.openai.com, Chat Completions for every other base URL;
    ``provider_options={"api": "chat"}`` (or ``"responses"``) on a request overrides that.
    A request's own ``base_url`` and ``api_key`` win over the client's (the request then uses
    a copy of the vendor client that shares its connection pool). One vendor client (and
    connection pool) is created on first use and released by :meth:`aclose`.
    """

    provider: ClassVar[str] = "openai"

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        max_retries: int = 2,
        timeout: float | None = None,
        organization: str | None = None,
    ) -> None:
        super().__init__(api_key=api_key)
        self._base_url = base_url
        self._max_retries = max_retries
        self._timeout = timeout
        self._organization = organization
        self._vendor: AsyncOpenAI | None = None

    def __repr__(self) -> str:
        return f"OpenAIClient(base_url={self._base_url!r})"

    async def aclose(self) -> None:
        """Close the connection pool (a later request opens a new one)."""
        vendor, self._vendor = self._vendor, None
        if vendor is not None:
            await vendor.close()

    def _client(self, req: CompletionRequest) -> AsyncOpenAI:
        """The vendor client for *req*: the shared one, or a copy of it (same connection pool)
        when the request carries its own base URL or key."""
        if not (req.api_key or self._api_key or req.base_url or self._base_url):
            raise MissingAPIKeyError(
                "missing API key for OpenAI: pass api_key to OpenAIClient (or set "
                "POLLYTOOL_OPENAIKEY when using MultiPass)",
                provider=self.provider,
                env_var="POLLYTOOL_OPENAIKEY",
            )
        if self._vendor is None:
            import openai

            self._vendor = openai.AsyncOpenAI(
                api_key=self._api_key or _NO_KEY,
                base_url=self._base_url,
                organization=self._organization,
                max_retries=self._max_retries,
                timeout=self._timeout if self._timeout is not None else openai.NOT_GIVEN,
            )
        if req.base_url or req.api_key:
            return self._vendor.with_options(api_key=req.api_key, base_url=req.base_url)
        return self._vendor

    def _api(self, req: CompletionRequest, vendor: AsyncOpenAI) -> str:
        chosen = req.provider_options.get(API_OPTION)
        if chosen is None:
            return "responses" if vendor.base_url.host == _OPENAI_HOST else "chat"
        if chosen not in _APIS:
            raise ConfigurationError(
                f"provider_options['api'] must be 'responses' or 'chat', got {chosen!r}"
            )
        return str(chosen)

    async def _events(
        self, req: CompletionRequest, acc: StreamAccumulator
    ) -> AsyncGenerator[StreamEvent, None]:
        vendor = self._client(req)
        if self._api(req, vendor) == "responses":
            events = responses_events(vendor, req, acc, secrets=self._request_secrets(req))
        else:
            events = chat_events(vendor, req, acc, openai_host=vendor.base_url.host == _OPENAI_HOST)
        async with aclosing(events):
            async for event in events:
                yield event

    def _request_secrets(self, req: CompletionRequest) -> tuple[str, ...]:
        return (*self._secrets(), req.api_key) if req.api_key else self._secrets()

    def _map_error(self, exc: Exception) -> PollyError:
        return map_error(exc, secrets=self._secrets()) or super()._map_error(exc)
