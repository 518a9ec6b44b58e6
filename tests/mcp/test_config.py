"""Config files (mcpServers and VS Code forms, #name, ${VAR}), --mcp strings, and the errors
for everything a config can get wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pollytool.errors import ConfigurationError, MCPConfigError
from pollytool.mcp import (
    MCPServerConfig,
    load_mcp_config,
    parse_mcp_config,
    parse_mcp_spec,
    server_from_command,
)
from pollytool.mcp.config import parse_duration

ENV = {"TOKEN": "t0k3n", "DATA": "/srv/data"}


def parse(data: Any, **kwargs: Any) -> list[MCPServerConfig]:
    return parse_mcp_config(data, environ=ENV, **kwargs)


def test_mcp_servers_form_with_stdio_http_and_sse_entries() -> None:
    files, search, legacy, guess = parse(
        {
            "mcpServers": {
                "files": {
                    "command": "npx",
                    "args": ["-y", "@modelcontextprotocol/server-filesystem", "${DATA}"],
                    "env": {"LEVEL": 3, "KEY": "${TOKEN}"},
                    "cwd": "/tmp",
                },
                "search": {
                    "type": "http",
                    "url": "https://example.com/mcp",
                    "headers": {"Authorization": "Bearer ${TOKEN}"},
                    "timeout": "1m30s",
                    "connectTimeout": 5,
                },
                "legacy": {"type": "sse", "url": "https://example.com/sse", "mode": "legacy"},
                "guess": {"url": "https://example.com/either"},
            }
        }
    )
    assert files.transport == "stdio"
    assert files.argv == ["npx", "-y", "@modelcontextprotocol/server-filesystem", "/srv/data"]
    assert files.env == {"LEVEL": "3", "KEY": "t0k3n"}
    assert files.cwd == "/tmp"
    assert (search.transport, search.url) == ("http", "https://example.com/mcp")
    assert search.headers == {"Authorization": "Bearer t0k3n"}
    assert (search.timeout, search.connect_timeout) == (90.0, 5.0)
    assert not search.sse_fallback
    assert (legacy.transport, legacy.mode) == ("sse", "legacy")
    assert guess.transport == "http" and guess.sse_fallback
    assert files.source == "<config>#files"


def test_vs_code_servers_form_and_its_variables(tmp_path: Path) -> None:
    vscode = tmp_path / "project" / ".vscode"
    vscode.mkdir(parents=True)
    path = vscode / "mcp.json"
    path.write_text(
        json.dumps(
            {
                "inputs": [],
                "servers": {
                    "fs": {
                        "type": "stdio",
                        "command": "mcp-server-filesystem",
                        "args": ["${workspaceFolder}"],
                    },
                    "web": {"type": "streamableHttp", "url": "http://localhost:9/mcp"},
                },
            }
        )
    )
    fs, web = load_mcp_config(path, environ=ENV)
    assert fs.args == (str(tmp_path / "project"),)
    assert web.transport == "http"
    assert fs.source == f"{path}#fs"


def test_gemini_http_url_and_disabled_entries() -> None:
    [only] = parse(
        {
            "mcpServers": {
                "off": {"command": "x", "disabled": True},
                "gem": {"httpUrl": "https://example.com/mcp", "includeTools": ["a", "b"]},
            }
        }
    )
    assert only.name == "gem" and only.transport == "http" and not only.sse_fallback
    assert only.include_tools == ("a", "b")
    assert only.wants_tool("a") and not only.wants_tool("c")


def test_hash_selects_one_server_and_names_the_others_when_missing(tmp_path: Path) -> None:
    path = tmp_path / "servers.json"
    path.write_text(json.dumps({"mcpServers": {"a": {"command": "x"}, "b": {"command": "y"}}}))
    [b] = load_mcp_config(f"{path}#b")
    assert b.command == "y"
    with pytest.raises(MCPConfigError, match=r"has no server 'c'; it has: a, b"):
        load_mcp_config(f"{path}#c")
    with pytest.raises(MCPConfigError, match="names no server after '#'"):
        load_mcp_config(f"{path}#")


def test_single_server_file_is_named_after_the_file(tmp_path: Path) -> None:
    path = tmp_path / "time.json"
    path.write_text(json.dumps({"command": "uvx", "args": ["mcp-server-time"]}))
    [config] = load_mcp_config(path)
    assert (config.name, config.argv) == ("time", ["uvx", "mcp-server-time"])


def test_variable_defaults_env_prefix_and_missing_variables() -> None:
    [config] = parse(
        {"mcpServers": {"s": {"command": "run", "args": ["${env:TOKEN}", "${NOPE:-fallback}"]}}}
    )
    assert config.args == ("t0k3n", "fallback")
    with pytest.raises(MCPConfigError, match=r"uses \$\{NOPE\}.*NOPE is not set") as info:
        parse({"mcpServers": {"s": {"command": "run", "args": ["${NOPE}"]}}})
    assert info.value.server == "s"
    with pytest.raises(MCPConfigError, match="VS Code input prompts are not supported"):
        parse({"servers": {"s": {"command": "run", "env": {"K": "${input:key}"}}}})


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({}, "needs a 'command' .* or a 'url'"),
        ({"command": 3}, "'command' must be a string, not int"),
        ({"command": "x", "args": "a b"}, "'args' must be a list of strings"),
        ({"command": "x", "env": {"A": {"b": 1}}}, "'env.A' must be a string or a number"),
        ({"command": "x", "type": "http"}, "has a command but its type is 'http'"),
        ({"url": "https://h/mcp", "type": "websocket"}, "unknown transport type 'websocket'"),
        ({"url": "ftp://h/mcp"}, "needs an http:// or https:// url"),
        ({"url": "https://h/mcp", "sandbox": True}, "sandbox applies to stdio servers only"),
        ({"command": "x", "sandbox": "yes"}, "'sandbox' must be true, false or an object"),
        ({"command": "x", "timeout": "soon"}, "'timeout' must be a positive number"),
        ({"command": "x", "timeout": 0}, "'timeout' must be a positive number"),
        ({"command": "x", "mode": "fast"}, "mode must be 'auto' or 'legacy'"),
        ("npx", "must be a JSON object"),
    ],
)
def test_bad_entries_name_the_server_and_the_field(entry: Any, message: str) -> None:
    with pytest.raises(MCPConfigError, match=message) as info:
        parse({"mcpServers": {"broken": entry}})
    assert info.value.server == "broken"
    assert str(info.value).startswith("MCP server 'broken': ")
    assert isinstance(info.value, ConfigurationError)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a JSON object"),
        ({"other": 1}, "has no 'mcpServers'"),
        ({"mcpServers": []}, "'mcpServers' in MCP config '<config>' must be an object"),
        ({"mcpServers": {}}, "defines no servers"),
    ],
)
def test_bad_files(data: Any, message: str) -> None:
    with pytest.raises(MCPConfigError, match=message):
        parse(data)


def test_unreadable_and_invalid_json_files(tmp_path: Path) -> None:
    with pytest.raises(MCPConfigError, match=r"cannot read MCP config .*missing\.json"):
        load_mcp_config(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"mcpServers": ')
    with pytest.raises(MCPConfigError, match=r"is not valid JSON: .* at line 1"):
        load_mcp_config(bad)


@pytest.mark.parametrize(
    ("command", "name", "argv"),
    [
        ("uvx mcp-server-time", "mcp-server-time", ["uvx", "mcp-server-time"]),
        (
            "npx -y @modelcontextprotocol/server-filesystem '/my docs'",
            "server-filesystem",
            ["npx", "-y", "@modelcontextprotocol/server-filesystem", "/my docs"],
        ),
        ("npx -y pkg@1.2.3", "pkg", ["npx", "-y", "pkg@1.2.3"]),
        ("python -m my_server --port 3", "my_server", ["python", "-m", "my_server", "--port", "3"]),
        ("python3 -c 'print(1)'", "python3", ["python3", "-c", "print(1)"]),
        ("/opt/bin/mcp-server-git --repository .", "mcp-server-git", None),
        ('node "dist/my server.js"', "my server", ["node", "dist/my server.js"]),
    ],
)
def test_command_strings_are_split_with_shell_quoting(
    command: str, name: str, argv: list[str] | None
) -> None:
    config = server_from_command(command)
    assert config.transport == "stdio"
    assert config.name == name
    if argv is not None:
        assert config.argv == argv
    assert config.source == f"--mcp {command!r}"


def test_command_string_errors() -> None:
    with pytest.raises(MCPConfigError, match="the MCP server command is empty"):
        server_from_command("   ")
    with pytest.raises(MCPConfigError, match=r"cannot split the command .*No closing quotation"):
        server_from_command("npx 'unterminated")


def test_specs_name_files_urls_and_commands(tmp_path: Path) -> None:
    path = tmp_path / "two.json"
    path.write_text(json.dumps({"mcpServers": {"a": {"command": "x"}, "b": {"command": "y"}}}))
    assert [c.name for c in parse_mcp_spec(str(path))] == ["a", "b"]
    assert [c.name for c in parse_mcp_spec(f"{path}#b")] == ["b"]
    [remote] = parse_mcp_spec("https://mcp.example.com/mcp")
    assert (remote.name, remote.transport, remote.sse_fallback) == ("mcp.example.com", "http", True)
    [command] = parse_mcp_spec("uvx mcp-server-time --local-timezone UTC")
    assert command.args == ("mcp-server-time", "--local-timezone", "UTC")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("500ms", 0.5), ("1m30s", 90), ("2h", 7200), ("12", 12), ("1.5", 1.5)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "10x", "s30", "1m 30s"])
def test_bad_durations(text: str) -> None:
    assert parse_duration(text) is None


def test_config_object_checks_itself() -> None:
    with pytest.raises(MCPConfigError, match="needs a non-empty name"):
        MCPServerConfig("", "stdio", command="x")
    with pytest.raises(MCPConfigError, match="a stdio server needs a command"):
        MCPServerConfig("s", "stdio")
    with pytest.raises(MCPConfigError, match="connect_timeout must be a positive number"):
        MCPServerConfig("s", "stdio", command="x", connect_timeout=0)
    config = MCPServerConfig("s", "sse", url="https://h/sse", exclude_tools=("rm",))
    assert config.describe() == "https://h/sse (sse)"
    assert not config.wants_tool("rm") and config.wants_tool("ls")
