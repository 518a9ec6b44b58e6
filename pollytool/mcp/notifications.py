"""What MCP servers report while they work: progress of a tool call, log messages, and the
callbacks that receive them. A callback may be a plain function or a coroutine function; an
exception it raises is logged and otherwise ignored."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

if TYPE_CHECKING:
    from ..tools.mcp import MCPTool

__all__ = [
    "LogCallback",
    "MCPLogMessage",
    "MCPProgress",
    "ProgressCallback",
    "ToolsChangedCallback",
]

_logger = logging.getLogger("pollytool.mcp")


@dataclass(frozen=True, slots=True)
class MCPProgress:
    """A progress report for a running tool call: ``progress`` out of ``total`` (when the
    server knows the total), with an optional message."""

    server: str
    tool: str
    progress: float
    total: float | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class MCPLogMessage:
    """A log message the server sent (``notifications/message``). ``level`` is the MCP level
    (``debug``, ``info``, ``notice``, ``warning``, ``error``, ``critical``, ``alert``,
    ``emergency``); ``data`` is whatever JSON value the server logged."""

    server: str
    level: str
    data: Any
    logger: str | None = None


#: Receives each progress report of a tool call.
ProgressCallback: TypeAlias = Callable[[MCPProgress], Awaitable[None] | None]
#: Receives each log message of a server.
LogCallback: TypeAlias = Callable[[MCPLogMessage], Awaitable[None] | None]
#: Receives a server's new tool list after it announced a change.
ToolsChangedCallback: TypeAlias = Callable[[list["MCPTool"]], Awaitable[None] | None]

_T = TypeVar("_T")

#: Python logging levels of the MCP log levels.
LOG_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "notice": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
    "alert": logging.CRITICAL,
    "emergency": logging.CRITICAL,
}


async def invoke(callback: Callable[[_T], Awaitable[None] | None], value: _T) -> None:
    """Call a user callback, awaiting it when it is a coroutine; log what it raises."""
    try:
        result = callback(value)
        if inspect.isawaitable(result):
            await result
    except Exception:
        _logger.exception("an MCP callback (%r) raised", callback)
