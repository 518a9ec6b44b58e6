"""``sandboxed_command``: turn a command into one that runs inside the sandbox, and
``check_sandbox``: probe once that the backend works."""

from __future__ import annotations

import asyncio
import functools
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import anyio
import anyio.to_thread

from ...errors import SandboxSpecError, SandboxUnavailableError
from ._env import filter_environment
from ._linux import bwrap_command, find_bwrap, unavailable_hint
from ._macos import PROBE_PROFILE, find_sandbox_exec, seatbelt_command
from ._paths import credential_homes, plan_filesystem
from ._spec import SandboxSpec

__all__ = ["SandboxCommand", "check_sandbox", "sandboxed_command"]

#: Seconds the backend probe may take.
PROBE_TIMEOUT = 20.0
_TMP = "/tmp"


@dataclass(frozen=True, slots=True)
class SandboxCommand:
    """A command ready to start: pass ``argv``, ``env`` and ``cwd`` to
    :func:`anyio.open_process` (or :mod:`subprocess`) as they are. It needs no inherited
    file descriptors.

    Attributes:
        argv: the command line (the sandbox program first, the original command at the end).
        env: the environment for it, already filtered; pass it as the whole environment.
        cwd: the working directory.
        backend: ``"bwrap"``, ``"sandbox-exec"``, or ``"none"`` (no sandbox was asked for).
    """

    argv: list[str]
    env: dict[str, str]
    cwd: str
    backend: str


async def sandboxed_command(
    spec: SandboxSpec | None,
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    home: str | None = None,
) -> SandboxCommand:
    """The command that runs *argv* inside the sandbox *spec* describes.

    ::

        from pollytool.tools.sandbox import SandboxSpec, sandboxed_command

        spec = SandboxSpec.parse({"allowNetwork": True, "writablePaths": ["~/out"]})
        cmd = await sandboxed_command(spec, ["./server", "--stdio"], env=os.environ, cwd=".")
        process = await anyio.open_process(
            cmd.argv, env=cmd.env, cwd=cmd.cwd, start_new_session=True
        )
        # To stop it (timeout, cancellation): os.killpg(process.pid, signal.SIGKILL).
        # On Linux that ends every process of the tool, including setsid'd ones.

    Start the process from the task that called this function: on Linux the command is
    tailored to how the running event loop starts processes (see the Linux backend's notes
    on ``--die-with-parent``).

    Args:
        spec: what the process may do; ``None`` runs *argv* as it is, with *env* unfiltered.
        argv: the command; a program path inside a hidden directory (the private ``/tmp``)
            stays visible, read-only.
        env: the environment to filter (default: this process's).
        cwd: the working directory (default: the current one).
        home: the home directory whose credentials are hidden and against which ``~`` in the
            spec expands (default: ``$HOME`` of *env* and of this process, and the account's
            home; all of them are hidden).

    The first call probes the backend (see :func:`check_sandbox`). Raises
    :class:`~pollytool.errors.SandboxUnavailableError` when no backend works (nothing is
    ever run unsandboxed instead) and :class:`~pollytool.errors.SandboxSpecError` when a
    path of the spec cannot be used.
    """
    if not argv:
        raise ValueError("argv must name a program")
    backend = "none" if spec is None else await check_sandbox()
    build = functools.partial(
        _build,
        backend,
        spec,
        exec_bwrap=_spawns_from_loop_thread(),
        argv=list(argv),
        env=dict(os.environ if env is None else env),
        cwd=None if cwd is None else os.fspath(cwd),
        home=home,
    )
    return await anyio.to_thread.run_sync(build)


def _build(
    backend: str,
    spec: SandboxSpec | None,
    *,
    exec_bwrap: bool = False,
    argv: list[str],
    env: dict[str, str],
    cwd: str | None,
    home: str | None,
) -> SandboxCommand:
    cwd = os.path.abspath(cwd if cwd is not None else os.getcwd())
    if spec is None:
        return SandboxCommand(argv, env, cwd, backend)
    homes = credential_homes(env, home)
    plan = plan_filesystem(spec, homes)
    filtered = filter_environment(env, spec.allow_env)
    if backend == "bwrap":
        if "TMPDIR" in filtered:
            filtered["TMPDIR"] = _TMP  # the private /tmp is the only temp directory inside
        command = bwrap_command(find_bwrap(), spec, plan, argv, cwd, exec_bwrap=exec_bwrap)
        return SandboxCommand(command, filtered, cwd, backend)
    tmpdir = env.get("TMPDIR") or _TMP
    return SandboxCommand(
        seatbelt_command(find_sandbox_exec(), spec, plan, argv, tmpdir), filtered, cwd, backend
    )


def _spawns_from_loop_thread() -> bool:
    """Whether the running event loop starts processes from its own thread (asyncio does;
    trio uses worker threads)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


# Backend name per probed program path: probed once per process when it worked.
_working: dict[str, str] = {}


async def check_sandbox(spec: SandboxSpec | None = None, *, home: str | None = None) -> str:
    """Check that a sandbox backend works here and return its name (``"bwrap"`` on Linux,
    ``"sandbox-exec"`` on macOS). With *spec*, also check its paths (writable paths exist and
    do not lie inside a hidden credential path).

    The first successful check runs a trivial command in the default sandbox; its result is
    remembered for the life of the process. Raises
    :class:`~pollytool.errors.SandboxUnavailableError` with the reason and what to do (install
    bubblewrap, allow user namespaces, or disable sandboxing with
    ``POLLYTOOL_NOSANDBOX=true``), and :class:`~pollytool.errors.SandboxSpecError` for a spec
    that cannot be used.
    """
    if sys.platform.startswith("linux"):
        name, find = "bwrap", find_bwrap
    elif sys.platform == "darwin":
        name, find = "sandbox-exec", find_sandbox_exec
    else:
        raise SandboxUnavailableError(
            f"sandboxing is not supported on {sys.platform} (only Linux and macOS). To run "
            "tools without a sandbox instead, set POLLYTOOL_NOSANDBOX=true"
        )
    program = await anyio.to_thread.run_sync(find)
    if program not in _working:
        await _probe(name, program)
        _working[program] = name
    if spec is not None:
        homes = credential_homes(os.environ, home)
        await anyio.to_thread.run_sync(plan_filesystem, spec, homes)
    return name


async def _probe(name: str, program: str) -> None:
    if name == "bwrap":
        build = functools.partial(
            _build,
            name,
            SandboxSpec(),
            argv=["/bin/sh", "-c", "exit 0"],
            env=dict(os.environ),
            cwd="/",
            home=None,
        )
        argv = (await anyio.to_thread.run_sync(build)).argv
    else:
        argv = [program, "-p", PROBE_PROFILE, "/usr/bin/true"]
    try:
        with anyio.fail_after(PROBE_TIMEOUT):
            done = await anyio.run_process(argv, check=False, env={"PATH": "/usr/bin:/bin"})
    except TimeoutError:
        raise SandboxUnavailableError(
            f"{name} did not start a sandbox within {PROBE_TIMEOUT:g}s"
        ) from None
    except (OSError, SandboxSpecError) as exc:
        raise SandboxUnavailableError(f"{name} cannot be run: {exc}") from None
    if done.returncode != 0:
        stderr = done.stderr.decode(errors="replace").strip()
        hint = unavailable_hint(stderr) if name == "bwrap" else "sandbox-exec failed"
        raise SandboxUnavailableError(
            f"{hint} ({name} exited with status {done.returncode}: {stderr or 'no output'}). "
            "To run tools without a sandbox instead, set POLLYTOOL_NOSANDBOX=true"
        )
