"""``@modelcontextprotocol/server-everything`` over stdio: tools, every kind of result,
resources, prompts, progress, tool-list changes, timeouts, cancellation, a crash, and where
the server's stderr goes. One server per backend serves the module; the tests that break a
server start their own."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import anyio
import pytest

from pollytool.errors import (
    MCPConnectionError,
    MCPTimeoutError,
    ToolExecutionError,
)
from pollytool.mcp import MCPClient, MCPProgress, MCPToolResult
from pollytool.messages import MessageRole
from pollytool.tools import MCPTool, Tool, ToolOutput

from .conftest import command_line, descendants, in_sessions, server_sessions

pytestmark = pytest.mark.anyio


@dataclass
class Everything:
    client: MCPClient
    changed: anyio.Event
    tool_lists: list[list[MCPTool]] = field(default_factory=list)


@pytest.fixture(scope="module")
async def everything(everything_bin: str, anyio_backend: str) -> AsyncIterator[Everything]:
    changed = anyio.Event()
    tool_lists: list[list[MCPTool]] = []

    def tools_changed(tools: list[MCPTool]) -> None:
        tool_lists.append(tools)
        changed.set()

    async with MCPClient("stdio", [everything_bin], on_tools_changed=tools_changed) as client:
        yield Everything(client, changed, tool_lists)


async def test_connects_and_reports_the_server(everything: Everything) -> None:
    client = everything.client
    assert client.connected
    assert client.name == "mcp-server-everything"
    assert client.server_info is not None and client.server_info.name == "mcp-servers/everything"
    assert client.protocol_version == "2025-11-25"
    assert client.capabilities.tools is not None


async def test_tools_implement_the_tool_protocol(everything: Everything) -> None:
    tools = await everything.client.get_tools()
    by_name = {tool.name: tool for tool in tools}
    assert {"echo", "get-sum", "get-tiny-image", "get-structured-content"} <= set(by_name)
    get_sum = by_name["get-sum"]
    assert isinstance(get_sum, Tool)
    assert get_sum.schema["title"] == "get-sum"
    assert get_sum.schema["type"] == "object"
    assert set(get_sum.schema["properties"]) == {"a", "b"}
    assert get_sum.schema["description"]
    assert get_sum.server == "mcp-server-everything"
    assert by_name["get-structured-content"].output_schema is not None
    assert get_sum.annotations is not None


async def test_call_tool_joins_text(everything: Everything) -> None:
    result = await everything.client.call_tool("echo", {"message": "hi there"})
    assert result == MCPToolResult("Echo: hi there")
    result = await everything.client.call_tool("get-sum", {"a": 2, "b": 3.5})
    assert result.text == "The sum of 2 and 3.5 is 5.5."


async def test_execute_returns_a_tool_output(everything: Everything) -> None:
    [echo] = [t for t in await everything.client.get_tools() if t.name == "echo"]
    output = await echo.execute({"message": "from execute"})
    assert isinstance(output, ToolOutput)
    assert (output.text, output.is_error) == ("Echo: from execute", False)
    assert isinstance(output.data, MCPToolResult)


async def test_images_are_carried_as_bytes(everything: Everything) -> None:
    result = await everything.client.call_tool("get-tiny-image", {})
    [(data, mime)] = result.images
    assert mime == "image/png" and data.startswith(b"\x89PNG\r\n\x1a\n")
    assert result.text.splitlines()[1] == "[image image/png attached]"
    assert result.to_tool_output().images == [(data, mime)]


async def test_structured_content_is_kept_as_json(everything: Everything) -> None:
    result = await everything.client.call_tool("get-structured-content", {"location": "New York"})
    assert result.structured == {"temperature": 33, "conditions": "Cloudy", "humidity": 82}
    assert not result.is_error


async def test_embedded_resources_and_links_are_carried(everything: Everything) -> None:
    result = await everything.client.call_tool("get-resource-reference", {})
    [resource] = result.resources
    assert resource.uri == "demo://resource/dynamic/text/1"
    assert resource.text is not None and resource.text.startswith("Resource 1:")
    assert f"[resource {resource.uri}]" in result.text
    linked = await everything.client.call_tool("get-resource-links", {"count": 2})
    assert [link.name for link in linked.links] == ["Blob Resource 1", "Text Resource 2"]
    assert "[resource link Blob Resource 1 <demo://resource/dynamic/blob/1>" in linked.text


async def test_tool_errors_are_error_results(everything: Everything) -> None:
    bad_args = await everything.client.call_tool("get-sum", {"a": "x"})
    assert bad_args.is_error and "Input validation error" in bad_args.text
    unknown = await everything.client.call_tool("no-such-tool", {})
    assert unknown.is_error and "no-such-tool" in unknown.text
    assert unknown.to_tool_output().is_error


async def test_resources_are_listed_and_read(everything: Everything) -> None:
    resources = await everything.client.list_resources()
    uris = [r.uri for r in resources]
    assert "demo://resource/static/document/features.md" in uris
    [contents] = await everything.client.read_resource(
        "demo://resource/static/document/features.md"
    )
    assert contents.mime_type == "text/markdown"
    assert contents.text is not None and contents.text.startswith("# Everything Server")
    templates = await everything.client.list_resource_templates()
    assert any(t.uri_template == "demo://resource/dynamic/text/{resourceId}" for t in templates)
    [blob] = await everything.client.read_resource("demo://resource/dynamic/blob/1")
    assert blob.text is None and blob.blob


async def test_prompts_are_listed_and_rendered_as_chat_messages(everything: Everything) -> None:
    prompts = {p.name: p for p in await everything.client.list_prompts()}
    assert {"simple-prompt", "args-prompt"} <= set(prompts)
    assert [a.name for a in prompts["args-prompt"].arguments or []] == ["city", "state"]
    prompt = await everything.client.get_prompt("args-prompt", {"city": "Paris"})
    [message] = prompt.messages
    assert message.role == MessageRole.USER
    assert "Paris" in message.content


async def test_progress_reaches_the_callback(everything: Everything) -> None:
    reports: list[MCPProgress] = []
    all_arrived = anyio.Event()

    def record(report: MCPProgress) -> None:
        reports.append(report)
        if len(reports) == 3:
            all_arrived.set()

    result = await everything.client.call_tool(
        "trigger-long-running-operation", {"duration": 0.3, "steps": 3}, on_progress=record
    )
    assert "Long running operation completed" in result.text
    with anyio.fail_after(5):  # callbacks run concurrently with the result's delivery
        await all_arrived.wait()
    assert sorted(r.progress for r in reports) == [1, 2, 3]
    assert {(r.server, r.tool, r.total) for r in reports} == {
        ("mcp-server-everything", "trigger-long-running-operation", 3)
    }


async def test_the_tool_list_follows_the_servers_announcement(everything: Everything) -> None:
    # server-everything adds tools after the handshake and announces it
    with anyio.fail_after(10):
        await everything.changed.wait()
    assert "simulate-research-query" in [t.name for t in everything.tool_lists[-1]]
    assert [t.name for t in everything.client.tools] == [t.name for t in everything.tool_lists[-1]]


async def test_a_request_timeout_is_typed_and_the_session_survives(everything: Everything) -> None:
    with pytest.raises(MCPTimeoutError, match=r"no answer within 0.2s while calling tool") as info:
        await everything.client.call_tool(
            "trigger-long-running-operation", {"duration": 3, "steps": 1}, timeout=0.2
        )
    assert info.value.server == "mcp-server-everything"
    assert (await everything.client.call_tool("echo", {"message": "alive"})).text == "Echo: alive"


#: A call that runs for 20 s and reports progress every 0.2 s: a test cancels or breaks it
#: once the first report shows it is under way.
LONG_CALL = ("trigger-long-running-operation", {"duration": 20, "steps": 100})


def cancel_on_first_progress(scope: anyio.CancelScope) -> Callable[[MCPProgress], None]:
    return lambda progress: scope.cancel()


async def test_a_cancelled_call_leaves_the_session_usable(everything: Everything) -> None:
    with anyio.CancelScope() as scope:
        await everything.client.call_tool(*LONG_CALL, on_progress=cancel_on_first_progress(scope))
    assert scope.cancelled_caught
    assert (await everything.client.call_tool("echo", {"message": "still"})).text == "Echo: still"


async def test_calls_from_many_tasks_at_once(everything: Everything) -> None:
    answers: dict[int, str] = {}

    async def call(n: int) -> None:
        answers[n] = (await everything.client.call_tool("echo", {"message": str(n)})).text

    async with anyio.create_task_group() as tg:
        for n in range(20):
            tg.start_soon(call, n)
    assert answers == {n: f"Echo: {n}" for n in range(20)}


# --------------------------------------------------------------------------- own servers


async def test_stderr_goes_to_the_log_not_the_terminal(
    everything_bin: str, mcp_logs: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    async with MCPClient("stdio", [everything_bin], name="quiet") as client:
        await client.call_tool("echo", {"message": "x"})
    records = [r for r in mcp_logs.records if getattr(r, "mcp_server", None) == "quiet"]
    assert "[quiet] Starting default (STDIO) server..." in [r.getMessage() for r in records]
    assert "Starting default" not in capfd.readouterr().err


async def test_a_server_killed_mid_call_gives_a_typed_error(everything_bin: str) -> None:
    before = descendants()
    async with MCPClient("stdio", [everything_bin], name="doomed") as client:
        [pid] = [p for p in descendants() - before if "mcp-server-everything" in command_line(p)]
        sessions = server_sessions(before)

        def kill(progress: MCPProgress) -> None:
            if progress.progress == 1:
                os.kill(pid, signal.SIGKILL)

        with anyio.fail_after(10), pytest.raises(MCPConnectionError, match="closed"):
            await client.call_tool(*LONG_CALL, on_progress=kill)
        with pytest.raises(MCPConnectionError):
            await client.call_tool("echo", {"message": "anyone?"})
        [tool] = [t for t in client.tools if t.name == "echo"]
        with pytest.raises(ToolExecutionError, match="doomed"):
            await tool.execute({"message": "anyone?"})
    assert not in_sessions(sessions)


async def test_cancelling_mid_call_leaves_no_child_process(everything_bin: str) -> None:
    before = descendants()
    sessions: set[int] = set()
    with anyio.CancelScope() as scope:  # cancels the client's block, not only the call
        async with MCPClient("stdio", [everything_bin], name="cancelled") as client:
            sessions = server_sessions(before)
            assert in_sessions(sessions)
            await client.call_tool(*LONG_CALL, on_progress=cancel_on_first_progress(scope))
    assert scope.cancelled_caught
    assert sessions and not in_sessions(sessions)
    assert descendants() <= before
