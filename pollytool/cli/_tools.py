"""Tools for a run: ``-t`` shell scripts and MCP config files, ``--mcp`` server commands,
remembered by a context and loaded again when a later run names none."""

from __future__ import annotations

import os
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from ..sessions import MetadataChanges, SessionMetadata
from ..tools import ToolRegistry
from ._options import Options

__all__ = ["ToolSources", "load_tools", "tool_kind", "tool_sources"]


def tool_kind(spec: str) -> str:
    """``"mcp"`` for an MCP config (``file.json`` or ``file.json#server``), else ``"shell"``."""
    path = spec.split("#", 1)[0]
    return "mcp" if path.lower().endswith(".json") else "shell"


@dataclass(frozen=True, slots=True)
class ToolSources:
    """Where a run's tools come from: ``-t`` specs and ``--mcp`` commands."""

    specs: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.specs or self.commands)

    def changes(self) -> MetadataChanges:
        """Metadata changes that make a context remember these sources (file paths made
        absolute, so the context works from any directory)."""
        tools: list[dict[str, Any]] = [
            {"type": tool_kind(spec), "source": _absolute(spec)} for spec in self.specs
        ]
        return {"tools": tools, "mcp_servers": list(self.commands)}


def _absolute(spec: str) -> str:
    path, sep, server = spec.partition("#")
    return os.path.abspath(os.path.expanduser(path)) + sep + server


def tool_sources(opts: Options, metadata: SessionMetadata | None) -> ToolSources:
    """The command line's tools, else those the context remembers."""
    if opts.tools or opts.mcp or metadata is None:
        return ToolSources(list(opts.tools), list(opts.mcp))
    specs = [str(t["source"]) for t in metadata.tools if isinstance(t.get("source"), str)]
    return ToolSources(specs, list(metadata.mcp_servers))


async def load_tools(
    sources: ToolSources, *, nosandbox: bool, tool_timeout: float | None, stack: AsyncExitStack
) -> ToolRegistry:
    """A registry holding every tool of *sources*: shell scripts as ``script__tool``, MCP
    servers' tools as ``server__tool``. Servers are started now and stopped by *stack*;
    shell tools and MCP servers run sandboxed as the library decides unless *nosandbox*."""
    registry = ToolRegistry()
    shell = [spec for spec in sources.specs if tool_kind(spec) == "shell"]
    servers = [spec for spec in sources.specs if tool_kind(spec) == "mcp"] + sources.commands
    opt_out = True if nosandbox else None
    if shell:
        from ..tools.shell import load_shell_tools

        for tool in await load_shell_tools(shell, nosandbox=opt_out, call_timeout=tool_timeout):
            registry.register(tool, namespace=tool.namespace)
    if servers:
        from ..mcp import load_mcp_servers

        await stack.enter_async_context(
            load_mcp_servers(servers, registry=registry, nosandbox=opt_out)
        )
    return registry
