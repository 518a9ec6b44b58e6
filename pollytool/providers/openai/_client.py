"""``OpenAIClient``: the API choice, the vendor client, and the two APIs' encoders/decoders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from ...errors import ConfigurationError
from .._base import CONNECT_TIMEOUT, Call, ProviderClient, Single
from .._embedding import run_embedding
from .._stainless import NO_KEY, for_call
from ._chat import ChatCompletionDecoder, ChatStreamDecoder, encode_chat
from ._embed import OPENAI_EMBEDDINGS
from ._errors import map_error
from ._responses_decode import ResponseDecoder, ResponsesStreamDecoder
from ._responses_encode import encode_responses
from ._schema_format import (
    SchemaFormats,
    json_object_format,
    rejects_json_schema,
    requested_format,
)
from ._shared import API_OPTION, call_options, with_extras

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from openai import AsyncOpenAI, RequestOptions

    from ...embeddings import EmbeddingRequest, EmbeddingResult
    from ...errors import PollyError
    from ...request import CompletionRequest
    from .._accumulator import StreamAccumulator
    from .._decoder import Decoder

__all__ = ["OpenAIClient"]

_OPENAI_HOST = "api.openai.com"
_APIS = ("responses", "chat")


_PATHS = {"responses": "/responses", "chat": "/chat/completions"}


@dataclass(frozen=True, slots=True)
class _Body:
    """What ``_encode`` makes: the API, its JSON body, and the SDK's request options."""

    api: str
    json: dict[str, Any]
    options: RequestOptions
    #: The body to send instead when the server rejects the ``json_schema`` response format
    #: (``json_object`` with the schema), or ``None`` when there is no such retry.
    fallback: dict[str, Any] | None = None


def _is_openai(base_url: str | None) -> bool:
    return base_url is None or urlsplit(base_url).hostname == _OPENAI_HOST


class OpenAIClient(ProviderClient["AsyncOpenAI"]):
    """A client for OpenAI and OpenAI-compatible servers, built on ``openai.AsyncOpenAI``.

    Args:
        api_key: the API key; ``None`` reads ``OPENAI_API_KEY``, but only for api.openai.com
            (or the ``OPENAI_BASE_URL`` it goes with): that key is never sent to a server
            given as *base_url*. A server that needs no key (vLLM, llama.cpp, LM Studio,
            Ollama) works without one.
        base_url: the API root including ``/v1``; ``None`` reads ``OPENAI_BASE_URL``, else
            api.openai.com.
        max_retries: retries of the SDK itself (408, 409, 429, 5xx and connection errors,
            honouring ``retry-after`` up to 2 minutes); a stream that has started is never
            retried.
        timeout: seconds to wait for each piece of the reply (at most 10 s to connect).
            ``CompletionRequest.timeout`` additionally bounds each whole call.
        organization: the OpenAI organization id to bill.

    The Responses API is used for api.openai.com, Chat Completions for every other base URL;
    ``provider_options={"api": "chat"}`` (or ``"responses"``) on a request overrides that.
    Structured output on Chat Completions asks for ``response_format`` ``json_schema``; a
    server other than api.openai.com that rejects it (llama-cpp-python's) is asked again once
    with ``json_object`` and the schema, with a :class:`~pollytool.schema.SchemaFormatWarning`,
    and later requests to that base URL use ``json_object`` directly;
    ``provider_options={"schema_format": "json_object" | "json_schema"}`` fixes the choice.
    The rest of the contract (one connection pool, per-request keys and base URLs on it,
    errors) is :class:`~pollytool.providers._base.ProviderClient`'s.
    """

    provider: ClassVar[str] = "openai"
    api_key_env: ClassVar[tuple[str, ...]] = ("OPENAI_API_KEY",)
    base_url_env: ClassVar[tuple[str, ...]] = ("OPENAI_BASE_URL",)

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        max_retries: int = 2,
        timeout: float = 600.0,
        organization: str | None = None,
    ) -> None:
        super().__init__(api_key, base_url, max_retries=max_retries, timeout=timeout)
        self._organization = organization
        self._schema_formats = SchemaFormats()

    def _key_required(self, base_url: str | None) -> bool:
        return _is_openai(base_url)

    def _build_vendor(self) -> AsyncOpenAI:
        import openai

        return openai.AsyncOpenAI(
            api_key=self.api_key or NO_KEY,
            base_url=self.base_url,
            organization=self._organization,
            max_retries=self.max_retries,
            timeout=openai.Timeout(self.timeout, connect=min(self.timeout, CONNECT_TIMEOUT)),
        )

    async def _close_vendor(self, vendor: AsyncOpenAI) -> None:
        await vendor.close()

    def _encode(self, call: Call) -> _Body:
        req = call.req
        chosen = req.provider_options.get(API_OPTION)
        openai_host = _is_openai(call.base_url)
        if chosen is None:
            chosen = "responses" if openai_host else "chat"
        elif chosen not in _APIS:
            raise ConfigurationError(
                f"provider_options['api'] must be 'responses' or 'chat', got {chosen!r}"
            )
        if chosen == "responses":
            return _Body(
                "responses", _wire("responses", encode_responses(req), req), call_options(req)
            )
        params = encode_chat(req, openai_host=openai_host)
        if req.response_schema is None:
            return _Body("chat", _wire("chat", params, req), call_options(req))
        form = requested_format(req)
        if form is None and not openai_host:
            form = self._schema_formats.get(call.base_url)
            if form is None:
                fallback = _wire("chat", json_object_format(params), req)
                return _Body("chat", _wire("chat", params, req), call_options(req), fallback)
        if form == "json_object":
            params = json_object_format(params)
        return _Body("chat", _wire("chat", params, req), call_options(req))

    async def _open(self, vendor: AsyncOpenAI, call: Call, body: _Body) -> AsyncIterator[Any]:
        vendor = for_call(self, vendor, call)
        if body.fallback is None:
            return await _send(vendor, call, body)
        import openai

        try:
            # a first answer without the SDK's retries: llama-cpp-python rejects with a 500
            stream = await _send(vendor.with_options(max_retries=0), call, body)
        except openai.APIStatusError as exc:
            if rejects_json_schema(exc):
                self._schema_formats.fall_back(call.base_url)
                return await _send(vendor, call, _Body("chat", body.fallback, body.options))
            if exc.status_code < 500 and exc.status_code not in (408, 409, 429):
                raise
            return await _send(vendor, call, body)  # now with the SDK's retries
        self._schema_formats.remember(call.base_url, "json_schema")
        return stream

    def _decoder(
        self, call: Call, body: _Body, stream: AsyncIterator[Any], acc: StreamAccumulator
    ) -> Decoder:
        if body.api == "chat":
            return ChatStreamDecoder(acc) if call.req.stream else ChatCompletionDecoder(acc)
        if not call.req.stream:
            return ResponseDecoder(acc, call.secrets)
        response = getattr(stream, "response", None)
        request_id = response.headers.get("x-request-id") if response is not None else None
        return ResponsesStreamDecoder(acc, call.secrets, request_id)

    def _map_error(self, exc: Exception, call: Call) -> PollyError | None:
        return map_error(exc, secrets=call.secrets)

    async def embed(self, req: EmbeddingRequest) -> EmbeddingResult:
        """One vector per input of *req* (see :mod:`pollytool.embeddings` and
        :mod:`pollytool.providers.openai._embed`); raises the typed error."""
        return await run_embedding(self, req, OPENAI_EMBEDDINGS)


def _wire(api: str, params: dict[str, Any], req: CompletionRequest) -> dict[str, Any]:
    """The JSON body for *api*: *params*, ``stream`` (Chat streams also ask for usage), then
    the request's extra ``provider_options``."""
    body = {**params, "stream": req.stream}
    if req.stream and api == "chat":
        body["stream_options"] = {"include_usage": True}
    return with_extras(body, req)


async def _send(vendor: AsyncOpenAI, call: Call, body: _Body) -> AsyncIterator[Any]:
    """Send *body* with the SDK's low-level ``post`` (its auth, base URL, retries, timeouts,
    SSE parsing and errors) and get the wire JSON back as dicts, without the typed objects
    ``create`` would build for every chunk."""
    from openai import AsyncStream

    path = _PATHS[body.api]
    if call.req.stream:
        return await vendor.post(
            path,
            body=body.json,
            options=body.options,
            cast_to=object,
            stream=True,
            stream_cls=AsyncStream[object],
        )
    return Single(await vendor.post(path, body=body.json, options=body.options, cast_to=object))
