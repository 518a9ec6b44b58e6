"""Typing the failures of the ``ollama`` SDK.

==========================================================  ==================================
what the SDK raises                                          pollytool error
==========================================================  ==================================
``ConnectionError`` (not streaming), ``httpx.ConnectError``  :class:`APIConnectionError`: Ollama
(streaming): nothing listens at the host                     is not reachable, start it with
                                                             ``ollama serve``
``ResponseError`` 404                                        :class:`ModelNotFoundError`, with
                                                             ``ollama pull <model>``
``ResponseError`` 400 "does not support tools/thinking"      :class:`InvalidRequestError`, code
                                                             ``tools_not_supported`` /
                                                             ``thinking_not_supported``
other ``ResponseError`` statuses                             by status (401, 429, 5xx…)
``ResponseError`` -1: an ``{"error": …}`` line mid-stream     :class:`ResponseError`
a line that is not JSON, or not a chat chunk                 :class:`ResponseError`
``httpx`` cut stream / read timeout                          :class:`StreamInterruptedError` /
                                                             :class:`APITimeoutError`
==========================================================  ==================================

Every message goes through :func:`~pollytool.errors.redact`; API keys never appear in them.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit, urlunsplit

import httpx
import ollama
import pydantic

from ...errors import (
    APIConnectionError,
    InvalidRequestError,
    ModelNotFoundError,
    PollyError,
    ResponseError,
    redact,
)
from .._errors import error_for_status, transport_error

__all__ = ["display_host", "map_error"]

PROVIDER = "ollama"

#: Phrases of Ollama's 400 answers for a capability the model lacks → (capability, code).
_UNSUPPORTED = {
    "does not support tools": ("tools", "tools_not_supported"),
    "does not support thinking": ("thinking", "thinking_not_supported"),
}
_UNSUPPORTED_HINTS = {
    "tools": "send the request without tools, or use a model that supports them",
    "thinking": "leave thinking unset or turn it off, or use a model that can think",
}


def display_host(host: str) -> str:
    """*host* without any user name or password in it, for messages."""
    parts = urlsplit(host if "//" in host else f"http://{host}")
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=netloc)) if parts.netloc else host


def map_error(
    exc: Exception, *, host: str, model: str | None, secrets: tuple[str, ...]
) -> PollyError:
    """The pollytool error for *exc*, raised while talking to Ollama at *host* about *model*."""
    if isinstance(exc, PollyError):
        return exc
    shown = display_host(host)
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


def _response_error(
    exc: ollama.ResponseError, *, host: str, model: str | None, secrets: tuple[str, ...]
) -> PollyError:
    status = exc.status_code
    text = redact(str(exc.error), secrets)
    if status == -1:
        return ResponseError(f"Ollama failed while answering: {text}", provider=PROVIDER)
    name = f"model '{model}'" if model else "the model"
    lowered = text.lower()
    if status == 400:
        for phrase, (capability, code) in _UNSUPPORTED.items():
            if phrase in lowered:
                return error_for_status(
                    status,
                    f"{name} does not support {capability} ({text}); "
                    f"{_UNSUPPORTED_HINTS[capability]}",
                    provider=PROVIDER,
                    code=code,
                    body=text,
                    cls=InvalidRequestError,
                )
    if status == 404:
        pull = f"`ollama pull {model}`" if model else "`ollama pull <model>`"
        return error_for_status(
            status,
            f"{name} is not available on the Ollama server at {host} ({text}); "
            f"download it with {pull}",
            provider=PROVIDER,
            body=text,
            cls=ModelNotFoundError,
        )
    return error_for_status(status, text, provider=PROVIDER, body=text, secrets=secrets)
