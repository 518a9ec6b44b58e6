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
    MCPError,
    MCPRequestError,
    MCPTimeoutError,
    redact,
)

__all__ = ["is_http_rejection", "leaf", "translate"]


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
) -> MCPError:
    """The :class:`MCPError` for *exc*, raised while *doing* (``"connecting"``,
    ``"calling tool 'x'"``...). *timeout* is the limit that applied, *stderr* the server's
    last words."""
    cause = leaf(exc)
    if isinstance(cause, MCPError):
        return cause
    message = redact(str(cause)) or type(cause).__name__
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
    if isinstance(cause, httpx2.HTTPStatusError):
        status = cause.response.status_code
        return MCPConnectionError(
            f"HTTP {status} while {doing}", server=server, code=status, stderr=stderr
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


def is_http_rejection(error: MCPError) -> bool:
    """Whether a failed Streamable HTTP connect looks like the server speaks only SSE: an
    HTTP 4xx answer to the POST (the SDK reports those as JSON-RPC errors)."""
    if isinstance(error, MCPConnectionError) and error.code is not None:
        return 400 <= error.code < 500
    return isinstance(error, MCPRequestError) and error.code in (
        types.METHOD_NOT_FOUND,
        types.INTERNAL_ERROR,
        types.INVALID_REQUEST,
    )
