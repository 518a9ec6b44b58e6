"""Gemini failures as pollytool's typed errors.

google-genai raises ``errors.ClientError`` (4xx) and ``errors.ServerError`` (5xx) with the
HTTP status, or the ``code`` of an error object inside a stream, in ``.code``:

* 400 whose details say ``API_KEY_INVALID`` → :class:`~pollytool.errors.AuthenticationError`
  (Gemini has no 401 for a bad key); other 400s → ``InvalidRequestError``.
* 401 → ``AuthenticationError``; 403 → ``PermissionDeniedError`` (also a missing key);
  404 → ``ModelNotFoundError``.
* 429 → ``RateLimitError`` with ``retry_after`` from the ``RetryInfo`` detail
  (``"retryDelay": "7s"``) or a ``Retry-After`` header.
* 503 / ``UNAVAILABLE`` → ``OverloadedError``; other 5xx → ``ServerError``.

A broken or timed-out connection arrives as a raw ``httpx2`` exception and becomes
``StreamInterruptedError`` / ``APITimeoutError`` / ``APIConnectionError``; a body that is not
JSON becomes ``ResponseError``. Messages never contain the API key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...errors import (
    AuthenticationError,
    ContextLengthError,
    OverloadedError,
    PollyError,
    ResponseError,
    redact,
)
from .._errors import Phrase, PhraseTable, error_for_status, phrase_error, transport_error

if TYPE_CHECKING:
    from google.genai import errors as genai_errors

__all__ = ["PHRASES", "map_error"]

PROVIDER = "gemini"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")

#: Gemini's wording for a prompt longer than the context window (a plain 400
#: ``INVALID_ARGUMENT`` otherwise).
PHRASES: PhraseTable = (
    Phrase(r"exceeds the maximum number of tokens", ContextLengthError,
           "context_length_exceeded",
           "The input token count (1048577) exceeds the maximum number of tokens allowed "
           "(1048576)."),
)  # fmt: skip


def map_error(exc: BaseException, *, secrets: tuple[str, ...]) -> PollyError:
    """The typed error for anything the SDK raised."""
    from google.genai import errors as genai_errors

    if isinstance(exc, PollyError):
        return exc
    if isinstance(exc, genai_errors.APIError):
        return _api_error(exc, secrets)
    transport = transport_error(exc, provider=PROVIDER, secrets=secrets)
    if transport is not None:
        return transport
    if isinstance(exc, genai_errors.UnknownApiResponseError):
        return ResponseError(
            f"Gemini sent a response that is not valid JSON ({redact(str(exc), secrets)[:300]})",
            provider=PROVIDER,
        )
    return ResponseError(f"{type(exc).__name__}: {redact(str(exc), secrets)}", provider=PROVIDER)


def _api_error(exc: genai_errors.APIError, secrets: tuple[str, ...]) -> PollyError:
    status = exc.status if isinstance(exc.status, str) else None
    message = exc.message if isinstance(exc.message, str) else str(exc)
    code: Any = exc.code  # None for an error object without a code inside a stream
    if not isinstance(code, int):
        return ResponseError(redact(message, secrets), provider=PROVIDER, code=status)
    details = _details(exc.details)
    reasons = {d.get("reason") for d in details if _is_type(d, "ErrorInfo")}
    cls: Any = None
    if code == 400 and "API_KEY_INVALID" in reasons:
        cls = AuthenticationError
    elif code == 400 and (phrase := phrase_error(message, PHRASES)) is not None:
        cls, status = phrase.cls, phrase.code
    elif code == 503 or status == "UNAVAILABLE":
        cls = OverloadedError
    headers = getattr(exc.response, "headers", None)
    error = error_for_status(
        code,
        message,
        provider=PROVIDER,
        headers=headers if isinstance(headers, Mapping) else None,
        code=status,
        body=exc.details,
        cls=cls,
        secrets=secrets,
    )
    delay = _retry_delay(details)
    if delay is not None:
        error.retry_after = delay
    return error


def _details(body: Any) -> list[dict[str, Any]]:
    """The ``details`` list of a Google error body."""
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    if not isinstance(details, list):
        return []
    return [d for d in details if isinstance(d, dict)]


def _is_type(detail: dict[str, Any], name: str) -> bool:
    kind = detail.get("@type")
    return isinstance(kind, str) and kind.endswith(f".{name}")


def _retry_delay(details: list[dict[str, Any]]) -> float | None:
    """Seconds from a ``google.rpc.RetryInfo`` detail (``"retryDelay": "7s"``)."""
    for detail in details:
        if _is_type(detail, "RetryInfo"):
            match = _DURATION.match(str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None
