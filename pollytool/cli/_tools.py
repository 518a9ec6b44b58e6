"""Tools for a run: ``-t`` shell scripts and MCP config files, ``--mcp`` server commands,
remembered by a context and loaded again when a later run names none."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from ..errors import ToolError
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
        """Metadata changes that make a context remember these sources."""
        tools: list[dict[str, Any]] = [{"type": tool_kind(s), "source": s} for s in self.specs]
        return {"tools": tools, "mcp_servers": list(self.commands)}


def tool_sources(opts: Options, metadata: SessionMetadata | None) -> ToolSources:
    """The command line's tools, else those the context remembers."""
    if opts.tools or opts.mcp or metadata is None:
        return ToolSources(list(opts.tools), list(opts.mcp))
    specs = [str(t["source"]) for t in metadata.tools if isinstance(t.get("source"), str)]
    return ToolSources(specs, list(metadata.mcp_servers))


async def load_tools(sources: ToolSources, opts: Options, stack: AsyncExitStack) -> ToolRegistry:
    """A registry holding every tool of *sources*; servers and processes started for them
    are closed by *stack*."""
    registry = ToolRegistry()
    for spec in sources.specs:
        raise ToolError(
            f"cannot load tool {spec!r}: {tool_kind(spec)} tools are not available in this "
            "version of polly yet"
        )
    if sources.commands:
        raise ToolError("--mcp servers are not available in this version of polly yet")
    return registry
