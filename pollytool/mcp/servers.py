"""``load_mcp_servers``: several MCP servers connected at once, their tools in one registry.

::

    from pollytool.llm import Agent
    from pollytool.mcp import load_mcp_servers

    async with load_mcp_servers(["mcp.json", "uvx mcp-server-time"]) as servers:
        agent = Agent(client, servers.registry)       # tools named "files__read_file", ...
        result = await agent.run(request)

Sources are config files (``"mcp.json"``, ``"mcp.json#files"``), ``--mcp`` command strings,
URLs, parsed config dicts or :class:`~pollytool.mcp.MCPServerConfig` objects. All servers
connect concurrently; if any fails, the others are closed and the error names it. Each
server's tools are published as ``server__tool`` (sanitised to what every provider accepts);
two tools that end up with one name are an error naming both, never a silent replacement.
When a server announces a new tool list, the registry follows.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias

import anyio

from .._resource import AsyncResource
from ..errors import DuplicateToolError, MCPConnectionError, PollyError
from ..tools.registry import ToolRegistry
from ._stderr import server_logger
from .client import HTTPClientFactory, MCPClient
from .config import (
    MCPServerConfig,
    parse_mcp_config,
    parse_mcp_config_text,
    server_from_command,
    split_config_ref,
    unique_names,
    unreadable_config,
)
from .notifications import LogCallback, ProgressCallback, ToolsChangedCallback, invoke

if TYPE_CHECKING:
    from types import TracebackType

    from anyio.abc import TaskGroup

    from ..tools.base import Tool
    from ..tools.mcp import MCPTool
    from ..tools.sandbox import SandboxSpec

__all__ = ["MCPConfigSource", "MCPServers", "load_mcp_servers", "resolve_mcp_configs"]

#: One source of MCP servers: a config file (``"x.json"``, ``"x.json#name"``), a command
#: string or URL, a parsed config, or a config object.
MCPConfigSource: TypeAlias = str | os.PathLike[str] | Mapping[str, Any] | MCPServerConfig


def load_mcp_servers(
    config: MCPConfigSource | Iterable[MCPConfigSource],
    *,
    registry: ToolRegistry | None = None,
    namespace: bool = True,
    sandbox_default: SandboxSpec | bool | Mapping[str, Any] | None = None,
    nosandbox: bool | None = None,
    http_client_factory: HTTPClientFactory | None = None,
    on_progress: ProgressCallback | None = None,
    on_log: LogCallback | None = None,
    on_tools_changed: ToolsChangedCallback | None = None,
) -> MCPServers:
    """The servers *config* names, to open with ``async with``.

    Args:
        config: one source or several (see the module documentation).
        registry: register the tools here (next to your own tools); default: a new registry.
        namespace: publish tools as ``server__tool`` (default). Without it tools keep their
            own names, and two servers offering the same name is an error.
        sandbox_default: the sandbox every stdio server runs in unless its config says
            ``"sandbox": false`` (its own ``sandbox`` policy is merged in); ``None``: only
            servers whose config asks are sandboxed.
        nosandbox, http_client_factory, on_progress, on_log: passed to every
            :class:`MCPClient`.
        on_tools_changed: receives a server's new tool list after it changed (the registry
            is already updated).
    """
    return MCPServers(
        config,
        registry=registry,
        namespace=namespace,
        sandbox_default=sandbox_default,
        nosandbox=nosandbox,
        http_client_factory=http_client_factory,
        on_progress=on_progress,
        on_log=on_log,
        on_tools_changed=on_tools_changed,
    )


class MCPServers(AsyncResource):
    """Connected MCP servers and the registry of their tools (see :func:`load_mcp_servers`).

    Attributes:
        registry: the :class:`~pollytool.tools.ToolRegistry` holding the servers' tools.
        clients: the :class:`MCPClient` of each server, by name, in config order.
    """

    def __init__(
        self,
        config: MCPConfigSource | Iterable[MCPConfigSource],
        *,
        registry: ToolRegistry | None = None,
        namespace: bool = True,
        sandbox_default: SandboxSpec | bool | Mapping[str, Any] | None = None,
        nosandbox: bool | None = None,
        http_client_factory: HTTPClientFactory | None = None,
        on_progress: ProgressCallback | None = None,
        on_log: LogCallback | None = None,
        on_tools_changed: ToolsChangedCallback | None = None,
    ) -> None:
        self._sources = config
        self.registry = registry if registry is not None else ToolRegistry()
        self.clients: dict[str, MCPClient] = {}
        self._namespace = namespace
        self._client_options: dict[str, Any] = {
            "sandbox_default": sandbox_default,
            "nosandbox": nosandbox,
            "http_client_factory": http_client_factory,
            "on_progress": on_progress,
            "on_log": on_log,
        }
        self._on_tools_changed = on_tools_changed
        self._published: dict[str, list[str]] = {}
        self._task_group: TaskGroup | None = None

    def __repr__(self) -> str:
        return f"MCPServers({list(self.clients)})"

    def __getitem__(self, name: str) -> MCPClient:
        return self.clients[name]

    @property
    def tools(self) -> list[Tool]:
        """The servers' tools as registered (published names), in config order."""
        return [
            tool
            for names in self._published.values()
            for name in names
            if (tool := self.registry.get(name)) is not None
        ]

    async def __aenter__(self) -> MCPServers:
        configs = await resolve_mcp_configs(self._sources)
        self.clients = {
            config.name: MCPClient(
                config,
                on_tools_changed=partial(self._tools_changed, config.name),
                **self._client_options,
            )
            for config in configs
        }
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        self._task_group = task_group
        try:
            await self._connect_all(task_group)
            for client in self.clients.values():
                self._publish(client.name, client.tools)
        except BaseException as exc:
            self._unpublish_all()
            with anyio.CancelScope(shield=True):
                await self.aclose()
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
        task_group = self._task_group
        assert task_group is not None
        await self.aclose()
        if exc is not None and not isinstance(exc, anyio.get_cancelled_exc_class()):
            exc_type = exc = tb = None  # the block's own error propagates unwrapped
        await task_group.__aexit__(exc_type, exc, tb)

    async def aclose(self) -> None:
        """Close every server (concurrently) and remove their tools from the registry.
        Safe from any task."""
        self._unpublish_all()
        async with anyio.create_task_group() as closing:
            for client in self.clients.values():
                closing.start_soon(client.aclose)

    async def _connect_all(self, task_group: TaskGroup) -> None:
        failures: dict[str, PollyError] = {}

        async def connect(client: MCPClient) -> None:
            try:
                await client.start_in(task_group)
            except PollyError as exc:
                failures[client.name] = exc

        async with anyio.create_task_group() as connecting:
            for client in self.clients.values():
                connecting.start_soon(connect, client)
        if len(failures) == 1:
            raise next(iter(failures.values()))
        if failures:
            details = "\n".join(f"- {error}" for error in failures.values())
            raise MCPConnectionError(
                f"{len(failures)} MCP servers failed to connect:\n{details}",
                server=", ".join(failures),
            )

    # ------------------------------------------------------------------ the registry

    def _publish(self, server: str, tools: list[MCPTool]) -> None:
        names = self._published.setdefault(server, [])
        for tool in tools:
            registered = self.registry.register(tool, namespace=server if self._namespace else None)
            names.append(registered.name)

    def _unpublish(self, server: str) -> None:
        for name in self._published.pop(server, []):
            if name in self.registry:
                self.registry.remove(name)

    def _unpublish_all(self) -> None:
        for server in list(self._published):
            self._unpublish(server)

    async def _tools_changed(self, server: str, tools: list[MCPTool]) -> None:
        """A server announced a new tool list: replace its tools in the registry. A new
        tool whose name is taken is left out (and logged); the others are published."""
        if server not in self._published:
            return  # still connecting (published afterwards) or already closed
        self._unpublish(server)
        names = self._published.setdefault(server, [])
        for tool in tools:
            try:
                registered = self.registry.register(
                    tool, namespace=server if self._namespace else None
                )
            except DuplicateToolError as exc:
                server_logger.warning("[%s] new tool left out: %s", server, exc)
                continue
            names.append(registered.name)
        if self._on_tools_changed is not None:
            await invoke(self._on_tools_changed, tools)


async def resolve_mcp_configs(
    sources: MCPConfigSource | Iterable[MCPConfigSource],
) -> list[MCPServerConfig]:
    """The server configs *sources* name, in order (config files are read without blocking
    the event loop). Names derived from command strings get ``-2``, ``-3``... when taken;
    two explicit servers with one name are an :class:`~pollytool.errors.MCPConfigError`."""
    items: list[MCPConfigSource]
    if isinstance(sources, str | os.PathLike | Mapping | MCPServerConfig):
        items = [sources]
    else:
        items = list(sources)
    configs: list[MCPServerConfig] = []
    for item in items:
        if isinstance(item, MCPServerConfig):
            configs.append(item)
        elif isinstance(item, Mapping):
            configs.extend(parse_mcp_config(item))
        elif os.fspath(item).partition("#")[0].strip().endswith(".json"):
            path, select = split_config_ref(item)
            try:
                text = await anyio.Path(path).read_text(encoding="utf-8")
            except OSError as exc:
                raise unreadable_config(path, exc) from None
            configs.extend(parse_mcp_config_text(text, path=path, select=select))
        else:
            config = server_from_command(os.fspath(item))
            taken = {c.name for c in configs}
            name, number = config.name, 2
            while name in taken:
                name, number = f"{config.name}-{number}", number + 1
            configs.append(dataclasses.replace(config, name=name))
    return unique_names(configs)
