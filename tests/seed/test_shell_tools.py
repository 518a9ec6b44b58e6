"""Seed section "Shell Tool Integration": the weather.sh script, using shell tools with the
LLM, the script protocol, the sandbox spec and its five examples, and dbquery.sh."""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pollytool import ChatMessage, CompletionRequest, EventType, MessageRole, MultiPass
from pollytool.errors import ToolLoadError
from pollytool.tools import SandboxSpec, ShellTool, ToolOutput, ToolRegistry, load_shell_tools
from tests.examples._support import chat_stream
from tests.fakes.loopback import LoopbackServer
from tests.sandbox.helpers import require, require_bwrap

pytestmark = pytest.mark.anyio

#: The seed's weather.sh (the document's ``\$1`` is its escaping of ``$1``).
WEATHER_SH = r"""#!/bin/bash
# weather.sh - A simple weather tool for LLMs
if [ "$1" = "--schema" ]; then
  cat <<EOF
{
  "title": "get_weather",
  "description": "Get current weather for a location",
  "type": "object",
  "properties": {
    "location": {"type": "string", "description": "City and state, e.g. 'San Francisco, CA'"},
    "units": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "fahrenheit",
              "description": "Temperature units"}
  },
  "required": ["location"]
}
EOF
  exit 0
fi
if [ "$1" = "--execute" ]; then
  LOCATION=$(echo "$2" | jq -r '.location')
  UNITS=$(echo "$2" | jq -r '.units // "fahrenheit"')
  case "$LOCATION" in
    "San Francisco, CA") C="18°C"; F="65°F"; SKY="foggy with moderate winds" ;;
    "New York, NY") C="7°C"; F="45°F"; SKY="partly cloudy" ;;
    "Miami, FL") C="28°C"; F="82°F"; SKY="sunny and humid" ;;
    *) C="21°C"; F="70°F"; SKY="mild weather" ;;
  esac
  if [ "$UNITS" = "celsius" ]; then echo "$C, $SKY"; else echo "$F, $SKY"; fi
  exit 0
fi
echo "Usage: $0 [--schema | --execute <json-args>]"
exit 1
"""

#: The seed's dbquery.sh, reading its databases from DATA_DIR instead of /data.
DBQUERY_SH = r"""#!/bin/bash
# dbquery.sh - Query database tool
if [ "$1" = "--schema" ]; then
  cat <<EOF
{
  "title": "query_database",
  "description": "Execute SQL queries on the application database",
  "type": "object",
  "properties": {
    "query": {"type": "string", "description": "SQL query to execute"},
    "database": {"type": "string", "enum": ["users", "products", "orders"],
                 "description": "Target database"},
    "limit": {"type": "integer", "default": 10, "description": "Maximum rows to return"}
  },
  "required": ["query", "database"]
}
EOF
  exit 0
fi
if [ "$1" = "--execute" ]; then
  QUERY=$(echo "$2" | jq -r '.query')
  DATABASE=$(echo "$2" | jq -r '.database')
  LIMIT=$(echo "$2" | jq -r '.limit // 10')
  if ! echo "$QUERY" | grep -qi "limit"; then
    QUERY="$QUERY LIMIT $LIMIT"
  fi
  sqlite3 "DATA_DIR/${DATABASE}.db" "$QUERY" 2>&1
  exit $?
fi
"""

#: A tool that fails the way the protocol says: non-zero exit, the reason on stderr.
FAILING_SH = r"""#!/bin/bash
if [ "$1" = "--schema" ]; then echo '{"title": "always_fails", "type": "object"}'; exit 0; fi
echo "partial output"
echo "no data for that location" >&2
exit 4
"""

#: Runs the ``command`` argument with bash; its schema comes from schema.json next to it.
PROBE_SH = r"""#!/bin/bash
if [ "$1" = "--schema" ]; then cat "$(dirname "$0")/schema.json"; exit 0; fi
bash -c "$(echo "$2" | jq -r .command)" 2>&1
"""


def _script(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    path.chmod(0o755)
    return path


def _need_jq() -> None:
    require(shutil.which("jq") is not None, "jq is not installed (apt-get install jq)")


async def _weather(folder: Path) -> ShellTool:
    _need_jq()
    (weather,) = await load_shell_tools([_script(folder, "weather.sh", WEATHER_SH)],
                                        nosandbox=True)  # fmt: skip
    return weather


async def test_weather_script_tool(tmp_path: Path) -> None:
    """Example: Weather Script Tool: the script's schema and answers."""
    weather = await _weather(tmp_path)
    assert weather.name == "get_weather" and weather.namespace == "weather"
    assert weather.schema["description"] == "Get current weather for a location"
    assert await weather.execute({"location": "San Francisco, CA"}) == (
        "65°F, foggy with moderate winds"
    )
    assert await weather.execute({"location": "Miami, FL", "units": "celsius"}) == (
        "28°C, sunny and humid"
    )
    assert await weather.execute({"location": "Oslo"}) == "70°F, mild weather"


async def test_using_shell_tools(
    router: MultiPass, loopback: LoopbackServer, tmp_path: Path
) -> None:
    """Using Shell Tools: loading reports a missing script instead of skipping it; the
    model's calls are run and answered, then the conversation continues."""
    weather = await _weather(tmp_path)
    with pytest.raises(ToolLoadError) as failed:
        await load_shell_tools([tmp_path / "weather.sh", tmp_path / "calculator.sh"],
                               nosandbox=True)  # fmt: skip
    assert [f.source for f in failed.value.failures] == [str(tmp_path / "calculator.sh")]
    registry = ToolRegistry([weather])

    calls = [("get_weather", {"location": "San Francisco, CA"}),
             ("get_weather", {"location": "New York, NY"})]  # fmt: skip
    loopback.add("POST", "/v1/chat/completions", chat_stream(tool_calls=calls),
                 chat_stream("Foggy in SF, cloudy in NY."))  # fmt: skip
    req = CompletionRequest(
        "openai/gpt-5.4",
        [ChatMessage(MessageRole.USER, "What's the weather in San Francisco and New York?")],
        tools=registry.all(),
        max_tokens=1000,
    )
    printed = []
    done = False
    while not done:
        async for event in router.chat_completion_stream(req, None):
            if event.type == EventType.CONTENT:
                printed.append(event.content)
            elif event.type == EventType.COMPLETE and event.message.tool_calls:
                req.messages.append(event.message)  # once per turn, before its results
                for tool_call in event.message.tool_calls:
                    tool = registry.get(tool_call.name)
                    assert tool is not None
                    result = await tool.execute(tool_call.args)
                    req.messages.append(ChatMessage.tool_result(tool_call.id, str(result)))
            elif event.type == EventType.COMPLETE:
                done = True
            elif event.type == EventType.ERROR:
                raise event.error
    assert "".join(printed) == "Foggy in SF, cloudy in NY."
    follow_up = loopback.requests[1].json()["messages"]
    assert [m["content"] for m in follow_up[-2:]] == [
        "65°F, foggy with moderate winds", "45°F, partly cloudy",
    ]  # fmt: skip


async def test_script_protocol_failure_is_an_error_result(tmp_path: Path) -> None:
    """Script Protocol Requirements: a non-zero exit is an error result the model reads,
    with the exit status, stdout and stderr."""
    (failing,) = await load_shell_tools([_script(tmp_path, "fails.sh", FAILING_SH)],
                                        nosandbox=True)  # fmt: skip
    result = await failing.execute({})
    assert isinstance(result, ToolOutput) and result.is_error
    assert "exit status 4" in result.text
    assert "partial output" in result.text and "no data for that location" in result.text


# --------------------------------------------------------------------------- the sandbox


async def _probe(folder: Path, sandbox: Any, title: str) -> ShellTool:
    """A shell tool running ``command`` with the seed's *sandbox* value in its schema."""
    folder.mkdir(parents=True, exist_ok=True)
    schema = {"title": title, "type": "object", "sandbox": sandbox,
              "properties": {"command": {"type": "string"}}}  # fmt: skip
    (folder / "schema.json").write_text(json.dumps(schema))
    (tool,) = await load_shell_tools([_script(folder, "probe.sh", PROBE_SH)])
    return tool


async def _run(tool: ShellTool, command: str) -> tuple[bool, str]:
    """(succeeded, output) of *command* run by *tool*."""
    result = await tool.execute({"command": command})
    if isinstance(result, ToolOutput):
        return not result.is_error, result.text
    return True, result


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A home with credentials in it, and secrets in the environment. It lives under
    /var/tmp: inside the sandbox /tmp is private, so anything under /tmp would look hidden
    and unwritable whether the sandbox's rules work or not."""
    require_bwrap()
    _need_jq()
    home = Path(tempfile.mkdtemp(prefix="pollytool-seed-", dir="/var/tmp"))
    for secret in (".ssh/id_ed25519", ".aws/config"):
        (home / secret).parent.mkdir(parents=True)
        (home / secret).write_text("secret material")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("POLLYTOOL_OPENAIKEY", "sk-should-not-leak-0123456789")
    monkeypatch.setenv("AWS_PROFILE", "deploy")
    monkeypatch.setenv("UNRELATED", "visible")
    monkeypatch.delenv("POLLYTOOL_NOSANDBOX", raising=False)
    yield home
    shutil.rmtree(home, ignore_errors=True)


def _connect(port: int) -> str:
    return f"exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected"


async def test_sandbox_with_defaults(home: Path, loopback: LoopbackServer) -> None:
    """``"sandbox": true``: writes only to /tmp, no network, credentials hidden, POLLYTOOL_*
    stripped; the description says ``[sandboxed]``."""
    tool = await _probe(home / "tools", True, "my_tool")
    assert tool.schema["description"].endswith("[sandboxed]")
    assert await _run(tool, "echo hi > /tmp/x && cat /tmp/x") == (True, "hi")
    assert (await _run(tool, f"touch {home}/written"))[0] is False
    assert not (home / "written").exists()
    assert (await _run(tool, "cat ~/.ssh/id_ed25519"))[0] is False
    assert await _run(tool, "echo ${POLLYTOOL_OPENAIKEY:-stripped} $UNRELATED") == (
        True, "stripped visible",
    )  # fmt: skip
    assert (await _run(tool, _connect(loopback.port)))[0] is False


async def test_sandbox_network_and_writable_paths(home: Path, loopback: LoopbackServer) -> None:
    """``{"allowNetwork": true, "writablePaths": ["/tmp/data"]}`` (the data folder made
    under the test's home)."""
    data = home / "data"
    data.mkdir()
    spec = {"allowNetwork": True, "writablePaths": [str(data)]}
    tool = await _probe(home / "tools", spec, "api_tool")
    assert await _run(tool, _connect(loopback.port)) == (True, "connected")
    assert (await _run(tool, f"echo saved > {data}/out"))[0]
    assert (data / "out").read_text() == "saved\n"
    assert (await _run(tool, f"touch {home}/elsewhere"))[0] is False


async def test_sandbox_network_without_dns(home: Path, loopback: LoopbackServer) -> None:
    """``{"allowNetwork": true, "denyDNS": true}``: connect by IP address."""
    spec = {"allowNetwork": True, "denyDNS": True}
    tool = await _probe(home / "tools", spec, "ip_only_tool")
    assert SandboxSpec.parse(spec) == SandboxSpec(allow_network=True, deny_dns=True)
    assert await _run(tool, _connect(loopback.port)) == (True, "connected")


async def test_sandbox_deploy_tool(home: Path) -> None:
    """``readPaths: ["~/.aws"]`` and ``allowEnv``: the AWS config is readable, only the
    listed variables are passed."""
    deploy = home / "deploy"
    deploy.mkdir()
    spec = {"allowNetwork": True, "writablePaths": [str(deploy)], "readPaths": ["~/.aws"],
            "allowEnv": ["AWS_PROFILE", "AWS_REGION", "HOME", "PATH"]}  # fmt: skip
    tool = await _probe(home / "tools", spec, "deploy_tool")
    assert await _run(tool, "cat ~/.aws/config") == (True, "secret material")
    assert (await _run(tool, "cat ~/.ssh/id_ed25519"))[0] is False
    assert await _run(tool, "echo $AWS_PROFILE ${UNRELATED:-unset}") == (True, "deploy unset")


async def test_sandbox_read_only(home: Path) -> None:
    """``{"denyWrite": true}``: no writes anywhere, not even /tmp; it overrides
    ``writablePaths``."""
    tool = await _probe(home / "tools", {"denyWrite": True}, "readonly_tool")
    assert (await _run(tool, "echo x > /tmp/x"))[0] is False
    assert await _run(tool, "jq -r .title ~/tools/schema.json") == (True, "readonly_tool")
    both = await _probe(home / "both", {"denyWrite": True, "writablePaths": [str(home)]}, "both")
    assert (await _run(both, f"touch {home}/written"))[0] is False


async def test_nosandbox_runs_a_sandboxed_tool_unrestricted(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``POLLYTOOL_NOSANDBOX=true`` switches sandboxing off."""
    monkeypatch.setenv("POLLYTOOL_NOSANDBOX", "true")
    tool = await _probe(home / "tools", True, "my_tool")
    assert "[sandboxed]" not in tool.schema.get("description", "")
    assert (await _run(tool, f"touch {home}/written"))[0]
    assert (home / "written").exists()


async def test_tool_without_sandbox_runs_unrestricted(home: Path) -> None:
    """Tools that omit ``sandbox`` or set it to false run without restrictions."""
    tool = await _probe(home / "tools", False, "free_tool")
    assert "[sandboxed]" not in tool.schema.get("description", "")
    assert await _run(tool, "cat ~/.ssh/id_ed25519") == (True, "secret material")


async def test_database_query_tool(tmp_path: Path) -> None:
    """More Complex Example: dbquery.sh with sqlite3; a LIMIT is added when missing."""
    _need_jq()
    require(shutil.which("sqlite3") is not None, "sqlite3 is missing (apt-get install sqlite3)")
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(data / "users.db") as db:
        db.execute("CREATE TABLE users (name TEXT)")
        db.executemany("INSERT INTO users VALUES (?)", [(f"user{n:02}",) for n in range(30)])
    script = _script(tmp_path, "dbquery.sh", DBQUERY_SH.replace("DATA_DIR", str(data)))
    (query,) = await load_shell_tools([script], nosandbox=True)
    assert query.name == "query_database"
    rows = await query.execute({"query": "SELECT name FROM users", "database": "users"})
    assert str(rows).splitlines() == [f"user{n:02}" for n in range(10)]
    limited = {"query": "SELECT name FROM users", "database": "users", "limit": 2}
    assert str(await query.execute(limited)).splitlines() == ["user00", "user01"]
    failed = await query.execute({"query": "SELECT nope FROM users", "database": "users"})
    assert isinstance(failed, ToolOutput) and failed.is_error and "no such column" in failed.text
