"""Several real servers at once through a config file: server-filesystem and server-everything
from npm, mcp-server-time from PyPI. Namespaced tools in one registry, name collisions, an
agent turn that calls an MCP tool, a server that fails to start, and closing from another
task."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest

from pollytool.errors import DuplicateToolError, MCPConfigError, MCPConnectionError
from pollytool.llm import Agent
from pollytool.mcp import MCPServers, load_mcp_servers, resolve_mcp_configs
from pollytool.messages import ChatMessage, MessageRole
from pollytool.providers.anthropic._dialect import to_anthropic
from pollytool.providers.fake import FakeLLM, tool_call
from pollytool.providers.gemini._dialect import to_gemini
from pollytool.providers.openai._dialect import to_openai_strict
from pollytool.request import CompletionRequest
from pollytool.tools import ToolRegistry, tool, tool_spec

from .conftest import descendants

pytestmark = pytest.mark.anyio


@dataclass
class Setup:
    servers: MCPServers
    root: Path


@pytest.fixture(scope="module")
def config_file(
    tmp_path_factory: pytest.TempPathFactory,
    everything_bin: str,
    filesystem_bin: str,
    time_bin: str,
) -> Path:
    root = tmp_path_factory.mktemp("fsroot")
    (root / "hello.txt").write_text("hello from fsroot")
    path = root.parent / "mcp.json"
    path.write_text(
        json.dumps(
            {
                "mcpServers": {
                    "files": {"command": filesystem_bin, "args": [str(root)]},
                    "time": {"command": time_bin, "args": ["--local-timezone", "UTC"]},
                    "everything": {"command": everything_bin},
                    "everything.2": {"command": everything_bin, "includeTools": ["echo"]},
                }
            }
        )
    )
    return path


@pytest.fixture(scope="module")
async def setup(config_file: Path, anyio_backend: str) -> AsyncIterator[Setup]:
    async with load_mcp_servers(config_file) as servers:
        yield Setup(
            servers, Path(json.loads(config_file.read_text())["mcpServers"]["files"]["args"][0])
        )


async def test_every_server_connects_and_its_tools_are_namespaced(setup: Setup) -> None:
    servers = setup.servers
    assert list(servers.clients) == ["files", "time", "everything", "everything.2"]
    names = servers.registry.names()
    assert {"files__read_text_file", "time__get_current_time", "everything__echo"} <= set(names)
    # the same tool name on two servers stays apart; "everything.2" is sanitised
    assert "everything_2__echo" in names
    assert [n for n in names if n.startswith("everything_2__")] == ["everything_2__echo"]
    assert servers.registry.original_name("everything_2__echo") == "everything.2__echo"
    assert [t.name for t in servers.tools] == names
    assert servers["time"].protocol_version == "2026-07-28"
    assert servers["files"].protocol_version == "2025-11-25"


async def test_filesystem_server_reads_inside_and_refuses_outside(setup: Setup) -> None:
    files = setup.servers["files"]
    allowed = await files.call_tool("list_allowed_directories", {})
    assert str(setup.root.resolve()) in allowed.text
    hello = await files.call_tool("read_text_file", {"path": str(setup.root / "hello.txt")})
    assert hello.text == "hello from fsroot"
    outside = await files.call_tool("read_text_file", {"path": "/etc/passwd"})
    assert outside.is_error and "Access denied" in outside.text
    written = await files.call_tool(
        "write_file", {"path": str(setup.root / "new.txt"), "content": "written by a test"}
    )
    assert not written.is_error
    assert (setup.root / "new.txt").read_text() == "written by a test"


async def test_time_server_from_pypi(setup: Setup) -> None:
    time = setup.servers["time"]
    now = await time.call_tool("get_current_time", {"timezone": "Europe/Paris"})
    assert now.structured["timezone"] == "Europe/Paris"
    assert set(now.structured) >= {"datetime", "day_of_week", "is_dst"}
    converted = await time.call_tool(
        "convert_time",
        {"source_timezone": "America/New_York", "time": "16:30", "target_timezone": "Asia/Tokyo"},
    )
    assert converted.structured["time_difference"] in ("+13.0h", "+14.0h")
    bad = await time.call_tool("get_current_time", {"timezone": "Mars/Olympus"})
    assert bad.is_error


async def test_an_agent_turn_calls_an_mcp_tool(setup: Setup) -> None:
    model = FakeLLM(
        [
            tool_call("everything__get-sum", {"a": 2, "b": 40}, id="call_1"),
            tool_call("files__read_text_file", {"path": str(setup.root / "hello.txt")}, id="c2"),
        ],
        "The sum is 42 and the file says hello.",
    )
    agent = Agent(model, setup.servers.registry)
    result = await agent.run(CompletionRequest("fake", [ChatMessage.user("Add and read")]))
    assert result.text == "The sum is 42 and the file says hello."
    tool_messages = [m for m in result.new_messages if m.role == MessageRole.TOOL]
    assert [(m.tool_name, m.content, m.is_error) for m in tool_messages] == [
        ("everything__get-sum", "The sum of 2 and 40 is 42.", False),
        ("files__read_text_file", "hello from fsroot", False),
    ]
    sent = model.requests[0]
    assert {t.name for t in sent.tools} >= {"everything__get-sum", "time__get_current_time"}


async def test_an_agent_turn_with_an_image_result(setup: Setup) -> None:
    model = FakeLLM([tool_call("everything__get-tiny-image", {}, id="img")], "A logo.")
    result = await Agent(model, setup.servers.registry).run(
        CompletionRequest("fake", [ChatMessage.user("Show me")])
    )
    [message] = [m for m in result.new_messages if m.role == MessageRole.TOOL]
    assert message.has_images
    assert "[image image/png attached]" in message.content


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for value in node.values() for k in _keys(value)}
    if isinstance(node, list):
        return {k for value in node for k in _keys(value)}
    return set()


async def test_real_schemas_convert_to_every_provider_dialect(setup: Setup) -> None:
    """Every real tool schema (draft-07 ``$schema``, optional properties, pydantic titles)
    through what each provider adapter does with a tool's parameters."""
    specs = [tool_spec(t) for t in setup.servers.tools]
    assert len(specs) >= 30
    for spec in specs:
        assert "$schema" not in spec.parameters and spec.parameters["type"] == "object"
        gemini = to_gemini(spec.parameters)
        assert not {"$schema", "additionalProperties", "$ref"} & _keys(gemini), spec.name
        assert to_anthropic(spec.parameters)["type"] == "object"
        strict, _ = to_openai_strict(spec.parameters)
        assert strict["type"] == "object"


# --------------------------------------------------------------------------- failures


async def test_without_namespaces_a_collision_is_an_error_naming_both(config_file: Path) -> None:
    sources = [f"{config_file}#everything", f"{config_file}#everything.2"]
    before = descendants()
    with pytest.raises(DuplicateToolError, match="two tools are named 'echo'") as info:
        async with load_mcp_servers(sources, namespace=False):
            pass
    assert "MCP server 'everything'" in str(info.value)
    assert "MCP server 'everything.2'" in str(info.value)
    assert descendants() <= before


async def test_names_that_sanitise_alike_collide(config_file: Path, everything_bin: str) -> None:
    config = {
        "mcpServers": {
            "a.b": {"command": everything_bin, "includeTools": ["echo"]},
            "a_b": {"command": everything_bin, "includeTools": ["echo"]},
        }
    }
    with pytest.raises(DuplicateToolError, match="'a_b__echo'"):
        async with load_mcp_servers(config):
            pass


async def test_into_an_existing_registry_next_to_local_tools(config_file: Path) -> None:
    @tool
    def local() -> str:
        """A local tool."""
        return "local"

    registry = ToolRegistry([local])
    async with load_mcp_servers(f"{config_file}#everything.2", registry=registry) as servers:
        assert registry.names() == ["local", "everything_2__echo"]
        assert servers.registry is registry
    assert registry.names() == ["local"]  # the servers' tools leave with them


async def test_one_failing_server_closes_the_others(config_file: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"mcpServers": {"gone": {"command": "no-such-mcp-server"}}}))
    before = descendants()
    with pytest.raises(MCPConnectionError, match="cannot start 'no-such-mcp-server'") as info:
        async with load_mcp_servers([f"{config_file}#everything.2", broken]):
            pass
    assert info.value.server == "gone"
    assert descendants() <= before


async def test_several_failures_are_listed(tmp_path: Path) -> None:
    config = {"mcpServers": {"x": {"command": "no-such-x"}, "y": {"command": "no-such-y"}}}
    with pytest.raises(MCPConnectionError, match=r"2 MCP servers failed to connect") as info:
        async with load_mcp_servers(config):
            pass
    assert "no-such-x" in str(info.value) and "no-such-y" in str(info.value)


async def test_command_strings_get_distinct_names(config_file: Path, time_bin: str) -> None:
    configs = await resolve_mcp_configs([f"{time_bin}", f"{time_bin} --local-timezone UTC"])
    assert [c.name for c in configs] == ["mcp-server-time", "mcp-server-time-2"]
    with pytest.raises(MCPConfigError, match="two MCP servers are named 'everything'"):
        await resolve_mcp_configs([f"{config_file}#everything", f"{config_file}#everything"])


async def test_closing_from_another_task_than_the_one_that_opened(config_file: Path) -> None:
    before = descendants()
    opened = anyio.Event()
    closed = anyio.Event()
    holder: list[MCPServers] = []

    async def opener() -> None:
        async with load_mcp_servers(f"{config_file}#everything.2") as servers:
            holder.append(servers)
            opened.set()
            await closed.wait()
            # the connection is already closed; leaving the block must not raise
            assert "everything_2__echo" not in servers.registry

    async def closer() -> None:
        await opened.wait()
        [servers] = holder
        client = servers["everything.2"]
        assert (await client.call_tool("echo", {"message": "from B"})).text == "Echo: from B"
        await servers.aclose()
        assert not client.connected
        closed.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(opener)
        tg.start_soon(closer)
    assert descendants() <= before
