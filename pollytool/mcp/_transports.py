"""What an :class:`~pollytool.mcp.MCPClient` connects through: the ``mcp`` SDK transport for
a stdio server (sandboxed when asked, stderr to the log), a Streamable HTTP or SSE server (on
an ``httpx2`` client noting HTTP error statuses), or an in-process server."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AsyncExitStack
from typing import Any, Protocol, TextIO

import anyio
import httpx2
from anyio.abc import TaskGroup
from mcp import StdioServerParameters, stdio_client
from mcp.client.sse import sse_client
from mcp.client.stdio import get_default_environment
from mcp.client.streamable_http import streamable_http_client

from ..errors import MCPConfigError, SandboxSpecError
from ..tools.sandbox import SandboxSpec, effective_sandbox, sandboxed_command
from ._stderr import StderrLog, server_logger
from .config import MCPServerConfig

__all__ = ["Connector", "HTTPClientFactory", "default_http_client", "sandbox_for"]

_HTTP_READ_TIMEOUT = 300.0  # an HTTP response (an SSE stream) may stay open this long idle
_STDERR_DRAIN_SECONDS = 1.0


class HTTPClientFactory(Protocol):
    """Builds the ``httpx2.AsyncClient`` a remote connection uses (for proxies, custom TLS,
    Unix sockets...); it receives the configured headers, timeout and auth."""

    def __call__(
        self,
        headers: dict[str, str] | None = None,
        timeout: httpx2.Timeout | None = None,
        auth: httpx2.Auth | None = None,
    ) -> httpx2.AsyncClient: ...


def default_http_client(
    headers: dict[str, str] | None = None,
    timeout: httpx2.Timeout | None = None,
    auth: httpx2.Auth | None = None,
) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(headers=headers, timeout=timeout, auth=auth)


def sandbox_for(
    config: MCPServerConfig,
    default: SandboxSpec | bool | Mapping[str, Any] | None,
    nosandbox: bool | None,
) -> SandboxSpec | None:
    """The sandbox a stdio server runs in: its config's own policy merged into *default*.
    ``"sandbox": false`` in the config opts out (the config is the user's own, unlike a
    shell script's schema, which may not lift its caller's policy); *nosandbox* (default:
    ``POLLYTOOL_NOSANDBOX``) turns sandboxing off, with a warning."""
    if config.transport != "stdio":
        return None
    try:
        return effective_sandbox(
            config.sandbox, default, subject=f"MCP server {config.name!r}",
            logger=server_logger, nosandbox=nosandbox, may_opt_out=True,
        )  # fmt: skip
    except SandboxSpecError as exc:
        raise MCPConfigError(f"sandbox_default: {exc}", server=config.name) from exc


class Connector:
    """Opens the SDK transport of one server, one kind at a time (a URL without a type tries
    ``"http"``, then ``"sse"``), and keeps what a failure report needs: the server's last
    stderr lines and the last HTTP error status."""

    def __init__(
        self,
        config: MCPServerConfig,
        *,
        in_process: Any,
        sandbox: SandboxSpec | None,
        http_client_factory: HTTPClientFactory,
        auth: httpx2.Auth | None,
        stderr_file: TextIO | None,
    ) -> None:
        self.config = config
        self.in_process = in_process
        self.sandbox = sandbox
        self.http_client_factory = http_client_factory
        self.auth = auth
        self.stderr_file = stderr_file
        self.stderr: StderrLog | None = None
        #: The last HTTP error status a remote server answered with (the SDK reports a
        #: rejected request without it; "HTTP 401" is what a user needs to know).
        self.http_error: int | None = None

    def kinds(self) -> list[str]:
        """The transports to try, in order."""
        if self.in_process is not None:
            return ["in-process"]
        if self.config.sse_fallback:
            return ["http", "sse"]
        return [self.config.transport]

    def stderr_tail(self) -> str:
        return self.stderr.tail() if self.stderr is not None else ""

    async def open(self, kind: str, stack: AsyncExitStack, stderr_group: TaskGroup) -> Any:
        """What the SDK's ``Client`` connects to for *kind*; resources go on *stack*, the
        stderr pump into *stderr_group*."""
        self.http_error = None
        if kind == "in-process":
            return self.in_process
        if kind == "stdio":
            return await self._stdio(stderr_group)
        return await self._remote(kind, stack)

    def spawned(self) -> None:
        """The server is running: close our copy of its stderr pipe, so the pump sees the
        end when the server exits."""
        if self.stderr is not None:
            self.stderr.close_writer()

    async def finish(self, stderr_group: TaskGroup) -> None:
        """After the server exited: let the stderr pump log its last lines (a descendant
        may still hold the pipe open, so not for long), then stop it."""
        if self.stderr is not None:
            self.stderr.close_writer()
            with anyio.move_on_after(_STDERR_DRAIN_SECONDS, shield=True):
                await self.stderr.wait_finished()
        stderr_group.cancel_scope.cancel()

    async def _stdio(self, stderr_group: TaskGroup) -> Any:
        config = self.config
        params = StdioServerParameters(
            command=config.command, args=list(config.args), env=dict(config.env) or None,
            cwd=config.cwd,
        )  # fmt: skip
        if self.sandbox is not None:
            # the SDK spawns it right after, from this task, as sandboxed_command requires
            command = await sandboxed_command(
                self.sandbox,
                config.argv,
                env=get_default_environment() | dict(config.env),
                cwd=config.cwd,
            )
            params = StdioServerParameters(
                command=command.argv[0], args=command.argv[1:], env=command.env, cwd=command.cwd
            )
        if self.stderr_file is not None:
            return stdio_client(params, errlog=self.stderr_file)
        self.stderr = StderrLog(config.name)
        stderr_group.start_soon(self.stderr.pump)
        return stdio_client(params, errlog=self.stderr.writer)

    async def _remote(self, kind: str, stack: AsyncExitStack) -> Any:
        config = self.config
        headers = dict(config.headers) or None
        if kind == "sse":
            return sse_client(
                config.url,
                headers=headers,
                timeout=config.connect_timeout,
                sse_read_timeout=_HTTP_READ_TIMEOUT,
                httpx_client_factory=self._watched_http_client,
                auth=self.auth,
            )
        timeout = httpx2.Timeout(config.connect_timeout, read=_HTTP_READ_TIMEOUT)
        http = self._watched_http_client(headers=headers, timeout=timeout, auth=self.auth)
        await stack.enter_async_context(http)
        return streamable_http_client(config.url, http_client=http)

    def _watched_http_client(
        self,
        headers: dict[str, str] | None = None,
        timeout: httpx2.Timeout | None = None,
        auth: httpx2.Auth | None = None,
    ) -> httpx2.AsyncClient:
        """The factory's client, noting HTTP error statuses in :attr:`http_error`."""
        http = self.http_client_factory(headers=headers, timeout=timeout, auth=auth)

        async def note_status(response: httpx2.Response) -> None:
            if response.status_code >= 400:
                self.http_error = response.status_code

        hooks = http.event_hooks
        http.event_hooks = {**hooks, "response": [*hooks.get("response", []), note_status]}
        return http
