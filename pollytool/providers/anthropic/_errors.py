"""Anthropic SDK exceptions → pollytool's typed errors.

* ``anthropic.APIStatusError`` by HTTP status (400 → ``InvalidRequestError``, or
  ``ContextLengthError`` when the prompt is too long; 401, 403, 404, 413, 429 with
  ``retry_after``, 5xx → ``ServerError``; 529 → ``OverloadedError``). The error ``type`` in
  the body wins where it is more precise (``overloaded_error`` → ``OverloadedError``).
* An ``event: error`` inside a 200 stream arrives as an ``APIStatusError`` with status 200;
  it is typed by its error ``type`` the same way (an unknown type → ``ResponseError``).
* ``anthropic.APITimeoutError`` / ``APIConnectionError``, and the raw ``httpx2`` transport
  errors the SDK lets escape from a stream (a cut connection, a read timeout), become
  ``APITimeoutError`` / ``StreamInterruptedError`` / ``APIConnectionError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    PollyError,
    RateLimitError,
    RequestTooLargeError,
    ResponseError,
    ServerError,
    redact,
)
from .._errors import Phrase, PhraseTable, error_for_status, phrase_error, transport_error
from ._messages import PROVIDER

if TYPE_CHECKING:
    import anthropic

__all__ = ["PHRASES", "map_error"]

# Anthropic's error types (https://docs.anthropic.com/en/api/errors).
_TYPE_CLASSES: dict[str, type[APIStatusError]] = {
    "invalid_request_error": InvalidRequestError,
    "authentication_error": AuthenticationError,
    "billing_error": PermissionDeniedError,
    "permission_error": PermissionDeniedError,
    "not_found_error": ModelNotFoundError,
    "request_too_large": RequestTooLargeError,
    "rate_limit_error": RateLimitError,
    "api_error": ServerError,
    "overloaded_error": OverloadedError,
}

#: How Anthropic words a prompt that does not fit the context window (a plain 400
#: ``invalid_request_error`` otherwise).
PHRASES: PhraseTable = (
    Phrase(r"prompt is too long", ContextLengthError, "context_length_exceeded",
           "prompt is too long: 210000 tokens > 200000 maximum"),
    Phrase(r"exceed context limit", ContextLengthError, "context_length_exceeded",
           "input length and `max_tokens` exceed context limit: 197000 + 8192 > 200000"),
    Phrase(r"context window", ContextLengthError, "context_length_exceeded",
           "The request exceeds the model's context window."),
)  # fmt: skip


def map_error(exc: Exception, secrets: tuple[str, ...]) -> PollyError | None:
    """The typed error for an Anthropic SDK or transport exception, or ``None`` when *exc*
    is neither."""
    import anthropic

    if isinstance(exc, anthropic.APIStatusError):
        return _status_error(exc, secrets)
    if isinstance(exc, anthropic.APITimeoutError):
        return APITimeoutError("the request to Anthropic timed out", provider=PROVIDER)
    if isinstance(exc, anthropic.APIConnectionError):
        cause = exc.__cause__
        mapped = transport_error(cause, provider=PROVIDER, secrets=secrets) if cause else None
        return mapped or APIConnectionError(
            f"cannot reach Anthropic: {redact(str(exc), secrets)}", provider=PROVIDER
        )
    if isinstance(exc, anthropic.APIResponseValidationError):
        return ResponseError(
            f"Anthropic sent a response that cannot be read: {redact(str(exc), secrets)}",
            provider=PROVIDER,
            status_code=exc.status_code,
        )
    return transport_error(exc, provider=PROVIDER, secrets=secrets)


def _status_error(exc: anthropic.APIStatusError, secrets: tuple[str, ...]) -> PollyError:
    status = exc.status_code
    error_type = exc.type
    message = exc.api_message or exc.message
    cls = _TYPE_CLASSES.get(error_type or "")
    if status == 200 and cls is None:
        return ResponseError(
            f"error inside the response stream: {redact(message, secrets)}",
            provider=PROVIDER,
            request_id=exc.request_id,
            code=error_type,
            body=exc.body,
        )
    if status != 200 and cls is not OverloadedError:
        cls = None  # the HTTP status decides, except for an overloaded error
    code = exc.error_code or error_type
    if (status == 400 or cls is InvalidRequestError) and (
        phrase := phrase_error(message, PHRASES)
    ) is not None:
        cls, code = phrase.cls, phrase.code
    return error_for_status(
        status,
        message,
        provider=PROVIDER,
        headers=exc.response.headers,
        request_id=exc.request_id or _body_request_id(exc.body),
        code=code,
        body=exc.body,
        cls=cls,
        secrets=secrets,
    )


def _body_request_id(body: object) -> str | None:
    value = body.get("request_id") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None
