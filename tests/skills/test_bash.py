"""The skills' bash tool: runs scripts in the skill's directory inside the sandbox, and runs
nothing when no sandbox backend works. The sandbox is attacked, not mocked."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import anyio
import pytest

from pollytool.events import ToolResultEvent
from pollytool.llm import Agent, CompletionRequest, FakeLLM
from pollytool.messages import ChatMessage
from pollytool.providers.fake import Step, tool_call
from pollytool.skills import Catalog, discover
from pollytool.tools import SkillRuntime, ToolRegistry
from pollytool.tools.sandbox import _linux
from tests.sandbox.helpers import require_bwrap
from tests.skills.conftest import CURATED

pytestmark = pytest.mark.anyio


@pytest.fixture
def catalog(library: Path) -> Catalog:
    return discover([library, CURATED])


def _bash(command: str, skill: str = "gh-ci-triage") -> Step:
    return tool_call("bash", {"skill": skill, "command": command})


async def _run(
    runtime_args: dict[str, Any], catalog: Catalog, *turns: Any
) -> list[ToolResultEvent]:
    """Activate gh-ci-triage, then play *turns*; the tool results after the activation."""
    registry = ToolRegistry()
    SkillRuntime(catalog, registry, **runtime_args)
    fake = FakeLLM([tool_call("activate_skill", {"name": "gh-ci-triage"})], *turns, "done")
    req = CompletionRequest("fake", [ChatMessage.user("CI is red")])
    stream = Agent(fake, registry).stream(req)
    results = [e async for e in stream if isinstance(e, ToolResultEvent)]
    assert stream.result is not None
    return results[1:]


async def test_activation_says_how_scripts_run(catalog: Catalog) -> None:
    require_bwrap()
    text = await SkillRuntime(catalog, ToolRegistry()).activate("gh-ci-triage")
    assert (
        "Scripts (run them with the bash tool, in the skill directory; the sandbox allows "
        "writes only to /tmp and no network):\n- scripts/summarize_log.py\n"
    ) in text


async def test_runs_a_skill_script_in_the_skill_directory(catalog: Catalog) -> None:
    require_bwrap()
    [result] = await _run(
        {}, catalog, [_bash("python3 scripts/summarize_log.py references/sample.log")]
    )
    assert not result.is_error, result.result
    assert json.loads(result.result) == {
        "failing_step": "python -m pytest",
        "errors": [
            "tests/test_io.py::test_read FAILED",
            "error: 1 failed, 11 passed",
        ],
    }


async def test_the_sandbox_holds(
    catalog: Catalog, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_bwrap()
    monkeypatch.setenv("POLLYTOOL_OPENAIKEY", "sk-test-not-for-tools")
    # a writable directory outside /tmp (the sandbox hides the host's /tmp altogether, and the
    # checkout itself may live there)
    outside_tmp = Path(tempfile.mkdtemp(dir="/var/tmp"))
    request.addfinalizer(lambda: shutil.rmtree(outside_tmp))
    target = outside_tmp / "leak.txt"
    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        results = await _run(
            {},
            catalog,
            [
                _bash("touch scripts/new.py"),  # the skill directory is read-only
                _bash(f"echo leaked > {target}"),  # so is everything else
                _bash("echo scratch > /tmp/x && cat /tmp/x"),  # a private /tmp is writable
                _bash(f"echo hi > /dev/tcp/127.0.0.1/{port}"),  # no network, not even loopback
                _bash('echo "key=${POLLYTOOL_OPENAIKEY:-hidden}"'),  # secrets are not passed
            ],
        )
    touch, outside, scratch, network, secret = results
    assert touch.is_error and "Read-only file system" in touch.result
    assert outside.is_error and "Read-only file system" in outside.result
    assert not target.exists()
    assert (scratch.is_error, scratch.result) == (False, "scratch")
    assert network.is_error and "exit status 1" in network.result
    assert (secret.is_error, secret.result) == (False, "key=hidden")


async def test_results_errors_and_refusals(catalog: Catalog) -> None:
    require_bwrap()
    results = await _run(
        {},
        catalog,
        [
            _bash("echo out; echo err >&2; exit 3"),
            _bash("ls", skill="brand-voice"),  # not activated
            _bash("pwd"),
        ],
    )
    failed, inactive, pwd = results
    assert failed.is_error
    assert failed.result == "exit status 3\nout\n[stderr]\nerr"
    assert inactive.is_error
    assert inactive.result == "skill 'brand-voice' is not active; call activate_skill first"
    assert pwd.result == str(catalog["gh-ci-triage"].root)


async def test_a_command_past_its_time_is_killed(catalog: Catalog) -> None:
    require_bwrap()
    [result] = await _run({"bash_timeout": 0.5}, catalog, [_bash("sleep 60")])
    assert result.is_error
    assert "did not finish within 0.5s; it was killed" in result.result


async def test_no_sandbox_backend_means_nothing_runs(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_linux, "BWRAP_LOCATIONS", (str(tmp_path / "no-bwrap"),))
    monkeypatch.delenv("POLLYTOOL_NOSANDBOX", raising=False)
    marker = tmp_path / "ran"
    registry = ToolRegistry()
    runtime = SkillRuntime(catalog, registry)
    activation = await runtime.activate("gh-ci-triage")
    assert "Scripts (they cannot be run here: the sandbox needs bubblewrap" in activation
    fake = FakeLLM([_bash(f"touch {marker}")], "done")
    stream = Agent(fake, registry).stream(CompletionRequest("fake", [ChatMessage.user("Go")]))
    [result] = [e async for e in stream if isinstance(e, ToolResultEvent)]
    assert result.is_error
    assert "the sandbox needs bubblewrap, which is not installed" in result.result
    assert not marker.exists()


async def test_an_explicit_opt_out_runs_unsandboxed(catalog: Catalog, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    runtime = SkillRuntime(catalog, ToolRegistry(), nosandbox=True)
    assert runtime.bash_sandbox is None
    assert "in the skill directory; not sandboxed" in await runtime.activate("gh-ci-triage")
    bash = runtime.tools[2]
    assert await bash.execute({"skill": "gh-ci-triage", "command": f"touch {marker}"}) == ""
    assert marker.exists()
