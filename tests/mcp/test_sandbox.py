"""Stdio servers inside the sandbox (``pollytool.tools.sandbox``, bubblewrap on Linux):
server-filesystem cannot read planted credentials or write outside its writable paths,
server-everything does not see credential-shaped environment variables, the loader's default
sandbox and a config's opt-out, and no process survives a cancelled sandboxed server.

The fake home lives under /var/tmp: inside the sandbox /tmp is private, so files under /tmp
would be out of reach whether the sandbox hid them or not.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from pollytool.errors import MCPConfigError
from pollytool.mcp import MCPClient, MCPServerConfig, load_mcp_servers
from pollytool.tools.sandbox import check_sandbox

from .conftest import descendants, require

pytestmark = pytest.mark.anyio

KEY = "-----BEGIN FAKE KEY----- not a real key"


@pytest.fixture(scope="module")
def home() -> Iterator[Path]:
    """A fake home with a planted SSH key and a note, outside /tmp."""
    require(shutil.which("bwrap"), "bubblewrap", "apt-get install bubblewrap")
    folder = Path(tempfile.mkdtemp(prefix="pollytool-mcp-", dir="/var/tmp"))
    (folder / ".ssh").mkdir()
    (folder / ".ssh" / "id_rsa").write_text(KEY)
    (folder / "notes.txt").write_text("my notes")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
async def sandbox_works(home: Path, anyio_backend: str) -> None:
    try:
        await check_sandbox()
    except Exception as exc:  # e.g. user namespaces blocked on this machine
        require(None, f"a working sandbox ({exc})", "apt-get install bubblewrap")


def files(filesystem_bin: str, home: Path, **options: Any) -> MCPClient:
    return MCPClient("stdio", [filesystem_bin, str(home)], env={"HOME": str(home)}, **options)


async def test_credentials_are_hidden_and_writes_refused(
    sandbox_works: None, filesystem_bin: str, home: Path
) -> None:
    async with files(filesystem_bin, home) as plain:  # the control: nothing stops it
        assert (
            await plain.call_tool("read_text_file", {"path": str(home / ".ssh/id_rsa")})
        ).text == KEY
    async with files(filesystem_bin, home, sandbox=True) as boxed:
        assert boxed.sandbox is not None
        assert all(t.schema["description"].endswith(" [sandboxed]") for t in boxed.tools)
        notes = await boxed.call_tool("read_text_file", {"path": str(home / "notes.txt")})
        assert notes.text == "my notes"
        key = await boxed.call_tool("read_text_file", {"path": str(home / ".ssh/id_rsa")})
        assert key.is_error and "ENOENT" in key.text and KEY not in key.text
        write = await boxed.call_tool(
            "write_file", {"path": str(home / "written.txt"), "content": "no"}
        )
        assert write.is_error and "EROFS" in write.text
    assert not (home / "written.txt").exists()


async def test_writable_paths_from_the_config(
    sandbox_works: None, filesystem_bin: str, home: Path
) -> None:
    config = {
        "mcpServers": {
            "files": {
                "command": filesystem_bin,
                "args": [str(home)],
                "env": {"HOME": str(home)},
                "sandbox": {"writablePaths": [str(home)]},
            }
        }
    }
    async with load_mcp_servers(config) as servers:
        tool = servers.registry.get("files__write_file")
        assert tool is not None
        output = await tool.execute({"path": str(home / "allowed.txt"), "content": "yes"})
        assert not isinstance(output, str) and not output.is_error
        key = await servers["files"].call_tool(
            "read_text_file", {"path": str(home / ".ssh/id_rsa")}
        )
        assert key.is_error
    assert (home / "allowed.txt").read_text() == "yes"


async def test_credential_variables_do_not_reach_a_sandboxed_server(
    sandbox_works: None, everything_bin: str
) -> None:
    env = {"MY_API_KEY": "k-12345678", "PLAIN_SETTING": "visible"}
    async with MCPClient("stdio", [everything_bin], env=env) as plain:
        assert "k-12345678" in (await plain.call_tool("get-env", {})).text
    async with MCPClient("stdio", [everything_bin], env=env, sandbox=True) as boxed:
        seen = (await boxed.call_tool("get-env", {})).text
    assert "PLAIN_SETTING" in seen and "MY_API_KEY" not in seen and "k-12345678" not in seen


async def test_the_loaders_default_sandbox_and_a_configs_opt_out(
    sandbox_works: None, everything_bin: str
) -> None:
    config = {
        "mcpServers": {
            "boxed": {"command": everything_bin, "includeTools": ["echo"]},
            "trusted": {"command": everything_bin, "includeTools": ["echo"], "sandbox": False},
        }
    }
    async with load_mcp_servers(config, sandbox_default={"allowNetwork": False}) as servers:
        assert servers["boxed"].sandbox is not None
        assert servers["trusted"].sandbox is None
        echo = servers.registry.get("boxed__echo")
        assert echo is not None and echo.schema["description"].endswith("[sandboxed]")
        assert (await servers["boxed"].call_tool("echo", {"message": "in"})).text == "Echo: in"


async def test_nosandbox_runs_unsandboxed_and_says_so(
    everything_bin: str, mcp_logs: pytest.LogCaptureFixture
) -> None:
    client = MCPClient("stdio", [everything_bin], name="loose", sandbox=True, nosandbox=True)
    assert client.sandbox is None
    assert "sandboxing is disabled: MCP server 'loose' runs unsandboxed" in mcp_logs.text


async def test_cancelling_a_sandboxed_server_mid_call_leaves_no_process(
    sandbox_works: None, everything_bin: str
) -> None:
    before = descendants()
    with anyio.CancelScope() as scope:
        async with MCPClient("stdio", [everything_bin], sandbox=True) as client:
            await client.call_tool(
                "trigger-long-running-operation",
                {"duration": 20, "steps": 100},
                on_progress=lambda progress: scope.cancel(),  # once it is under way
            )
    assert scope.cancelled_caught
    assert descendants() <= before


def test_sandbox_policies_are_checked_with_the_config() -> None:
    with pytest.raises(MCPConfigError, match="unknown sandbox field 'network'") as info:
        MCPServerConfig("s", "stdio", command="x", sandbox={"network": True})
    assert info.value.server == "s"
    with pytest.raises(MCPConfigError, match="sandbox_default: unknown sandbox field"):
        MCPClient("stdio", ["x"], sandbox_default={"nope": 1})
    assert MCPClient("http", "https://h/mcp", sandbox_default=True).sandbox is None
