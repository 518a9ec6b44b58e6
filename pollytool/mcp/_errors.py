"""Turn what the MCP SDK, the HTTP client and the operating system raise into pollytool's
:class:`~pollytool.errors.MCPError` family."""

from __future__ import annotations

import anyio
import httpx2
import mcp_types as types
from mcp import MCPError as SDKError
from pydantic import ValidationError

from ..errors import (
    MCPConnectionError,
    MCPRequestError,
    MCPTimeoutError,
    PollyError,
    redact,
)

__all__ = ["is_http_rejection", "leaf", "translate"]


#: The codes the SDK's Streamable HTTP transport reports an HTTP error status with.
_HTTP_STAND_INS = frozenset({types.INTERNAL_ERROR, types.METHOD_NOT_FOUND, types.INVALID_REQUEST})


def leaf(exc: BaseException) -> BaseException:
    """The exception that matters inside the SDK's nested exception groups: the first leaf
    that is not a cancellation (or the first leaf when all are)."""
    if not isinstance(exc, BaseExceptionGroup):
        return exc
    leaves = [leaf(inner) for inner in exc.exceptions]
    cancelled = anyio.get_cancelled_exc_class()
    return next((e for e in leaves if not isinstance(e, cancelled)), leaves[0])


def translate(
    exc: BaseException,
    *,
    server: str,
    doing: str,
    timeout: float | None = None,
    stderr: str = "",
    http_status: int | None = None,
) -> PollyError:
    """The :class:`MCPError` for *exc*, raised while *doing* (``"connecting"``,
    ``"calling tool 'x'"``...); pollytool's own errors (a sandbox that cannot be set up)
    are returned as they are. *timeout* is the limit that applied, *stderr* the server's
    last words, *http_status* the HTTP error status a remote server answered with."""
    cause = leaf(exc)
    if isinstance(cause, PollyError):
        return cause
    message = redact(str(cause)) or type(cause).__name__
    if isinstance(cause, httpx2.HTTPStatusError):
        http_status = cause.response.status_code
    elif not (isinstance(cause, SDKError) and cause.code in _HTTP_STAND_INS):
        http_status = None
    if http_status is not None:
        return MCPConnectionError(
            f"the server answered HTTP {http_status} while {doing}",
            server=server,
            code=http_status,
            stderr=stderr,
        )
    if isinstance(cause, SDKError):
        if cause.code == types.CONNECTION_CLOSED:
            return MCPConnectionError(
                f"the connection closed while {doing} (the server exited or hung up)",
                server=server,
                code=cause.code,
                stderr=stderr,
            )
        if cause.code == types.REQUEST_TIMEOUT:
            return MCPTimeoutError(
                f"no answer within {timeout:g}s while {doing}"
                if timeout is not None
                else f"timed out while {doing}",
                server=server,
                code=cause.code,
                stderr=stderr,
            )
        return MCPRequestError(
            f"error while {doing}: {redact(cause.message)} (code {cause.code})",
            server=server,
            code=cause.code,
            stderr=stderr,
        )
    if isinstance(cause, TimeoutError):
        limit = f" within {timeout:g}s" if timeout is not None else ""
        return MCPTimeoutError(f"no answer{limit} while {doing}", server=server, stderr=stderr)
    if isinstance(cause, ValidationError):
        return MCPRequestError(
            f"the server sent data that breaks the MCP protocol while {doing}: "
            f"{cause.error_count()} validation errors",
            server=server,
            stderr=stderr,
        )
    if isinstance(cause, FileNotFoundError | PermissionError) and cause.filename:
        return MCPConnectionError(
            f"cannot start {cause.filename!r} while {doing}: {cause.strerror} (is it installed "
            "and on PATH?)",
            server=server,
            stderr=stderr,
        )
    # other OSErrors, httpx2.TransportError (refused, reset...) and the rest
    return MCPConnectionError(
        f"{type(cause).__name__} while {doing}: {message}", server=server, stderr=stderr
    )


#: HTTP answers to a Streamable HTTP POST that mean "this is an SSE-only server" (the MCP
#: spec's backwards-compatibility rule; 401/403 are not among them: SSE would fail alike).
_SSE_ONLY_STATUSES = frozenset({400, 404, 405})


def is_http_rejection(error: PollyError | None) -> bool:
    """Whether a failed Streamable HTTP connect looks like the server speaks only SSE."""
    return isinstance(error, MCPConnectionError) and error.code in _SSE_ONLY_STATUSES
