"""The Anthropic client: Claude through the official ``anthropic`` SDK's Messages API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from .._base import CONNECT_TIMEOUT, Call, ProviderClient, Single
from .._stainless import NO_KEY, for_call
from ._decode import MessageDecoder, MessageStreamDecoder
from ._encode import EncodedRequest, encode_request
from ._errors import map_error
from ._messages import PROVIDER

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import anthropic
    from anthropic import RequestOptions

    from ...errors import PollyError
    from .._accumulator import StreamAccumulator
    from .._decoder import Decoder

__all__ = ["AnthropicClient"]

_PATH = "/v1/messages"


class AnthropicClient(ProviderClient["anthropic.AsyncAnthropic"]):
    """Claude models through Anthropic's Messages API.

    Args:
        api_key: the API key; ``None`` reads ``ANTHROPIC_API_KEY`` (for Anthropic's own
            endpoint, or the ``ANTHROPIC_BASE_URL`` it goes with). No other credential source
            (auth tokens, profiles on disk) is consulted.
        base_url: the API root without ``/v1``; ``None`` reads ``ANTHROPIC_BASE_URL``, else
            ``https://api.anthropic.com``.
        max_retries: retries of the SDK for 408/409/429/5xx/529 and connection failures,
            honouring ``retry-after``; a stream that has started is never retried.
        timeout: seconds to wait for each piece of the reply (at most 10 s to connect).
            ``CompletionRequest.timeout`` limits a whole call on top of it.

    Request options are documented in :mod:`pollytool.providers.anthropic`; the rest of the
    contract is :class:`~pollytool.providers._base.ProviderClient`'s::

        async with AnthropicClient(api_key=key) as claude:
            req = CompletionRequest("claude-sonnet-4-6", [ChatMessage.user("Hi")],
                                    thinking="high")
            print(await claude.stream(req).text())
    """

    provider: ClassVar[str] = PROVIDER
    api_key_env: ClassVar[tuple[str, ...]] = ("ANTHROPIC_API_KEY",)
    base_url_env: ClassVar[tuple[str, ...]] = ("ANTHROPIC_BASE_URL",)

    def _build_vendor(self) -> anthropic.AsyncAnthropic:
        import anthropic

        return anthropic.AsyncAnthropic(
            api_key=self.api_key or NO_KEY,
            base_url=self.base_url,
            max_retries=self.max_retries,
            timeout=anthropic.Timeout(self.timeout, connect=min(self.timeout, CONNECT_TIMEOUT)),
        )

    async def _close_vendor(self, vendor: anthropic.AsyncAnthropic) -> None:
        await vendor.close()

    def _encode(self, call: Call) -> EncodedRequest:
        return encode_request(call.req)

    async def _open(
        self, vendor: anthropic.AsyncAnthropic, call: Call, body: EncodedRequest
    ) -> AsyncIterator[Any]:
        """Send the body with the SDK's low-level ``post`` (its auth, base URL, retries,
        timeouts, SSE parsing and ``event: error`` handling) and get the wire JSON back as
        dicts, without the typed objects ``messages.create`` would build for every event."""
        from anthropic import AsyncStream

        vendor = for_call(self, vendor, call)
        req = call.req
        options: RequestOptions = {} if req.timeout is None else {"timeout": req.timeout}
        json = {**body.params, "stream": req.stream}
        if req.stream:
            return await vendor.post(
                _PATH,
                body=json,
                options=options,
                cast_to=object,
                stream=True,
                stream_cls=AsyncStream[object],
            )
        return Single(await vendor.post(_PATH, body=json, options=options, cast_to=object))

    def _decoder(
        self,
        call: Call,
        body: EncodedRequest,
        stream: AsyncIterator[Any],
        acc: StreamAccumulator,
    ) -> Decoder:
        if call.req.stream:
            return MessageStreamDecoder(acc, body.output_tool)
        return MessageDecoder(acc, body.output_tool)

    def _map_error(self, exc: Exception, call: Call) -> PollyError | None:
        return map_error(exc, call.secrets)
