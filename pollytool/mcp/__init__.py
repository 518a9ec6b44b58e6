"""MCP (Model Context Protocol) servers as pollytool tools, resources and prompts.

::

    from pollytool.mcp import MCPClient, load_mcp_servers

    async with MCPClient("stdio", ["uvx", "mcp-server-time"]) as time_server:
        tools = await time_server.get_tools()

    async with load_mcp_servers("mcp.json") as servers:     # {"mcpServers": {...}}
        agent = Agent(client, servers.registry)

Importing this package is cheap: the ``mcp`` SDK is imported when a client is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from ..tools.mcp import MCPTool
    from .client import HTTPClientFactory, MCPClient
    from .config import (
        MCPServerConfig,
        load_mcp_config,
        parse_mcp_config,
        parse_mcp_spec,
        server_from_command,
    )
    from .notifications import MCPLogMessage, MCPProgress
    from .results import MCPPrompt, MCPResourceContents, MCPResourceLink, MCPToolResult
    from .servers import MCPConfigSource, MCPServers, load_mcp_servers, resolve_mcp_configs

_EXPORTS = {
    "MCPTool": "pollytool.tools.mcp",
    "HTTPClientFactory": "client",
    "MCPClient": "client",
    **dict.fromkeys(
        ["MCPServerConfig", "load_mcp_config", "parse_mcp_config", "parse_mcp_spec",
         "server_from_command"],
        "config",
    ),
    "MCPLogMessage": "notifications",
    "MCPProgress": "notifications",
    **dict.fromkeys(
        ["MCPPrompt", "MCPResourceContents", "MCPResourceLink", "MCPToolResult"], "results"
    ),
    **dict.fromkeys(
        ["MCPConfigSource", "MCPServers", "load_mcp_servers", "resolve_mcp_configs"], "servers"
    ),
}  # fmt: skip

__all__ = [
    "HTTPClientFactory",
    "MCPClient",
    "MCPConfigSource",
    "MCPLogMessage",
    "MCPPrompt",
    "MCPProgress",
    "MCPResourceContents",
    "MCPResourceLink",
    "MCPServerConfig",
    "MCPServers",
    "MCPTool",
    "MCPToolResult",
    "load_mcp_config",
    "load_mcp_servers",
    "parse_mcp_config",
    "parse_mcp_spec",
    "resolve_mcp_configs",
    "server_from_command",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
