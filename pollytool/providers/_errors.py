"""What adapters share to turn vendor failures into pollytool's typed, redacted errors.

* :func:`error_for_status`: the class for an HTTP status, with ``retry_after`` from the headers.
* :func:`transport_error`: broken, refused and timed-out connections of any HTTP stack.
* :func:`phrase_error`: a provider's own wording, where it leaves no other signal, looked up in
  that provider's one table of phrases.
* :func:`sanitized`: the last step for every error an adapter reports: message and body
  redacted, and the vendor exception chained as a redacted stand-in
  (:class:`VendorException`), so neither ``str(error)`` nor ``logging.exception`` can show a
  key, whatever the vendor put into its own exception.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit

from ..errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    InvalidRequestError,
    ModelNotFoundError,
    OverloadedError,
    PermissionDeniedError,
    PollyError,
    ProviderError,
    RateLimitError,
    RequestTooLargeError,
    ServerError,
    StreamInterruptedError,
    redact,
)

__all__ = [
    "Phrase",
    "PhraseTable",
    "VendorException",
    "display_url",
    "error_for_status",
    "parse_retry_after",
    "phrase_error",
    "redact_value",
    "sanitized",
    "transport_error",
]

_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: ModelNotFoundError,
    409: InvalidRequestError,
    413: RequestTooLargeError,
    422: InvalidRequestError,
    429: RateLimitError,
    529: OverloadedError,
}


def error_for_status(
    status: int,
    message: str,
    *,
    provider: str,
    headers: Mapping[str, str] | None = None,
    request_id: str | None = None,
    code: str | None = None,
    body: Any = None,
    cls: type[APIStatusError] | None = None,
    secrets: tuple[str, ...] = (),
) -> APIStatusError:
    """The typed error for an HTTP error *status*. *cls* overrides the choice by status (for
    provider-specific cases such as a context-length 400). ``retry_after`` comes from the
    ``retry-after-ms`` / ``retry-after`` headers."""
    if cls is None:
        cls = _STATUS_CLASSES.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else InvalidRequestError
    if request_id is None and headers is not None:
        request_id = headers.get("x-request-id") or headers.get("request-id")
    return cls(
        redact(message, secrets) or f"HTTP {status}",
        provider=provider,
        status_code=status,
        request_id=request_id,
        retry_after=parse_retry_after(headers) if headers is not None else None,
        code=code,
        body=redact_value(body, secrets),
    )


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(float(value) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(parsed.timestamp() - time.time(), 0.0)


# --------------------------------------------------------------------------- phrases


class Phrase(NamedTuple):
    """A provider's wording for a failure it gives no other signal for.

    Attributes:
        pattern: a regular expression searched for in the message (case ignored).
        cls: the error class it means.
        code: the ``code`` the error gets.
        example: a message the provider sends (documentation, and what the tests send).
    """

    pattern: str
    cls: type[APIStatusError]
    code: str
    example: str


#: One provider's phrases, checked in order; one table per provider, in its ``_errors``.
PhraseTable = tuple[Phrase, ...]


def phrase_error(message: str, table: PhraseTable) -> Phrase | None:
    """The first row of *table* whose pattern occurs in *message*."""
    for phrase in table:
        if re.search(phrase.pattern, message, re.IGNORECASE):
            return phrase
    return None


# --------------------------------------------------------------------------- transport

_TIMEOUT_NAMES = frozenset(
    {"TimeoutException", "ReadTimeout", "ConnectTimeout", "WriteTimeout", "PoolTimeout",
     "TimeoutError", "ServerTimeoutError"}
)  # fmt: skip
_CUT_NAMES = frozenset(
    {"RemoteProtocolError", "ReadError", "ClientPayloadError", "IncompleteRead",
     "ServerDisconnectedError", "EndOfStream", "BrokenResourceError", "ClosedResourceError"}
)  # fmt: skip
_CONNECT_NAMES = frozenset(
    {"ConnectError", "ConnectionError", "ClientConnectorError", "NetworkError", "TransportError"}
)  # fmt: skip


def transport_error(
    exc: BaseException, *, provider: str, secrets: tuple[str, ...] = ()
) -> ProviderError | None:
    """The typed error for a transport failure from ``httpx``, ``httpx2``, ``aiohttp`` or the
    OS (matched by class name along the MRO, so neither HTTP stack needs importing), or
    ``None`` when *exc* is not one."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    detail = redact(str(exc), secrets) or type(exc).__name__
    if names & _TIMEOUT_NAMES:
        return APITimeoutError(f"timed out: {detail}", provider=provider)
    if names & _CUT_NAMES:
        return StreamInterruptedError(f"the connection broke off: {detail}", provider=provider)
    if names & _CONNECT_NAMES:
        return APIConnectionError(f"cannot connect: {detail}", provider=provider)
    return None


# --------------------------------------------------------------------------- redaction


def display_url(url: str | None) -> str | None:
    """*url* without the user name and password it may carry (``https://user:KEY@host``)."""
    if not url:
        return url
    parts = urlsplit(url if "//" in url else f"http://{url}")
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def redact_value(value: Any, secrets: tuple[str, ...] = ()) -> Any:
    """*value* (a provider's error body: dicts, lists, strings) with every string redacted."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, Mapping):
        return {redact(str(k), secrets): redact_value(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v, secrets) for v in value]
    return value


class VendorException(Exception):
    """Stands in for a vendor SDK's exception as the ``__cause__`` of a pollytool error.

    It keeps what helps debugging (the vendor's class name, its message with keys removed,
    the traceback, and its own causes the same way) and nothing else: vendor exceptions hold
    requests, responses and headers that may carry the API key.

    Attributes:
        vendor_type: the qualified name of the vendor's exception class.
    """

    def __init__(self, vendor_type: str, message: str) -> None:
        super().__init__(f"{vendor_type}: {message}" if message else vendor_type)
        self.vendor_type = vendor_type


_CHAIN_DEPTH = 5


def _stand_in(exc: BaseException, secrets: tuple[str, ...], depth: int = 0) -> BaseException:
    if isinstance(exc, VendorException):
        return exc
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    copy = VendorException(name, redact(str(exc), secrets)).with_traceback(exc.__traceback__)
    inner = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    if inner is not None and depth < _CHAIN_DEPTH:
        copy.__cause__ = _stand_in(inner, secrets, depth + 1)
    return copy


def sanitized(
    error: PollyError, secrets: tuple[str, ...], cause: BaseException | None = None
) -> PollyError:
    """*error* made safe to show and log: its message (and a provider error's body) redacted,
    and *cause* (or the cause it already has) chained as a redacted :class:`VendorException`.
    A pollytool error chained as the cause is sanitized the same way."""
    error.message = redact(error.message, secrets)
    if isinstance(error, ProviderError) and error.body is not None:
        error.body = redact_value(error.body, secrets)
    if cause is None:
        cause = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    if isinstance(cause, PollyError):
        error.__cause__ = sanitized(cause, secrets) if cause is not error else None
    elif cause is not None:
        error.__cause__ = _stand_in(cause, secrets)
    error.__context__ = None
    error.__suppress_context__ = True
    return error
