"""OpenAI failures as pollytool's typed errors.

Three kinds of failure reach the adapter:

* exceptions of the ``openai`` SDK (HTTP error statuses, timeouts, broken connections, and
  ``{"error": …}`` frames inside a Chat Completions stream), mapped by :func:`map_error`;
* ``error`` and ``response.failed`` events of a Responses stream, which the SDK yields instead
  of raising; the decoder turns them into errors with :func:`in_stream_error`;
* transport errors the SDK lets through unwrapped (rare), left to the shared mapping.
"""

from __future__ import annotations

from collections.abc import Mapping

from ...errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ContextLengthError,
    InvalidRequestError,
    ModelNotFoundError,
    OverloadedError,
    PermissionDeniedError,
    ProviderError,
    RateLimitError,
    ResponseError,
    ServerError,
    redact,
)
from .._errors import Phrase, PhraseTable, error_for_status, phrase_error, transport_error

__all__ = ["PHRASES", "PROVIDER", "in_stream_error", "map_error"]

#: The provider name on every error this adapter reports.
PROVIDER = "openai"

#: What OpenAI and compatible servers say about a prompt longer than the context window,
#: where the error code does not say it (compatible servers send none).
PHRASES: PhraseTable = (
    Phrase(r"context[_ ]length", ContextLengthError, "context_length_exceeded",
           "This model's maximum context length is 128000 tokens."),
    Phrase(r"context window", ContextLengthError, "context_length_exceeded",
           "Your input exceeds the context window of this model."),
    Phrase(r"maximum context", ContextLengthError, "context_length_exceeded",
           "the request exceeds the maximum context (8192 tokens)"),
    Phrase(r"too many tokens", ContextLengthError, "context_length_exceeded",
           "Too many tokens in the prompt: 9000 > 8192"),
    Phrase(r"prompt is too long", ContextLengthError, "context_length_exceeded",
           "The prompt is too long for this model"),
)  # fmt: skip

#: Error codes (or types) that name a better class than the HTTP status, or than the plain
#: ``ResponseError`` of an error reported inside a stream.
_CODE_CLASSES: dict[str, type[APIStatusError]] = {
    "context_length_exceeded": ContextLengthError,
    "model_not_found": ModelNotFoundError,
    "rate_limit_exceeded": RateLimitError,
    "rate_limit_error": RateLimitError,
    "insufficient_quota": RateLimitError,
    "server_error": ServerError,
    "internal_error": ServerError,
    "api_error": ServerError,
    "server_is_overloaded": OverloadedError,
    "overloaded": OverloadedError,
    "service_unavailable": OverloadedError,
    "invalid_api_key": AuthenticationError,
    "authentication_error": AuthenticationError,
    "permission_denied": PermissionDeniedError,
    "invalid_request_error": InvalidRequestError,
    "invalid_prompt": InvalidRequestError,
}


def _class_for(code: str | None, message: str) -> tuple[type[APIStatusError] | None, str | None]:
    """The class the error's code names, else a phrase's class and code; the code stays."""
    if code and code in _CODE_CLASSES:
        return _CODE_CLASSES[code], code
    phrase = phrase_error(message, PHRASES)
    return (phrase.cls, phrase.code) if phrase is not None else (None, code)


def _error_fields(body: object) -> tuple[str | None, str | None, str]:
    """``(code, type, message)`` of an OpenAI error object (``{"code", "type", "message"}``)."""
    if not isinstance(body, Mapping):
        return None, None, ""
    inner = body.get("error")
    if isinstance(inner, Mapping):
        body = inner
    code, kind, message = body.get("code"), body.get("type"), body.get("message")
    return (
        str(code) if code is not None else None,
        str(kind) if kind is not None else None,
        message if isinstance(message, str) else "",
    )


def in_stream_error(
    body: object,
    *,
    secrets: tuple[str, ...] = (),
    request_id: str | None = None,
    fallback: str = "the response failed",
) -> ProviderError:
    """The typed error for an error the provider reported inside a 200 response: a Chat
    ``{"error": …}`` frame, a Responses ``error`` event or a ``response.failed`` error object.

    The class follows the error's code (``rate_limit_exceeded`` → :class:`RateLimitError`,
    ``server_error`` → :class:`ServerError`, ``context_length_exceeded`` →
    :class:`ContextLengthError`…); anything else is a :class:`ResponseError`."""
    code, kind, message = _error_fields(body)
    message = redact(message or fallback, secrets)
    cls, code = _class_for(code, message)
    if cls is None and kind:
        cls = _CODE_CLASSES.get(kind)
    return (cls or ResponseError)(
        message,
        provider=PROVIDER,
        request_id=request_id,
        code=code or kind,
        body=body,
    )


def map_error(exc: Exception, *, secrets: tuple[str, ...] = ()) -> ProviderError | None:
    """The typed error for an ``openai`` SDK exception, or ``None`` when *exc* is not one."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        code, kind, message = _error_fields(exc.body)
        # a rejected request (400, 413, 422) is told apart by its code: context length,
        # unknown model; other statuses say enough
        cls = None
        if exc.status_code in (400, 413, 422):
            cls, code = _class_for(code, message)
        return error_for_status(
            exc.status_code,
            message or exc.message,
            provider=PROVIDER,
            headers=exc.response.headers,
            request_id=exc.request_id,
            code=code or kind,
            body=exc.body,
            cls=cls,
            secrets=secrets,
        )
    if isinstance(exc, openai.APITimeoutError):
        return APITimeoutError("the request timed out", provider=PROVIDER)
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        mapped = transport_error(cause, provider=PROVIDER, secrets=secrets) if cause else None
        if mapped is not None:
            return mapped
        detail = redact(str(cause or exc), secrets)
        return APIConnectionError(f"cannot connect: {detail}", provider=PROVIDER)
    if isinstance(exc, openai.APIError):  # an {"error": ...} frame inside a Chat stream
        return in_stream_error(
            exc.body if exc.body is not None else {"message": exc.message}, secrets=secrets
        )
    return None
