"""Tools through the real ``polly``: a shell tool (sandboxed, or not with ``--nosandbox``)
and a real MCP server driven through the tool loop, tools remembered by a context, Agent
Skills from ``-S``/``--skilldir``, and clear errors for tools that cannot be loaded."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import FakeProvider
from tests.cli.polly import Polly, text_reply, tool_call_reply
from tests.needs import require


def _tool_names(body: dict[str, object]) -> list[str]:
    return [tool["function"]["name"] for tool in body.get("tools", [])]  # type: ignore[attr-defined]


@pytest.fixture
def weather(tmp_path: Path) -> Path:
    """A shell tool that asks for the sandbox, answers, and tries to leave a mark in its own
    directory."""
    require(shutil.which("bwrap"), "bubblewrap (apt install bubblewrap) runs shell tools")
    require(shutil.which("jq"), "jq (apt install jq) reads the tool's arguments")
    schema = {
        "title": "get_weather",
        "description": "Current weather for a city",
        "type": "object",
        "sandbox": True,
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    }
    path = tmp_path / "weather.sh"
    path.write_text(
        "#!/bin/bash\n"
        f"if [ \"$1\" = --schema ]; then echo '{json.dumps(schema)}'; exit 0; fi\n"
        f'touch "{tmp_path}/mark" 2>/dev/null\n'
        'echo "Sunny in $(echo "$2" | jq -r .city)"\n'
    )
    path.chmod(0o755)
    return path


def test_shell_tool_runs_in_the_tool_loop_and_is_remembered(
    polly: Polly, provider: FakeProvider, weather: Path
) -> None:
    call = ("call_1", "weather__get_weather", '{"city": "Paris"}')
    provider.reply(tool_call_reply(call), text_reply("It is sunny."), text_reply("Again."))
    result = polly.run_tty("-c", "w", "-t", str(weather), "-p", "Weather in Paris?")
    assert result.code == 0, result.stderr
    assert result.stdout == "It is sunny.\n"
    assert '→ weather__get_weather {"city": "Paris"}' in result.stderr
    assert "✓" in result.stderr and "weather__get_weather" in result.stderr
    assert provider.requests[0]["tools"][0]["function"]["name"] == "weather__get_weather"
    tool_message = provider.requests[1]["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["content"] == "Sunny in Paris"
    assert not (weather.parent / "mark").exists()  # sandboxed: its writes stayed inside

    again = polly.run("-c", "w", "-p", "And now?")  # no -t: the context's tools come back
    assert again.code == 0, again.stderr
    assert _tool_names(provider.last) == ["weather__get_weather"]


def test_nosandbox_runs_the_tool_on_the_host(
    polly: Polly, provider: FakeProvider, weather: Path
) -> None:
    call = ("call_1", "weather__get_weather", '{"city": "Oslo"}')
    provider.reply(tool_call_reply(call), text_reply("Cold."))
    result = polly.run("-t", str(weather), "--nosandbox", "-p", "Oslo?")
    assert result.code == 0, result.stderr
    assert (weather.parent / "mark").exists()


def test_mcp_server_runs_in_the_tool_loop(
    polly: Polly, provider: FakeProvider, tmp_path: Path
) -> None:
    server = shutil.which("mcp-server-time", path=str(Path(sys.executable).parent))
    require(server, "mcp-server-time (pip install -e '.[dev]') is the MCP server used")
    config = tmp_path / "servers.json"
    config.write_text(json.dumps({"mcpServers": {
        "time": {"command": server, "args": ["--local-timezone", "UTC"]},
        "unused": {"command": "/nonexistent/server"},
    }}))  # fmt: skip
    call = ("call_1", "time__get_current_time", '{"timezone": "Europe/Paris"}')
    provider.reply(tool_call_reply(call), text_reply("It is late."), text_reply("Listed."))
    result = polly.run("-t", f"{config}#time", "-p", "What time is it in Paris?")
    assert result.code == 0, result.stderr
    assert "time__get_current_time" in _tool_names(provider.requests[0])
    answer = json.loads(provider.requests[1]["messages"][-1]["content"])
    assert answer["timezone"] == "Europe/Paris"

    by_command = polly.run("--mcp", f"{server} --local-timezone UTC", "-p", "Tools?")
    assert by_command.code == 0, by_command.stderr
    assert any(name.endswith("__convert_time") for name in _tool_names(provider.last))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("missing.sh", "missing.sh"),
        ("missing.json", "missing.json"),
    ],
)
def test_tools_that_cannot_be_loaded(polly: Polly, tmp_path: Path, spec: str, message: str) -> None:
    result = polly.run("-t", str(tmp_path / spec), "-p", "x")
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_skills_are_offered_activated_and_listed(
    polly: Polly, provider: FakeProvider, tmp_path: Path
) -> None:
    skills = tmp_path / "skills"
    for name, text in [("pdf-tools", "Work with PDF files."), ("haiku", "Write haiku.")]:
        (skills / name).mkdir(parents=True)
        (skills / name / "SKILL.md").write_text(
            f"---\nname: {name}\ndescription: {text}\n---\nDo it well.\n"
        )
    listed = polly.run("--listskills", "--skilldir", str(skills))
    assert listed.code == 0
    assert (
        "haiku: Write haiku." in listed.stdout
        and "pdf-tools: Work with PDF files." in listed.stdout
    )

    provider.reply(text_reply("ok"), text_reply("ok"))
    result = polly.run("-S", str(skills / "haiku"), "--skilldir", str(skills), "-p", "Poem?")
    assert result.code == 0, result.stderr
    system = provider.last["messages"][0]["content"]
    assert "pdf-tools" in system and "haiku" in system
    assert "activate_skill" in _tool_names(provider.last)

    none = polly.run("--noskills", "--skilldir", str(skills), "-p", "Poem?")
    assert none.code == 0
    assert provider.last["messages"][0]["role"] == "user" and "tools" not in provider.last

    remote = polly.run("-S", "https://example.com/skill.git", "-p", "x")
    assert remote.code == 2 and "clone or unpack it and pass its directory" in remote.stderr
