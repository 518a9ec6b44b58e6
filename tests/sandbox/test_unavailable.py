"""Fail closed: without a working backend a sandbox request raises, it never runs the command
unsandboxed."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import anyio
import pytest

from pollytool.errors import SandboxSpecError, SandboxUnavailableError
from pollytool.tools.sandbox import SandboxSpec, _command, _linux, check_sandbox, sandboxed_command
from tests.sandbox.helpers import require, require_bwrap

pytestmark = pytest.mark.anyio
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _linux_with_bwrap() -> None:
    require_bwrap()


async def test_missing_bwrap(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(_linux, "BWRAP_LOCATIONS", (str(tmp_path / "bwrap"),))
    with pytest.raises(SandboxUnavailableError, match=r"bubblewrap.*not installed") as info:
        await check_sandbox()
    assert "POLLYTOOL_NOSANDBOX=true" in str(info.value)
    with pytest.raises(SandboxUnavailableError):
        await sandboxed_command(SandboxSpec(), ["/bin/true"])
    plain = await sandboxed_command(None, ["/bin/true"], env={"A": "1"}, cwd="/")
    assert (plain.argv, plain.env, plain.cwd, plain.backend) == (
        ["/bin/true"],
        {"A": "1"},
        "/",
        "none",
    )


async def test_bwrap_others_could_replace_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    shutil.copy2(_linux.find_bwrap(), shared / "bwrap")
    monkeypatch.setattr(_linux, "BWRAP_LOCATIONS", (str(shared / "bwrap"),))
    with pytest.raises(SandboxUnavailableError, match=r"cannot be trusted.*writable by other"):
        await check_sandbox()


async def test_blocked_user_namespaces_give_a_clear_error() -> None:
    # Inside a sandbox new user namespaces are forbidden (as Docker's default profile and
    # Ubuntu's AppArmor rule do), so a probe from in there must fail and say why.
    require(not str(Path(sys.executable).resolve()).startswith("/tmp/"), "python under /tmp")
    script = (
        "import anyio\n"
        "from pollytool.errors import SandboxUnavailableError\n"
        "from pollytool.tools.sandbox import check_sandbox\n"
        "try:\n"
        "    anyio.run(check_sandbox)\n"
        "except SandboxUnavailableError as exc:\n"
        "    print(exc)\n"
        "    raise SystemExit(3)\n"
    )
    cmd = await sandboxed_command(SandboxSpec(), [sys.executable, "-c", script], cwd=REPO)
    done = await anyio.run_process(cmd.argv, env=cmd.env, cwd=cmd.cwd, check=False)
    assert done.returncode == 3, done.stderr.decode()
    message = done.stdout.decode()
    assert "user namespaces are blocked" in message
    assert "No permissions to create new namespace" in message
    assert "POLLYTOOL_NOSANDBOX=true" in message


async def test_probe_result_is_remembered() -> None:
    assert await check_sandbox() == "bwrap"
    assert _command._working[_linux.find_bwrap()] == "bwrap"


async def test_spec_paths_are_checked(tmp_path: Path) -> None:
    with pytest.raises(SandboxSpecError, match="does not exist"):
        await check_sandbox(SandboxSpec(writable_paths=(str(tmp_path / "missing"),)))
    assert await check_sandbox(SandboxSpec(writable_paths=(str(tmp_path),))) == "bwrap"


async def test_unsupported_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_command.sys, "platform", "win32")
    with pytest.raises(SandboxUnavailableError, match="not supported on win32"):
        await check_sandbox()
