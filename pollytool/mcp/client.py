"""``MCPClient``: one connection to one MCP server, over stdio, Streamable HTTP or SSE.

::

    from pollytool.mcp import MCPClient

    argv = ["npx", "-y", "@modelcontextprotocol/server-filesystem", "."]
    async with MCPClient("stdio", argv) as fs:
        tools = await fs.get_tools()             # pollytool tools, ready for a ToolRegistry
        result = await fs.call_tool("list_directory", {"path": "."})
        print(result.text)

The connection is owned by one background task, started when the ``async with`` block is
entered and stopped when it is left (or by :meth:`MCPClient.aclose`, from any task). Calls can
come from any task, concurrently. A stdio server is stopped with its process group when the
client closes, is cancelled or fails; its standard error goes to the ``pollytool.mcp.server``
logger, not to your terminal. Every request has a timeout (``timeout``, 120 s by default) and
so has starting the server and the handshake (``connect_timeout``, 30 s).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import AsyncExitStack, contextmanager
from typing import TYPE_CHECKING, Any, TextIO

import anyio
import httpx2
import mcp_types as types
from anyio.abc import TaskGroup, TaskStatus
from mcp import Client
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from .._resource import AsyncResource
from .._version import __version__
from ..errors import MCPConnectionError, MCPRequestError, PollyError
from ..tools.mcp import MCPTool
from ..tools.sandbox import SandboxSpec
from . import results
from ._errors import is_http_rejection, translate
from ._stderr import server_logger
from ._transports import Connector, HTTPClientFactory, default_http_client, sandbox_for
from .config import MCPServerConfig, Transport, server_for_transport
from .notifications import (
    LOG_LEVELS,
    LogCallback,
    MCPLogMessage,
    MCPProgress,
    ProgressCallback,
    ToolsChangedCallback,
    invoke,
)

if TYPE_CHECKING:
    from types import TracebackType

    from mcp.client.session import IncomingMessage
    from mcp.shared.dispatcher import ProgressFnT

__all__ = ["HTTPClientFactory", "MCPClient"]

_MAX_PAGES = 1000  # a server whose cursors never end cannot hang a listing


class MCPClient(AsyncResource):
    """A connection to one MCP server.

    ``MCPClient("stdio", ["uvx", "mcp-server-time"])`` (the argv may also be one string,
    split with shell quoting), ``MCPClient("http", "https://host/mcp", headers={...})``,
    ``MCPClient("sse", "https://host/sse")``, ``MCPClient(config)`` for an
    :class:`~pollytool.mcp.MCPServerConfig` from a config file, or
    ``MCPClient(server)`` for an in-process ``mcp`` server object (for tests). Keyword
    arguments override the config's fields.

    Args:
        name: the server's name (default: derived from the command or host).
        env: extra environment variables for a stdio server (it gets only these and a minimal
            set such as ``PATH`` and ``HOME``).
        cwd: working directory of a stdio server.
        headers: HTTP headers for a remote server; ``auth`` an ``httpx2.Auth``.
        http_client_factory: builds the ``httpx2.AsyncClient`` for a remote server.
        connect_timeout: seconds for starting the server and the handshake (default 30).
        timeout: seconds for each request (default 120); ``call_tool`` can override it.
        mode: ``"auto"`` (default) or ``"legacy"``, see :class:`MCPServerConfig`.
        sandbox: run a stdio server in the sandbox: ``True``, a policy mapping or a
            :class:`~pollytool.tools.sandbox.SandboxSpec`; ``False`` never (even with
            *sandbox_default*).
        sandbox_default: the sandbox for a stdio server whose config does not say (a server's
            own policy is merged into it); ``None``: no sandbox unless the config asks.
        nosandbox: run unsandboxed whatever the config says (default: the
            ``POLLYTOOL_NOSANDBOX`` environment variable); a warning is logged.
        stderr: a file (with a file descriptor) for a stdio server's standard error, instead
            of the ``pollytool.mcp.server`` logger.
        on_progress: receives :class:`~pollytool.mcp.MCPProgress` reports of tool calls.
        on_log: receives the server's log messages as :class:`~pollytool.mcp.MCPLogMessage`
            (without it they go to the ``pollytool.mcp.server`` logger).
        on_tools_changed: receives the new tool list when the server announces a change.
    """

    def __init__(
        self,
        server: Transport | MCPServerConfig | Any,
        target: Sequence[str] | str | None = None,
        *,
        name: str | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: httpx2.Auth | None = None,
        http_client_factory: HTTPClientFactory | None = None,
        connect_timeout: float | None = None,
        timeout: float | None = None,
        mode: str | None = None,
        sandbox: SandboxSpec | bool | Mapping[str, Any] | None = None,
        sandbox_default: SandboxSpec | bool | Mapping[str, Any] | None = None,
        nosandbox: bool | None = None,
        stderr: TextIO | None = None,
        on_progress: ProgressCallback | None = None,
        on_log: LogCallback | None = None,
        on_tools_changed: ToolsChangedCallback | None = None,
    ) -> None:
        overrides: dict[str, Any] = {
            "name": name,
            "env": env,
            "cwd": os.fspath(cwd) if cwd is not None else None,
            "headers": headers,
            "connect_timeout": connect_timeout,
            "timeout": timeout,
            "mode": mode,
            "sandbox": sandbox,
        }
        overrides = {k: v for k, v in overrides.items() if v is not None}
        self._in_process: Any = None
        if isinstance(server, MCPServerConfig):
            base = server
        elif isinstance(server, str):
            base = server_for_transport(server, target)
        else:
            self._in_process = server
            default_name = getattr(server, "name", None)
            base = MCPServerConfig(
                overrides.pop("name", None) or str(default_name or "in-process"),
                "stdio",
                command="<in-process>",
                source="in-process",
            )
        self.config: MCPServerConfig = dataclasses.replace(base, **overrides)
        #: The sandbox the stdio server runs in, or ``None``.
        self.sandbox: SandboxSpec | None = (
            None if self._in_process is not None else sandbox_for(
                self.config, sandbox_default, nosandbox
            )
        )  # fmt: skip
        self._connector = Connector(
            self.config,
            in_process=self._in_process,
            sandbox=self.sandbox,
            http_client_factory=http_client_factory or default_http_client,
            auth=auth,
            stderr_file=stderr,
        )
        self._on_progress = on_progress
        self._on_log = on_log
        self._on_tools_changed = on_tools_changed
        self._session: Client | None = None
        self._tools: list[MCPTool] = []
        self._task_group: TaskGroup | None = None
        self._stop: anyio.Event | None = None
        self._closed: anyio.Event | None = None
        self._refresh_wanted: anyio.Event | None = None
        self._failure: PollyError | None = None
        self._transport: str | None = None

    def __repr__(self) -> str:
        state = "connected" if self._session is not None else "not connected"
        return f"MCPClient({self.name!r}, {self.describe()!r}, {state})"

    # ------------------------------------------------------------------ facts

    @property
    def name(self) -> str:
        """The server's name (the namespace of its tools)."""
        return self.config.name

    def describe(self) -> str:
        """The command line, or the URL and transport, of the server."""
        if self._in_process is not None:
            return "in-process server"
        if self._transport in ("http", "sse"):
            return f"{self.config.url} ({self._transport})"
        return self.config.describe()

    @property
    def transport(self) -> str:
        """The transport in use (``"stdio"``, ``"http"``, ``"sse"``, ``"in-process"``); for a
        URL without a type, ``"sse"`` when the server turned out to speak only SSE."""
        return self._transport or ("in-process" if self._in_process else self.config.transport)

    @property
    def connected(self) -> bool:
        """Whether the connection is open (it may still have been lost since)."""
        return self._session is not None

    @property
    def protocol_version(self) -> str:
        """The MCP protocol version agreed with the server."""
        return self._connected().protocol_version

    @property
    def server_info(self) -> types.Implementation | None:
        """The server's name and version as it reported them (``None`` if it did not)."""
        return self._connected().server_info

    @property
    def capabilities(self) -> types.ServerCapabilities:
        """What the server said it supports (tools, resources, prompts, logging...)."""
        return self._connected().server_capabilities

    @property
    def instructions(self) -> str | None:
        """The server's instructions for the model, if it gave any."""
        return self._connected().instructions

    @property
    def tools(self) -> list[MCPTool]:
        """The server's tools as last listed (after a change announcement, the new list)."""
        return list(self._tools)

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> MCPClient:
        if self._task_group is not None:
            raise MCPConnectionError("this MCPClient was already opened", server=self.name)
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        self._task_group = task_group
        try:
            await self.start_in(task_group)
        except BaseException as exc:
            if isinstance(exc, anyio.get_cancelled_exc_class()):
                await task_group.__aexit__(type(exc), exc, exc.__traceback__)
            else:
                await task_group.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._stop is not None:
            self._stop.set()
        task_group = self._task_group
        assert task_group is not None
        if exc is not None and not isinstance(exc, anyio.get_cancelled_exc_class()):
            exc_type = exc = tb = None  # the block's own error propagates unwrapped
        await task_group.__aexit__(exc_type, exc, tb)

    async def start_in(self, task_group: TaskGroup) -> None:
        """Connect, with the connection owned by a new task of *task_group*; raise the
        connection error if it fails. (What ``async with`` does with a task group of its own;
        :func:`~pollytool.mcp.load_mcp_servers` starts several clients this way.)"""
        self._stop = anyio.Event()
        self._closed = anyio.Event()
        self._refresh_wanted = anyio.Event()
        await task_group.start(self._serve)
        if self._failure is not None:
            raise self._failure

    async def aclose(self) -> None:
        """Close the connection (a stdio server is stopped) and wait until it is closed.
        Safe from any task, and more than once."""
        if self._stop is None or self._closed is None:
            return
        self._stop.set()
        await self._closed.wait()

    async def _serve(self, *, task_status: TaskStatus[None]) -> None:
        """The owner task: connect (trying each transport the config allows), serve until
        the stop signal, close. A failure to connect is left in ``_failure`` for
        :meth:`start_in` to raise."""
        assert self._closed is not None
        try:
            for transport in self._connector.kinds():
                self._transport, self._failure = transport, None
                self._failure = await self._connection(transport, task_status)
                if not (transport == "http" and is_http_rejection(self._failure)):
                    break
            if self._failure is not None:
                task_status.started()
        finally:
            self._session = None
            self._closed.set()

    async def _connection(self, transport: str, task_status: TaskStatus[None]) -> PollyError | None:
        """One connection over *transport*, from connecting to closing; returns the reason
        it could not connect, or ``None`` after it was up (and has been closed).

        The connect timeout is the deadline of a cancel scope around the whole connection,
        lifted once connected: the SDK's client leaves its task groups open after
        ``__aenter__``, so a scope around ``__aenter__`` alone would not nest."""
        assert self._stop is not None
        connecting = anyio.CancelScope(deadline=anyio.current_time() + self.config.connect_timeout)
        up = False
        try:
            with connecting:
                async with anyio.create_task_group() as stderr_group:
                    try:
                        async with AsyncExitStack() as stack:
                            await self._connect(stack, transport, stderr_group)
                            async with anyio.create_task_group() as watchers:
                                await self._watch_for_changes(watchers)
                                self._tools = await self._list_tools()
                                connecting.deadline = math.inf
                                task_status.started()
                                up = True
                                await self._stop.wait()
                                watchers.cancel_scope.cancel()
                    finally:
                        await self._connector.finish(stderr_group)
            if connecting.cancelled_caught:
                raise TimeoutError
        except Exception as exc:
            timed_out = connecting.cancel_called and not up
            failure = translate(
                TimeoutError() if timed_out else exc,
                server=self.name,
                doing=f"connecting ({self.describe()})",
                timeout=self.config.connect_timeout if timed_out else self.config.timeout,
                stderr=self._connector.stderr_tail(),
                http_status=self._connector.http_error,
            )
            if not up:
                self._session = None
                return failure
            server_logger.warning("%s", failure)  # the connection was up; closing it failed
        return None

    async def _connect(
        self, stack: AsyncExitStack, transport: str, stderr_group: TaskGroup
    ) -> None:
        server = await self._connector.open(transport, stack, stderr_group)
        session = Client(
            server,
            read_timeout_seconds=self.config.timeout,
            mode=self.config.mode,
            message_handler=self._on_message,
            logging_callback=self._on_log_message,
            log_level="debug" if self._on_log is not None else None,
            client_info=types.Implementation(name="pollytool", version=__version__),
        )
        await stack.enter_async_context(session)
        self._connector.spawned()
        self._session = session

    # ------------------------------------------------------------------ tool list changes

    async def _watch_for_changes(self, watchers: TaskGroup) -> None:
        """Refresh the tool list whenever the server announces a change: on 2026 connections
        the server announces only to a listener (entered before the first listing, so no
        change is missed), on older ones it sends notifications (see :meth:`_on_message`)."""
        session = self._connected()
        tools = session.server_capabilities.tools
        if tools is None:
            return
        watchers.start_soon(self._refresh_when_wanted)
        if tools.list_changed and session.protocol_version in MODERN_PROTOCOL_VERSIONS:
            await watchers.start(self._listen_for_changes, session)

    async def _listen_for_changes(self, session: Client, *, task_status: TaskStatus[None]) -> None:
        listening = False
        try:
            async with session.listen(tools_list_changed=True) as subscription:
                task_status.started()
                listening = True
                async for _ in subscription:
                    self._want_refresh()
        except Exception as exc:
            error = translate(exc, server=self.name, doing="listening for tool list changes")
            server_logger.warning("%s", error)
            if not listening:
                task_status.started()

    def _want_refresh(self) -> None:
        if self._refresh_wanted is not None:
            self._refresh_wanted.set()

    async def _refresh_when_wanted(self) -> None:
        while True:
            assert self._refresh_wanted is not None
            await self._refresh_wanted.wait()
            self._refresh_wanted = anyio.Event()
            try:
                self._tools = await self._list_tools()
            except PollyError as exc:
                server_logger.warning("[%s] cannot refresh the tool list: %s", self.name, exc)
                continue
            if self._on_tools_changed is not None:
                await invoke(self._on_tools_changed, self.tools)

    async def _on_message(self, message: IncomingMessage) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            self._want_refresh()
        elif isinstance(message, Exception):
            server_logger.debug("[%s] transport reported: %r", self.name, message)

    async def _on_log_message(self, params: types.LoggingMessageNotificationParams) -> None:
        if self._on_log is not None:
            message = MCPLogMessage(self.name, params.level, params.data, params.logger)
            await invoke(self._on_log, message)
            return
        source = f"{params.logger}: " if params.logger else ""
        server_logger.log(
            LOG_LEVELS.get(params.level, 20),
            "[%s] %s%s",
            self.name,
            source,
            params.data,
            extra={"mcp_server": self.name},
        )

    # ------------------------------------------------------------------ requests

    def _connected(self) -> Client:
        if self._session is None:
            if self._failure is not None:
                raise self._failure
            raise MCPConnectionError(
                "not connected; use 'async with MCPClient(...) as client:'", server=self.name
            )
        return self._session

    @contextmanager
    def _request(self, doing: str, timeout: float | None = None) -> Iterator[None]:
        """Translate what a request raises into the MCPError family."""
        self._connector.http_error = None
        try:
            yield
        except PollyError:
            raise
        except Exception as exc:
            raise translate(
                exc,
                server=self.name,
                doing=doing,
                timeout=timeout or self.config.timeout,
                stderr=self._connector.stderr_tail(),
                http_status=self._connector.http_error,
            ) from exc

    async def _all_pages(
        self, doing: str, fetch: Callable[[str | None], Awaitable[Any]], items: str
    ) -> list[Any]:
        out: list[Any] = []
        cursor: str | None = None
        with self._request(doing):
            for _ in range(_MAX_PAGES):
                page = await fetch(cursor)
                out.extend(getattr(page, items))
                cursor = page.next_cursor
                if cursor is None:
                    return out
        raise MCPRequestError(
            f"the server's {items} listing did not end after {_MAX_PAGES} pages",
            server=self.name,
        )

    async def _list_tools(self) -> list[MCPTool]:
        session = self._connected()
        if session.server_capabilities.tools is None:
            return []

        async def page(cursor: str | None) -> types.ListToolsResult:
            return await session.list_tools(cursor=cursor, cache_mode="refresh")

        listed: list[types.Tool] = await self._all_pages("listing tools", page, "tools")
        return [
            MCPTool(
                self,
                tool.name,
                description=tool.description or "",
                input_schema=tool.input_schema,
                title=tool.title,
                annotations=tool.annotations,
                output_schema=tool.output_schema,
                sandboxed=self.sandbox is not None,
            )
            for tool in listed
            if self.config.wants_tool(tool.name)
        ]

    async def get_tools(self, *, refresh: bool = False) -> list[MCPTool]:
        """The server's tools as pollytool tools (listed when connecting and whenever the
        server announces a change; ``refresh=True`` lists them again now)."""
        if refresh:
            self._tools = await self._list_tools()
        else:
            self._connected()
        return self.tools

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 (a per-request limit the MCP SDK enforces)
        on_progress: ProgressCallback | None = None,
    ) -> results.MCPToolResult:
        """Call tool *name* (the server's own name for it) and return its result.

        A tool that fails reports it in the result (``is_error``); a result whose structured
        content breaks the tool's output schema comes back as an error result too. Raises
        :class:`~pollytool.errors.MCPTimeoutError` past *timeout* (default: the client's),
        :class:`~pollytool.errors.MCPConnectionError` when the server is gone and
        :class:`~pollytool.errors.MCPRequestError` when it rejects the request.
        """
        session = self._connected()
        limit = timeout or self.config.timeout
        handler = on_progress or self._on_progress
        progress = None if handler is None else self._progress_reporter(name, handler)
        with self._request(f"calling tool {name!r}", limit):
            try:
                result = await session.call_tool(
                    name,
                    dict(arguments or {}),
                    read_timeout_seconds=limit,
                    progress_callback=progress,
                )
            except RuntimeError as exc:  # the SDK's output-schema check of the result
                return results.MCPToolResult(
                    f"the result of tool {name!r} could not be used: {exc}", is_error=True
                )
        return results.tool_result(result)

    def _progress_reporter(self, tool: str, handler: ProgressCallback) -> ProgressFnT:
        async def report(progress: float, total: float | None, message: str | None) -> None:
            await invoke(handler, MCPProgress(self.name, tool, progress, total, message))

        return report

    async def list_resources(self) -> list[types.Resource]:
        """The server's resources (all pages); empty when it offers none."""
        session = self._connected()
        if session.server_capabilities.resources is None:
            return []

        async def page(cursor: str | None) -> types.ListResourcesResult:
            return await session.list_resources(cursor=cursor)

        return await self._all_pages("listing resources", page, "resources")

    async def list_resource_templates(self) -> list[types.ResourceTemplate]:
        """The server's resource templates (URI patterns); empty when it offers none."""
        session = self._connected()
        if session.server_capabilities.resources is None:
            return []

        async def page(cursor: str | None) -> types.ListResourceTemplatesResult:
            return await session.list_resource_templates(cursor=cursor)

        return await self._all_pages("listing resource templates", page, "resource_templates")

    async def read_resource(self, uri: str) -> list[results.MCPResourceContents]:
        """The contents of the resource at *uri* (text, or bytes in ``blob``)."""
        session = self._connected()
        with self._request(f"reading resource {uri!r}"):
            result = await session.read_resource(uri)
        return [results.resource_contents(item) for item in result.contents]

    async def list_prompts(self) -> list[types.Prompt]:
        """The server's prompt templates (all pages); empty when it offers none."""
        session = self._connected()
        if session.server_capabilities.prompts is None:
            return []

        async def page(cursor: str | None) -> types.ListPromptsResult:
            return await session.list_prompts(cursor=cursor)

        return await self._all_pages("listing prompts", page, "prompts")

    async def get_prompt(
        self, name: str, arguments: Mapping[str, str] | None = None
    ) -> results.MCPPrompt:
        """Prompt *name* rendered with *arguments*, as chat messages."""
        session = self._connected()
        with self._request(f"getting prompt {name!r}"):
            result = await session.get_prompt(name, dict(arguments or {}))
        return results.prompt(result)
