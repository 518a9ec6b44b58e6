"""Error cases and the connection's life, against servers built with the ``mcp`` SDK's own
server API (in-process, and the same server over stdio): failing tools, broken results, every
content kind, pagination, log and progress notifications, tool-list changes on both protocol
eras, timeouts, servers that never answer or die at once, closing from another task."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from pollytool.errors import (
    MCPConnectionError,
    MCPTimeoutError,
    ToolTimeoutError,
)
from pollytool.llm import Agent
from pollytool.mcp import (
    MCPClient,
    MCPLogMessage,
    MCPProgress,
    MCPServerConfig,
    load_mcp_servers,
)
from pollytool.messages import ChatMessage, MessageRole
from pollytool.providers.fake import FakeLLM, tool_call
from pollytool.request import CompletionRequest
from pollytool.tools import MCPTool, ToolRegistry

from . import _inprocess
from ._inprocess import PIXEL, make_raw_server, make_server, tool_names
from .conftest import descendants

pytestmark = [
    pytest.mark.anyio,
    # the test server logs through the SDK's logging API, deprecated for 2026 servers
    pytest.mark.filterwarnings("ignore:The logging capability is deprecated"),
]

MODES = pytest.mark.parametrize("mode", ["legacy", "auto"])
SCRIPT = [sys.executable, _inprocess.__file__]


@MODES
async def test_a_raising_tool_is_an_error_result(mode: str) -> None:
    async with MCPClient(make_server(), mode=mode) as client:
        result = await client.call_tool("fail", {})
    assert result.is_error and "Error executing tool fail" in result.text


@MODES
async def test_structured_content_breaking_the_output_schema_is_an_error_result(
    mode: str,
) -> None:
    async with MCPClient(make_raw_server(), mode=mode) as client:
        result = await client.call_tool("weather", {})
    assert result.is_error
    assert "the result of tool 'weather' could not be used" in result.text
    assert "'temperature' is a required property" in result.text


@MODES
async def test_listings_follow_every_page(mode: str) -> None:
    async with MCPClient(make_raw_server(), mode=mode) as client:
        names = [tool.name for tool in client.tools]
    assert names == ["page1_a", "page1_b", "page2_a", "weather", "everything_kinds"]


async def test_every_content_kind_is_carried() -> None:
    async with MCPClient(make_raw_server()) as client:
        result = await client.call_tool("everything_kinds", {})
    assert result.images == [(PIXEL, "image/png")]
    assert result.audio == [(b"RIFF", "audio/wav")]
    assert [(link.uri, link.name) for link in result.links] == [
        ("file:///tmp/report.txt", "report")
    ]
    [blob] = result.resources
    assert (blob.uri, blob.blob, blob.text) == ("file:///tmp/blob.bin", b"\x00\x01", None)
    assert result.text.splitlines() == [
        "all kinds:",
        "[image image/png attached]",
        "[audio audio/wav not shown]",
        "[resource link report <file:///tmp/report.txt>]",
        "[resource file:///tmp/blob.bin: application/octet-stream, 2 bytes]",
    ]
    output = result.to_tool_output()
    assert output.images == [(PIXEL, "image/png")] and output.data is result


@MODES
async def test_logs_and_progress_reach_the_callbacks(mode: str) -> None:
    logs: list[MCPLogMessage] = []
    progress: list[MCPProgress] = []
    both_done = anyio.Event()

    def note(item: Any) -> None:
        (logs if isinstance(item, MCPLogMessage) else progress).append(item)
        if logs and len(progress) == 2:
            both_done.set()

    async with MCPClient(make_server(), mode=mode, on_log=note, on_progress=note) as client:
        assert (await client.call_tool("chatty", {"message": "working on it"})).text == "chatted"
        with anyio.fail_after(5):
            await both_done.wait()
    assert logs == [MCPLogMessage("inproc", "info", "working on it")]
    assert [(p.progress, p.total, p.message) for p in progress] == [
        (1, 2, "half way"),
        (2, 2, "done"),
    ]


async def test_without_a_callback_server_logs_go_to_logging(
    mcp_logs: pytest.LogCaptureFixture,
) -> None:
    async with MCPClient(make_server(), mode="legacy") as client:
        await client.call_tool("chatty", {"message": "to the logger"})
    assert "[inproc] to the logger" in [r.getMessage() for r in mcp_logs.records]


@MODES
async def test_resources_and_prompts(mode: str) -> None:
    async with MCPClient(make_server(), mode=mode) as client:
        assert [str(r.uri) for r in await client.list_resources()] == ["note://first"]
        [note] = await client.read_resource("note://first")
        assert note.text == "the first note"
        assert [p.name for p in await client.list_prompts()] == ["greet"]
        prompt = await client.get_prompt("greet", {"name": "Ann"})
        assert [(m.role, m.content) for m in prompt.messages] == [
            (MessageRole.USER, "Say hello to Ann.")
        ]
        assert client.instructions == "A server for pollytool's tests."
    async with MCPClient(make_raw_server(), mode=mode) as raw:  # no resources, no prompts
        assert await raw.list_resources() == [] and await raw.list_prompts() == []


@MODES
async def test_the_registry_follows_a_changed_tool_list(mode: str) -> None:
    """Over stdio: on 2026 connections through a listen subscription, on older ones through
    notifications."""
    changed = anyio.Event()
    config = MCPServerConfig("grower", "stdio", command=SCRIPT[0], args=(SCRIPT[1],), mode=mode)
    async with load_mcp_servers(config, on_tools_changed=lambda tools: changed.set()) as servers:
        client = servers["grower"]
        assert client.protocol_version == ("2025-11-25" if mode == "legacy" else "2026-07-28")
        assert "grower__grown" not in servers.registry
        assert (await client.call_tool("grow", {})).text == "grown"
        with anyio.fail_after(10):
            await changed.wait()
        assert "grown" in tool_names(client.tools)
        grown = servers.registry.get("grower__grown")
        assert grown is not None
        output = await grown.execute({})
        assert not isinstance(output, str) and output.text == "I am new"


# --------------------------------------------------------------------------- timeouts


@MODES
async def test_request_timeout_and_the_session_afterwards(mode: str) -> None:
    async with MCPClient(make_server(), mode=mode, timeout=0.3) as client:
        with pytest.raises(
            MCPTimeoutError, match=r"no answer within 0.3s while calling tool 'slow'"
        ):
            await client.call_tool("slow", {"seconds": 5})
        assert (await client.call_tool("slow", {"seconds": 0})).text == "slept 0.0"
        [slow] = [t for t in client.tools if t.name == "slow"]
        with pytest.raises(ToolTimeoutError, match=r"no answer within 0\.3s"):
            await slow.execute({"seconds": 5})


async def test_an_agent_reads_a_timed_out_mcp_tool_as_an_error() -> None:
    async with MCPClient(make_server(), timeout=0.3) as client:
        model = FakeLLM([tool_call("slow", {"seconds": 5}, id="s")], "It timed out.")
        result = await Agent(model, ToolRegistry(client.tools)).run(
            CompletionRequest("fake", [ChatMessage.user("Wait")])
        )
    [message] = [m for m in result.new_messages if m.role == MessageRole.TOOL]
    assert message.is_error and "no answer within 0.3s" in message.content


async def test_a_server_that_never_answers_hits_the_connect_timeout() -> None:
    before = descendants()
    silent = [sys.executable, "-c", "import sys; sys.stdin.read()"]  # reads, never answers
    with pytest.raises(MCPTimeoutError, match=r"no answer within 0.5s while connecting"):
        async with MCPClient("stdio", silent, connect_timeout=0.5):
            pass
    assert descendants() <= before


async def test_a_server_that_dies_at_once_shows_its_stderr_with_secrets_redacted() -> None:
    code = "import sys; sys.stderr.write('boom: key sk-proj-abcdefghijkl1234 rejected\\n'); exit(3)"
    with pytest.raises(MCPConnectionError, match="the connection closed while connecting") as info:
        async with MCPClient("stdio", [sys.executable, "-c", code], name="dies"):
            pass
    assert info.value.stderr == "boom: key [REDACTED] rejected"
    assert "server stderr:\nboom: key [REDACTED] rejected" in str(info.value)
    assert "sk-proj" not in str(info.value)


async def test_stderr_can_go_to_a_file(tmp_path: Path) -> None:
    code = "import sys; sys.stderr.write('to the file\\n'); exit(1)"
    with (tmp_path / "server.log").open("w") as log, pytest.raises(MCPConnectionError):
        async with MCPClient("stdio", [sys.executable, "-c", code], stderr=log):
            pass
    assert (tmp_path / "server.log").read_text() == "to the file\n"


# --------------------------------------------------------------------------- the connection


async def test_closing_from_another_task_than_the_one_that_opened() -> None:
    before = descendants()
    async with MCPClient("stdio", SCRIPT, name="shared") as client:
        assert descendants() - before

        async def close_elsewhere() -> None:
            assert (await client.call_tool("slow", {"seconds": 0})).text == "slept 0.0"
            await client.aclose()

        async with anyio.create_task_group() as tg:
            tg.start_soon(close_elsewhere)
        assert not client.connected
        assert descendants() <= before  # the server is gone before the block ends
        with pytest.raises(MCPConnectionError, match="not connected"):
            await client.call_tool("slow", {"seconds": 0})
        await client.aclose()  # again: nothing happens


async def test_a_client_is_used_once_and_only_while_open() -> None:
    client = MCPClient(make_server())
    with pytest.raises(MCPConnectionError, match=r"not connected; use 'async with MCPClient"):
        await client.get_tools()
    await client.aclose()  # never opened: nothing to do
    async with client:
        assert isinstance((await client.get_tools())[0], MCPTool)
        assert tool_names(await client.get_tools(refresh=True)) == tool_names(client.tools)
    with pytest.raises(MCPConnectionError, match="already opened"):
        async with client:
            pass


async def test_an_error_in_the_block_propagates_unwrapped_and_closes() -> None:
    before = descendants()
    with pytest.raises(KeyError, match="mine"):
        async with MCPClient("stdio", SCRIPT):
            raise KeyError("mine")
    assert descendants() <= before


def test_the_constructor_checks_its_arguments() -> None:
    from pollytool.errors import MCPConfigError

    with pytest.raises(MCPConfigError, match="unknown MCP transport 'ws'"):
        MCPClient("ws", "ws://x")
    with pytest.raises(MCPConfigError, match="needs a non-empty argv"):
        MCPClient("stdio", [])
    with pytest.raises(MCPConfigError, match="needs the URL as a string"):
        MCPClient("http", ["http://x"])
    client = MCPClient("stdio", "uvx mcp-server-time", timeout=5, env={"TZ": "UTC"})
    assert (client.name, client.config.timeout, client.config.env) == (
        "mcp-server-time",
        5,
        {"TZ": "UTC"},
    )
    assert repr(client) == "MCPClient('mcp-server-time', 'uvx mcp-server-time', not connected)"
