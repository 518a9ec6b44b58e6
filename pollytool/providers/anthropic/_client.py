"""The Anthropic client: Claude through the official ``anthropic`` SDK's Messages API."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ...errors import MissingAPIKeyError
from .._base import ProviderClient
from ._decode import Decoder
from ._encode import encode_request
from ._errors import map_error
from ._messages import PROVIDER

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    import anthropic

    from ...errors import PollyError
    from ...events import StreamEvent
    from ...request import CompletionRequest
    from .._accumulator import StreamAccumulator

__all__ = ["AnthropicClient"]

_KEY_ENV_VAR = "ANTHROPIC_API_KEY"


class AnthropicClient(ProviderClient):
    """Claude models through Anthropic's Messages API.

    Args:
        api_key: the API key; ``None`` reads ``ANTHROPIC_API_KEY``. No other credential source
            (auth tokens, profiles on disk) is consulted.
        base_url: the API root without ``/v1`` (default ``https://api.anthropic.com``, or
            ``ANTHROPIC_BASE_URL``).
        max_retries: retries of the SDK for 408/409/429/5xx/529 and connection failures,
            honouring ``retry-after``; a stream that has started is never retried.
        timeout: seconds for connecting and between bytes received (the SDK default is 600,
            connect 5). ``CompletionRequest.timeout`` limits a whole call on top of it.

    One ``anthropic.AsyncAnthropic`` (one connection pool) is created on first use and shared
    by all calls, including calls that override ``api_key`` or ``base_url`` per request;
    :meth:`aclose` (or ``async with``) closes it. Request options are documented in
    :mod:`pollytool.providers.anthropic`::

        async with AnthropicClient(api_key=key) as claude:
            req = CompletionRequest("claude-sonnet-4-6", [ChatMessage.user("Hi")],
                                    thinking="high")
            print(await claude.stream(req).text())
    """

    provider = PROVIDER

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        max_retries: int = 2,
        timeout: float | None = None,
    ) -> None:
        super().__init__(api_key=api_key or os.environ.get(_KEY_ENV_VAR) or None)
        self._base_url = base_url
        self._max_retries = max_retries
        self._timeout = timeout
        self._client: anthropic.AsyncAnthropic | None = None

    def __repr__(self) -> str:
        return f"AnthropicClient(base_url={self._base_url!r})"

    async def aclose(self) -> None:
        """Close the connection pool (a later call opens a new one)."""
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    def _vendor(self, req: CompletionRequest) -> anthropic.AsyncAnthropic:
        api_key = req.api_key or self._api_key
        if not api_key:
            raise MissingAPIKeyError(
                f"no Anthropic API key: pass api_key= or set {_KEY_ENV_VAR}",
                provider=PROVIDER,
                env_var=_KEY_ENV_VAR,
            )
        if self._client is None:
            import anthropic

            options: dict[str, Any] = {}
            if self._timeout is not None:
                options["timeout"] = self._timeout
            self._client = anthropic.AsyncAnthropic(
                api_key=api_key,
                base_url=self._base_url,
                max_retries=self._max_retries,
                **options,
            )
        client = self._client
        if api_key != client.api_key or (req.base_url and req.base_url != self._base_url):
            client = client.with_options(api_key=api_key, base_url=req.base_url or self._base_url)
        return client

    async def _events(
        self, req: CompletionRequest, acc: StreamAccumulator
    ) -> AsyncGenerator[StreamEvent, None]:
        encoded = encode_request(req)
        client = self._vendor(req)
        decoder = Decoder(acc, encoded.output_tool)
        if req.stream:
            options: dict[str, Any] = {} if req.timeout is None else {"timeout": req.timeout}
            stream = await client.messages.create(**encoded.params, **options, stream=True)
            async with stream:
                async for raw in stream:
                    event = decoder.event(raw)
                    if event is not None:
                        yield event
            return
        # An explicit timeout also turns off the SDK's refusal of long non-streamed calls
        # (max_tokens above ~21k), which the thinking budgets can reach.
        message = await client.messages.create(
            **encoded.params, timeout=req.timeout or client.timeout, stream=False
        )
        for event in decoder.message(message):
            yield event

    def _map_error(self, exc: Exception) -> PollyError:
        return map_error(exc, self._secrets()) or super()._map_error(exc)
