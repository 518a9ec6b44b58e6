"""Helpers adapters share to turn vendor failures into pollytool's typed errors."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from typing import Any

from ..errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    InvalidRequestError,
    ModelNotFoundError,
    OverloadedError,
    PermissionDeniedError,
    ProviderError,
    RateLimitError,
    RequestTooLargeError,
    ServerError,
    StreamInterruptedError,
    redact,
)

__all__ = [
    "error_for_status",
    "parse_retry_after",
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
        body=body,
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
    parsed = email.utils.parsedate_to_datetime(value) if value else None
    if parsed is None:
        return None
    return max(parsed.timestamp() - time.time(), 0.0)


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
