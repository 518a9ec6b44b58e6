"""Typing the failures of the ``ollama`` SDK.

==========================================================  ==================================
what the SDK raises                                          pollytool error
==========================================================  ==================================
``ConnectionError`` (not streaming), ``httpx.ConnectError``  :class:`APIConnectionError`: Ollama
(streaming): nothing listens at the host                     is not reachable, start it with
                                                             ``ollama serve``
``ResponseError`` 404                                        :class:`ModelNotFoundError`, with
                                                             ``ollama pull <model>``
``ResponseError`` 400 with a phrase of :data:`PHRASES`       :class:`InvalidRequestError` with
                                                             the phrase's code
                                                             (``tools_not_supported``…)
other ``ResponseError`` statuses                             by status (401, 429 with
                                                             ``retry_after``, 5xx…)
``ResponseError`` -1: an ``{"error": …}`` line mid-stream     :class:`ResponseError`
a line that is not JSON, or not a chat chunk                 :class:`ResponseError`
``httpx`` cut stream / read timeout                          :class:`StreamInterruptedError` /
                                                             :class:`APITimeoutError`
==========================================================  ==================================

The SDK's ``ResponseError`` carries no headers; ``retry_after`` and the request id are read
from the ``httpx.HTTPStatusError`` it was raised from (its ``__context__``). Every message
goes through :func:`~pollytool.errors.redact`; API keys never appear in them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ...errors import (
    APIConnectionError,
    InvalidRequestError,
    ModelNotFoundError,
    PollyError,
    ResponseError,
    redact,
)
from .._errors import (
    Phrase,
    PhraseTable,
    display_url,
    error_for_status,
    phrase_error,
    transport_error,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    import ollama

__all__ = ["PHRASES", "map_error"]

PROVIDER = "ollama"

#: Ollama's wording for a 400 about a capability the model lacks: its only signal.
PHRASES: PhraseTable = (
    Phrase(r"does not support tools", InvalidRequestError, "tools_not_supported",
           "registry.ollama.ai/library/gemma:2b does not support tools"),
    Phrase(r"does not support thinking", InvalidRequestError, "thinking_not_supported",
           '"llama3.2" does not support thinking'),
)  # fmt: skip
_HINTS = {
    "tools_not_supported": "send the request without tools, or use a model that supports them",
    "thinking_not_supported": "leave thinking unset or turn it off, or use a model that can think",
}


def map_error(
    exc: Exception, *, host: str, model: str | None, secrets: tuple[str, ...]
) -> PollyError:
    """The pollytool error for *exc*, raised while talking to Ollama at *host* about *model*."""
    import httpx
    import ollama
    import pydantic

    if isinstance(exc, PollyError):
        return exc
    shown = display_url(host) or host
    if isinstance(exc, ollama.ResponseError):
        return _response_error(exc, host=shown, model=model, secrets=secrets)
    if isinstance(exc, ConnectionError | httpx.ConnectError):
        return APIConnectionError(
            f"Ollama is not reachable at {shown}; start it with `ollama serve`, or point "
            "OLLAMA_HOST or base_url at a running server",
            provider=PROVIDER,
        )
    if isinstance(exc, json.JSONDecodeError):
        return ResponseError(
            f"Ollama at {shown} sent a line that is not JSON ({exc.msg} at position {exc.pos})",
            provider=PROVIDER,
        )
    if isinstance(exc, pydantic.ValidationError):
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        return ResponseError(
            f"Ollama at {shown} sent a chat reply that cannot be read ({problems})",
            provider=PROVIDER,
        )
    mapped = transport_error(exc, provider=PROVIDER, secrets=secrets)
    if mapped is not None:
        return mapped
    return ResponseError(f"{type(exc).__name__}: {redact(str(exc), secrets)}", provider=PROVIDER)


def _status_headers(exc: ollama.ResponseError) -> Mapping[str, str] | None:
    """The headers of the HTTP response behind *exc* (the SDK raises its ``ResponseError``
    inside the ``except httpx.HTTPStatusError`` block, which stays its ``__context__``)."""
    response = getattr(exc.__context__, "response", None)
    headers = getattr(response, "headers", None)
    return headers if headers is not None else None


def _response_error(
    exc: ollama.ResponseError, *, host: str, model: str | None, secrets: tuple[str, ...]
) -> PollyError:
    status = exc.status_code
    text = redact(str(exc.error), secrets)
    if status == -1:
        return ResponseError(f"Ollama failed while answering: {text}", provider=PROVIDER)
    headers = _status_headers(exc)
    name = f"model '{model}'" if model else "the model"
    if status == 400 and (phrase := phrase_error(text, PHRASES)) is not None:
        cls, code = phrase.cls, phrase.code
        capability = code.removesuffix("_not_supported")
        return error_for_status(
            status,
            f"{name} does not support {capability} ({text}); {_HINTS[code]}",
            provider=PROVIDER,
            headers=headers,
            code=code,
            body=text,
            cls=cls,
        )
    if status == 404:
        pull = f"`ollama pull {model}`" if model else "`ollama pull <model>`"
        return error_for_status(
            status,
            f"{name} is not available on the Ollama server at {host} ({text}); "
            f"download it with {pull}",
            provider=PROVIDER,
            headers=headers,
            body=text,
            cls=ModelNotFoundError,
        )
    return error_for_status(
        status, text, provider=PROVIDER, headers=headers, body=text, secrets=secrets
    )
