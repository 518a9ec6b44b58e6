"""MCP tools: a tool of a connected MCP server, callable like any other pollytool tool.

Get them from :meth:`pollytool.mcp.MCPClient.get_tools` or, namespaced and registered, from
:func:`pollytool.mcp.load_mcp_servers`. Importing this module does not import the ``mcp``
package.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import MCPError, MCPTimeoutError, ToolExecutionError, ToolTimeoutError
from .base import BaseTool, ToolOutput

if TYPE_CHECKING:
    from ..mcp.results import MCPToolResult

__all__ = ["MCPTool"]

_SANDBOXED_SUFFIX = " [sandboxed]"  # as shell tools say it


class _Caller(Protocol):
    """What an :class:`MCPTool` needs from its client."""

    @property
    def name(self) -> str: ...

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> MCPToolResult: ...


class MCPTool(BaseTool):
    """One tool of an MCP server.

    ``name`` is the server's own name for the tool (a :class:`~pollytool.tools.ToolRegistry`
    publishes it as ``server__name`` when registered with ``namespace=server``). ``schema`` is
    the server's input schema with ``title`` and ``description`` set (the description ends
    in ``" [sandboxed]"`` when the server runs in the sandbox); providers receive it in their
    own JSON-Schema dialect. ``execute`` calls the tool and returns a
    :class:`~pollytool.tools.ToolOutput` whose ``data`` is the full
    :class:`~pollytool.mcp.MCPToolResult`; a tool that reports ``isError`` gives an error
    output, a lost connection or a failed request raises
    :class:`~pollytool.errors.ToolExecutionError` (:class:`~pollytool.errors.ToolTimeoutError`
    past the request timeout).

    Attributes:
        server: the name of the server the tool belongs to.
        title: the tool's display title, when the server gave one.
        annotations: the server's hints (``read_only_hint``, ``destructive_hint``...) or
            ``None``.
        output_schema: the JSON schema of the tool's structured result, or ``None``.
    """

    def __init__(
        self,
        client: _Caller,
        name: str,
        *,
        description: str = "",
        input_schema: dict[str, Any] | None = None,
        title: str | None = None,
        annotations: Any = None,
        output_schema: dict[str, Any] | None = None,
        sandboxed: bool = False,
    ) -> None:
        self._client = client
        self._name = name
        self.server = client.name
        self.title = title
        self.annotations = annotations
        self.output_schema = output_schema
        schema = copy.deepcopy(input_schema) if input_schema else {}
        schema.setdefault("type", "object")
        schema["title"] = name
        schema["description"] = (description or title or "") + (
            _SANDBOXED_SUFFIX if sandboxed else ""
        )
        self._schema = schema

    def __repr__(self) -> str:
        return f"MCPTool({self._name!r}, server={self.server!r})"

    @property
    def name(self) -> str:
        return self._name

    @property
    def schema(self) -> dict[str, Any]:
        return self._schema

    @property
    def source(self) -> str:
        """Where the tool comes from (shown when two tools collide in a registry)."""
        return f"MCP server {self.server!r}"

    async def execute(self, args: dict[str, Any]) -> str | ToolOutput:
        try:
            result = await self._client.call_tool(self._name, args)
        except MCPTimeoutError as exc:
            raise ToolTimeoutError(str(exc), tool_name=self._name) from exc
        except MCPError as exc:
            raise ToolExecutionError(str(exc), tool_name=self._name) from exc
        return result.to_tool_output()
