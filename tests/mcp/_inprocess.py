"""An in-process MCP server built with the ``mcp`` SDK's own server API, for the error cases
no published server produces on demand (slow tools, raising tools, broken results, log and
progress notifications, a tool list that changes)."""

from __future__ import annotations

import base64
from typing import Any

import anyio
import mcp_types as types
from mcp.server import MCPServer, Server, ServerRequestContext
from mcp.server.mcpserver import Context


def make_server(name: str = "inproc") -> MCPServer:
    server = MCPServer(name, instructions="A server for pollytool's tests.")

    @server.tool()
    async def slow(seconds: float) -> str:
        """Sleep, then answer."""
        await anyio.sleep(seconds)
        return f"slept {seconds}"

    @server.tool()
    def fail() -> str:
        """Always raises."""
        raise ValueError("the tool broke on purpose")

    @server.tool()
    async def chatty(message: str, ctx: Context) -> str:
        """Logs a message and reports progress twice."""
        await ctx.info(message)
        await ctx.report_progress(1, 2, "half way")
        await ctx.report_progress(2, 2, "done")
        return "chatted"

    @server.tool()
    async def grow(ctx: Context) -> str:
        """Adds a tool named 'grown' and announces the change."""

        def grown() -> str:
            """A tool that did not exist at first."""
            return "I am new"

        server.add_tool(grown)
        await ctx.notify_tools_changed()
        if ctx.protocol_version != "2026-07-28":
            await ctx.session.send_tool_list_changed()
        return "grown"

    @server.prompt()
    def greet(name: str) -> str:
        """A greeting prompt."""
        return f"Say hello to {name}."

    @server.resource("note://first", mime_type="text/plain")
    def first_note() -> str:
        return "the first note"

    return server


#: Bytes of a 1x1 PNG, the image the raw server returns.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def make_raw_server() -> Server[Any]:
    """A server on the SDK's low-level API: a tool listing in three pages, a tool whose
    structured result breaks its declared output schema, and one result of every content
    kind."""
    names = ["page1_a", "page1_b", "page2_a", "weather", "everything_kinds"]
    pages = {None: names[:2], "2": names[2:4], "3": names[4:]}
    following = {None: "2", "2": "3", "3": None}
    output_schema = {
        "type": "object",
        "properties": {"temperature": {"type": "number"}},
        "required": ["temperature"],
    }

    def describe(name: str) -> types.Tool:
        return types.Tool(
            name=name,
            description=f"tool {name}",
            input_schema={"type": "object", "properties": {}},
            output_schema=output_schema if name == "weather" else None,
        )

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        cursor = params.cursor if params else None
        return types.ListToolsResult(
            tools=[describe(n) for n in pages[cursor]], next_cursor=following[cursor]
        )

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        if params.name == "weather":
            return types.CallToolResult(
                content=[types.TextContent(text="{}")], structured_content={"wrong": True}
            )
        pixel = base64.b64encode(PIXEL).decode()
        return types.CallToolResult(
            content=[
                types.TextContent(text="all kinds:"),
                types.ImageContent(data=pixel, mime_type="image/png"),
                types.AudioContent(data=base64.b64encode(b"RIFF").decode(), mime_type="audio/wav"),
                types.ResourceLink(uri="file:///tmp/report.txt", name="report"),
                types.EmbeddedResource(
                    resource=types.BlobResourceContents(
                        uri="file:///tmp/blob.bin",
                        mime_type="application/octet-stream",
                        blob=base64.b64encode(b"\x00\x01").decode(),
                    )
                ),
            ]
        )

    return Server("raw", on_list_tools=list_tools, on_call_tool=call_tool)


def tool_names(tools: list[Any]) -> list[str]:
    return sorted(tool.name for tool in tools)


if __name__ == "__main__":  # a stdio server: python tests/mcp/_inprocess.py
    make_server("script").run()
