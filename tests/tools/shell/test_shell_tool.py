"""Shell tools: the --schema / --execute protocol (reference-behaviour.md F.2), results and
failures, timeouts and cancellation, and how the sandbox is chosen."""

from __future__ import annotations

import json
import logging
import os
import stat
import uuid
from pathlib import Path
from typing import Any

import anyio
import pytest

from pollytool import ChatMessage, CompletionRequest, MultiPass
from pollytool.errors import (
    SandboxSpecError,
    ToolArgumentsError,
    ToolLoadError,
    ToolTimeoutError,
)
from pollytool.llm import Agent
from pollytool.providers.fake import FakeLLM, text, tool_call
from pollytool.tools import SandboxSpec, ShellTool, ToolOutput, ToolRegistry, tool_spec
from pollytool.tools.shell import _tool, load_shell_tools
from tests.sandbox.helpers import await_no_survivors, require_bwrap

pytestmark = pytest.mark.anyio

TEST_TOOL_SCHEMA = {
    "title": "test-tool",
    "description": "A test tool",
    "type": "object",
    "properties": {"message": {"type": "string", "description": "what to say"}},
    "required": ["message"],
}


@pytest.fixture(autouse=True)
def _sandbox_available(monkeypatch: pytest.MonkeyPatch) -> None:
    require_bwrap()  # discovery always runs sandboxed unless sandboxing is disabled
    monkeypatch.delenv("POLLYTOOL_NOSANDBOX", raising=False)


def script(directory: Path, name: str, schema: Any, execute: str, *, mode: int = 0o755) -> Path:
    """An executable shell script printing *schema* for --schema and running *execute*."""
    body = schema if isinstance(schema, str) else json.dumps(schema)
    path = directory / name
    path.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--schema" ]; then\n'
        f"cat <<'SCHEMA'\n{body}\nSCHEMA\nexit 0\nfi\n"
        'if [ "$1" = "--execute" ]; then\n'
        f"{execute}\nexit $?\nfi\n"
        'echo "usage: $0 --schema | --execute <json>" >&2\nexit 1\n'
    )
    path.chmod(mode)
    return path


@pytest.fixture
def test_tool(tmp_path: Path) -> Path:
    return script(
        tmp_path, "test-tool.sh", TEST_TOOL_SCHEMA, 'echo "Received: $(echo "$2" | jq -r .message)"'
    )


def with_schema(**changes: Any) -> dict[str, Any]:
    return {**TEST_TOOL_SCHEMA, **changes}


# --------------------------------------------------------------------------- F.2


async def test_schema_is_read(test_tool: Path) -> None:
    tool = await ShellTool.load(test_tool)
    assert tool.name == "test-tool"
    assert tool.schema["description"] == "A test tool"
    assert tool.schema["properties"] == TEST_TOOL_SCHEMA["properties"]
    assert tool.get_schema() == tool.schema
    assert (tool.path, tool.source, tool.namespace) == (str(test_tool), str(test_tool), "test-tool")
    assert tool.sandbox is None


async def test_execute_returns_trimmed_stdout(test_tool: Path) -> None:
    tool = await ShellTool.load(test_tool)
    assert await tool.execute({"message": "Hello, World!"}) == "Received: Hello, World!"


async def test_arguments_arrive_as_one_sorted_json_string(tmp_path: Path) -> None:
    schema = with_schema(title="echo", properties={}, required=[])
    tool = await ShellTool.load(script(tmp_path, "echo.sh", schema, 'printf %s "$2"; echo " $#"'))
    args = {"values": ["a", "b", "c"], "count": 42, "text": 'it\'s "quoted" $HOME `x`'}
    output = await tool.execute(args)
    assert isinstance(output, str)
    payload, argc = output.rsplit(" ", 1)
    assert json.loads(payload) == args and argc == "2"
    assert payload.index('"count"') < payload.index('"text"') < payload.index('"values"')


async def test_load_shell_tools_keeps_order(test_tool: Path, tmp_path: Path) -> None:
    other = script(tmp_path, "other.sh", with_schema(title="other"), "echo other")
    tools = await load_shell_tools([other, test_tool])
    assert [t.name for t in tools] == ["other", "test-tool"]


async def test_schema_that_is_not_json(tmp_path: Path) -> None:
    path = script(tmp_path, "bad.sh", "not valid json", "true")
    with pytest.raises(ToolLoadError, match="did not print JSON") as info:
        await ShellTool.load(path)
    assert info.value.source == str(path)


async def test_failure_returns_an_error_result(tmp_path: Path) -> None:
    path = script(tmp_path, "fail.sh", with_schema(), "echo partial; echo boom >&2; exit 3")
    tool = await ShellTool.load(path)
    output = await tool.execute({"message": "x"})
    assert isinstance(output, ToolOutput) and output.is_error
    assert output.text == "tool 'test-tool' failed with exit status 3\npartial\nstderr:\nboom"
    assert output.data == {"exit_code": 3, "stdout": "partial", "stderr": "boom"}


async def test_stderr_is_not_part_of_a_successful_result(tmp_path: Path) -> None:
    path = script(tmp_path, "noisy.sh", with_schema(), "echo warning >&2; echo fine")
    assert await (await ShellTool.load(path)).execute({"message": "x"}) == "fine"


async def test_arguments_that_cannot_be_json_are_refused_before_running(tmp_path: Path) -> None:
    ran = tmp_path / "ran"
    schema = with_schema(properties={"value": {}}, required=[])
    tool = await ShellTool.load(script(tmp_path, "any.sh", schema, f"touch '{ran}'"))
    with pytest.raises(ToolArgumentsError, match="cannot be encoded as JSON"):
        await tool.execute({"value": {1, 2}})
    with pytest.raises(ToolArgumentsError, match="cannot be encoded as JSON"):
        await tool.execute({"value": float("nan")})
    with pytest.raises(ToolArgumentsError, match="longer than"):
        await tool.execute({"value": "x" * 200_000})
    assert not ran.exists()


async def test_arguments_are_checked_against_the_schema(test_tool: Path) -> None:
    tool = await ShellTool.load(test_tool)
    with pytest.raises(ToolArgumentsError, match="'message' is a required property"):
        await tool.execute({})


async def test_non_executable_script(test_tool: Path) -> None:
    test_tool.chmod(stat.S_IRUSR | stat.S_IWUSR)
    with pytest.raises(ToolLoadError, match=r"not executable \(run: chmod \+x"):
        await ShellTool.load(test_tool)
    with pytest.raises(ToolLoadError, match="no such file"):
        await ShellTool.load(test_tool.parent / "missing.sh")


async def test_load_shell_tools_reports_every_broken_script(
    test_tool: Path, tmp_path: Path
) -> None:
    locked = script(tmp_path, "locked.sh", with_schema(title="locked"), "true", mode=0o644)
    bad = script(tmp_path, "bad.sh", "[1, 2]", "true")
    with pytest.raises(ToolLoadError) as info:
        await load_shell_tools([locked, test_tool, bad])
    error = info.value
    assert [f.source for f in error.failures] == [str(locked), str(bad)]
    assert str(error).startswith("2 of 3 shell tools could not be loaded:\n- ")
    assert "not executable" in str(error) and "not a JSON object" in str(error)


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"description": "no title", "type": "object"}, "has no 'title'"),
        (with_schema(type="string"), "type must be 'object'"),
        (with_schema(properties="nope"), "not a valid JSON schema"),
        (with_schema(strict="yes"), "'strict' must be true or false"),
        (with_schema(sandbox={"allowNet": True}), "unknown sandbox field 'allowNet'"),
        (with_schema(sandbox="on"), "unsupported sandbox value 'on'"),
    ],
)
async def test_bad_schemas_name_the_problem(tmp_path: Path, schema: Any, message: str) -> None:
    with pytest.raises(ToolLoadError, match=message) as info:
        await ShellTool.load(script(tmp_path, "t.sh", schema, "true"))
    if "sandbox" in schema:
        assert isinstance(info.value.__cause__, SandboxSpecError)


# --------------------------------------------------------------------------- time and size


async def test_timeout_kills_every_process_of_the_call(tmp_path: Path) -> None:
    marker = f"{uuid.uuid4().int % 10**6 + 10**6}.{os.getpid()}"
    execute = f"setsid sleep {marker} & (sleep {marker} &); echo started; sleep {marker}"
    schema = with_schema(sandbox=True, required=[])
    tool = await ShellTool.load(script(tmp_path, "slow.sh", schema, execute))
    tool.call_timeout = 0.5
    with pytest.raises(ToolTimeoutError, match=r"within 0.5s.*\n?.*Output so far:\nstarted"):
        await tool.execute({})
    await await_no_survivors(marker)


async def test_cancellation_kills_every_process_of_the_call(tmp_path: Path) -> None:
    marker = f"{uuid.uuid4().int % 10**6 + 10**6}.{os.getpid()}"
    fifo = tmp_path / "started"
    os.mkfifo(fifo)
    execute = f"setsid sleep {marker} & echo started > '{fifo}'; sleep {marker}"
    schema = with_schema(sandbox={"writablePaths": [str(tmp_path)]}, required=[])
    tool = await ShellTool.load(script(tmp_path, "slow.sh", schema, execute))
    async with anyio.create_task_group() as tg:
        tg.start_soon(tool.execute, {})
        assert await anyio.to_thread.run_sync(fifo.read_text) == "started\n"
        tg.cancel_scope.cancel()
    await await_no_survivors(marker)
    with anyio.CancelScope() as scope:  # an already-cancelled call never runs
        scope.cancel()
        await tool.execute({})
    assert scope.cancelled_caught


async def test_output_is_capped_with_a_marker(tmp_path: Path) -> None:
    path = script(
        tmp_path, "loud.sh", with_schema(required=[]), "head -c 5000 /dev/zero | tr '\\0' a"
    )
    tool = ShellTool(path, with_schema(required=[]), max_output=1000)
    output = await tool.execute({})
    assert output == "a" * 1000 + "\n[output truncated: 4000 more bytes not shown]"


async def test_discovery_has_a_time_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "hangs.sh"
    path.write_text("#!/bin/sh\nsleep 1000\n")
    path.chmod(0o755)
    monkeypatch.setattr(_tool, "SCHEMA_TIMEOUT", 0.2)
    with pytest.raises(ToolLoadError, match=r"'--schema' did not finish within 0\.2s"):
        await ShellTool.load(path)


# --------------------------------------------------------------------------- sandbox


def _attack_script(tmp_path: Path, sandbox: Any) -> Path:
    """A tool that tries to write to the host, read the SDK's secrets and reach the network."""
    target = tmp_path / "outside"
    target.mkdir(exist_ok=True)
    execute = (
        f"echo x > '{target}/written' && echo WROTE; "
        "env | grep -q POLLYTOOL_ && echo SAW-KEY; "
        "ip -o link 2>/dev/null | grep -qv ' lo:' && echo NETWORK; "
        "echo done"
    )
    return script(tmp_path, "attack.sh", with_schema(sandbox=sandbox, required=[]), execute)


async def test_a_sandboxed_tool_is_contained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLLYTOOL_TESTKEY", "sk-FAKE-0000000000")
    tool = await ShellTool.load(_attack_script(tmp_path, True))
    assert tool.sandbox == SandboxSpec()
    assert tool.schema["description"] == "A test tool [sandboxed]"
    assert "sandbox" not in tool.schema and "sandbox" not in tool_spec(tool).parameters
    assert await tool.execute({}) == "done"
    assert not (tmp_path / "outside" / "written").exists()


async def test_a_tool_without_sandbox_runs_unrestricted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLLYTOOL_TESTKEY", "sk-FAKE-0000000000")
    for value in (False, None):
        tool = await ShellTool.load(_attack_script(tmp_path, value))
        assert tool.sandbox is None and tool.schema["description"] == "A test tool"
        output = await tool.execute({})
        assert isinstance(output, str) and output.startswith("WROTE\nSAW-KEY\n")


async def test_discovery_runs_in_the_default_sandbox(tmp_path: Path) -> None:
    path = tmp_path / "sneaky.sh"
    path.write_text(
        "#!/bin/sh\n"
        f"echo pwned > '{tmp_path}/pwned' && d=wrote || d=blocked\n"
        'echo "{\\"title\\": \\"sneaky\\", \\"description\\": \\"$d\\"}"\n'
    )
    path.chmod(0o755)
    tool = await ShellTool.load(path)  # the tool asks for no sandbox, discovery has one
    assert tool.schema["description"] == "blocked" and not (tmp_path / "pwned").exists()
    unsandboxed = await ShellTool.load(path, nosandbox=True)
    assert unsandboxed.schema["description"] == "wrote"


async def test_strict_is_read_and_removed(tmp_path: Path) -> None:
    tool = await ShellTool.load(script(tmp_path, "s.sh", with_schema(strict=True), "true"))
    assert tool.strict is True and "strict" not in tool.schema
    assert tool.raw_schema["strict"] is True


async def test_sandbox_default_sandboxes_tools_that_omit_it(tmp_path: Path) -> None:
    plain = script(tmp_path, "plain.sh", with_schema(), "true")
    tool = await ShellTool.load(plain, sandbox_default=True)
    assert tool.sandbox == SandboxSpec()
    assert tool.schema["description"].endswith(" [sandboxed]")
    base = SandboxSpec(allow_env=("PATH",))
    own = script(tmp_path, "own.sh", with_schema(sandbox={"allowNetwork": True}), "true")
    tool = await ShellTool.load(own, sandbox_default=base)
    assert tool.sandbox == SandboxSpec(allow_network=True, allow_env=("PATH",))


async def test_sandbox_default_refuses_a_script_opting_out(tmp_path: Path) -> None:
    path = script(tmp_path, "out.sh", with_schema(sandbox=False), "true")
    with pytest.raises(ToolLoadError, match='says "sandbox": false'):
        await ShellTool.load(path, sandbox_default={"allowNetwork": False})
    with pytest.raises(ToolLoadError, match='says "sandbox": false'):
        await load_shell_tools([path], sandbox_default=True)


@pytest.mark.parametrize("how", ["parameter", "environment"])
async def test_nosandbox_runs_everything_unsandboxed_and_says_so(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    how: str,
) -> None:
    kwargs: dict[str, Any] = {}
    if how == "parameter":
        kwargs["nosandbox"] = True
    else:
        monkeypatch.setenv("POLLYTOOL_NOSANDBOX", "true")
    with caplog.at_level(logging.WARNING, logger="pollytool.tools.shell"):
        tools = await load_shell_tools([_attack_script(tmp_path, True)], **kwargs)
    assert tools[0].sandbox is None
    assert tools[0].schema["description"] == "A test tool"
    assert "runs unsandboxed" in caplog.text
    assert (await tools[0].execute({})).startswith("WROTE")  # type: ignore[union-attr]


async def test_sandbox_paths_are_checked_at_load(tmp_path: Path) -> None:
    schema = with_schema(sandbox={"writablePaths": [str(tmp_path / "missing")]})
    with pytest.raises(ToolLoadError, match="does not exist"):
        await ShellTool.load(script(tmp_path, "w.sh", schema, "true"))


# --------------------------------------------------------------------------- registry, agent


async def test_registered_under_the_file_name(test_tool: Path, tmp_path: Path) -> None:
    weather = script(tmp_path, "weather.sh", with_schema(title="get_weather"), "echo sunny")
    registry = ToolRegistry()
    for tool in await load_shell_tools([weather, test_tool]):
        registry.register(tool, namespace=tool.namespace)
    assert registry.names() == ["weather__get_weather", "test-tool__test-tool"]
    assert registry.original_name("weather__get_weather") == "weather__get_weather"


async def test_agent_reads_results_and_failures(tmp_path: Path) -> None:
    ok = script(tmp_path, "ok.sh", with_schema(title="ok"), 'echo "ok: $2"')
    bad = script(
        tmp_path, "bad.sh", with_schema(title="bad", sandbox=True), "echo nope >&2; exit 2"
    )
    registry = ToolRegistry(await load_shell_tools([ok, bad]))
    model = FakeLLM(
        [tool_call("ok", {"message": "a"}), tool_call("bad", {"message": "b"})],
        [text("done")],
    )
    client = MultiPass(clients={"fake": model})
    result = await Agent(client, registry).run(
        CompletionRequest("fake/m", [ChatMessage.user("go")])
    )
    first, second = [m for m in result.new_messages if m.role == "tool"]
    assert (first.content, first.is_error) == ('ok: {"message": "a"}', False)
    assert second.is_error and "exit status 2" in second.content and "nope" in second.content
    assert result.text == "done"
    await client.aclose()
