"""Seed section "MCP Server Integration": connecting to the filesystem server, using its
tools with the LLM, combining local and MCP tools (the real npm server over stdio)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pollytool import ChatMessage, CompletionRequest, EventType, MessageRole, MultiPass
from pollytool.mcp import MCPClient
from pollytool.tools import ToolOutput, ToolRegistry
from tests.examples._support import chat_stream
from tests.fakes.loopback import LoopbackServer
from tests.mcp.conftest import npm_server
from tests.seed.test_builder_and_tools import WeatherTool

pytestmark = pytest.mark.anyio


def _text(result: str | ToolOutput) -> str:
    """A tool's result as text (MCP tools return a ``ToolOutput``)."""
    return result.text if isinstance(result, ToolOutput) else result


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "notes.txt").write_text("remember the milk")
    (tmp_path / "src").mkdir()
    return tmp_path


async def test_connecting_to_an_mcp_server(folder: Path) -> None:
    """Connecting to MCP Servers: ``mcp.NewClient("stdio", argv)``, ``GetTools``, a registry."""
    server = npm_server("mcp-server-filesystem")
    async with MCPClient("stdio", [server, str(folder)]) as mcp_client:
        mcp_tools = await mcp_client.get_tools()
        registry = ToolRegistry(mcp_tools)
        assert {"read_text_file", "list_directory", "write_file"} <= set(registry.names())
        list_directory = registry.get("list_directory")
        assert list_directory is not None
        listing = _text(await list_directory.execute({"path": str(folder)}))
    assert listing.splitlines() == ["[FILE] notes.txt", "[DIR] src"]


async def test_using_mcp_tools_with_the_llm(
    router: MultiPass, loopback: LoopbackServer, folder: Path
) -> None:
    """Using MCP Tools with LLM: the tools go on the request like local ones, and the
    model's call is answered by the server."""
    server = npm_server("mcp-server-filesystem")
    call = ("read_text_file", {"path": str(folder / "notes.txt")})
    loopback.add("POST", "/v1/chat/completions", chat_stream(tool_calls=[call]),
                 chat_stream("It says to remember the milk."))  # fmt: skip
    async with MCPClient("stdio", [server, str(folder)]) as mcp_client:
        registry = ToolRegistry(await mcp_client.get_tools())
        req = CompletionRequest(
            "openai/gpt-5.4",
            [ChatMessage(MessageRole.USER, "What does notes.txt say?")],
            tools=registry.all(),
        )
        async for event in router.stream(req):
            if event.type == EventType.COMPLETE:
                req.messages.append(event.message)
                for tool_call in event.message.tool_calls:
                    tool = registry.get(tool_call.name)
                    assert tool is not None
                    result = await tool.execute(tool_call.args)
                    req.messages.append(ChatMessage.tool_result(tool_call.id, _text(result)))
        answer = await router.stream(req).collect()
    assert answer.content == "It says to remember the milk."
    offered = {t["function"]["name"] for t in loopback.requests[0].json()["tools"]}
    assert "read_text_file" in offered and "list_directory" in offered
    assert loopback.requests[1].json()["messages"][-1]["content"] == "remember the milk"


async def test_combining_local_and_mcp_tools(folder: Path) -> None:
    """Combining Local and MCP Tools in one registry."""
    server = npm_server("mcp-server-filesystem")
    local_tools = [WeatherTool()]
    async with MCPClient("stdio", [server, str(folder)]) as mcp_client:
        all_tools = [*local_tools, *await mcp_client.get_tools()]
        registry = ToolRegistry(all_tools)
        assert "get_weather" in registry and "list_directory" in registry
        assert len(registry) == len(all_tools)
        weather = registry.get("get_weather")
        assert weather is not None
        assert await weather.execute({"location": "Paris"}) == (
            "The weather in Paris is sunny and 72°F"
        )
