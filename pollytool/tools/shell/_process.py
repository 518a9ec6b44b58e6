"""Run a command to completion with a timeout and capped output, and never leave any of its
processes behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import anyio
from anyio.abc import ByteReceiveStream

__all__ = ["CommandResult", "run_command"]


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a command did.

    Attributes:
        returncode: its exit status (negative: killed by that signal); ``None`` when it was
            killed because it ran out of time.
        stdout: what it printed (decoded as UTF-8; past the cap, cut and marked).
        stderr: what it printed on standard error (same rules).
        timed_out: it ran past its timeout and was killed with everything it started.
    """

    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool


class _Capture:
    """Collects up to *limit* bytes of a stream and counts the rest (the stream is read to
    its end either way, so the command never blocks on a full pipe)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._chunks: list[bytes] = []
        self._kept = 0
        self._dropped = 0

    async def drain(self, stream: ByteReceiveStream | None) -> None:
        if stream is None:
            return
        async for chunk in stream:
            keep = max(0, min(len(chunk), self._limit - self._kept))
            if keep:
                self._chunks.append(chunk[:keep])
                self._kept += keep
            self._dropped += len(chunk) - keep

    def text(self) -> str:
        text = b"".join(self._chunks).decode(errors="replace")
        if self._dropped:
            text += f"\n[output truncated: {self._dropped} more bytes not shown]"
        return text


async def run_command(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    time_limit: float | None = None,
    max_output: int = 64 * 1024,
) -> CommandResult:
    """Run *argv* (no standard input) until it exits or *time_limit* seconds pass.

    The command runs in a new session. When it exits, times out, or the caller is cancelled,
    its whole process group is killed; a command from
    :func:`~pollytool.tools.sandbox.sandboxed_command` on Linux takes every process it
    started with it, ``setsid``'d ones included (without a sandbox those can escape).
    At most *max_output* bytes of each of stdout and stderr are kept.
    """
    out, err = _Capture(max_output), _Capture(max_output)
    process = await anyio.open_process(
        list(argv),
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )
    exited_in_time = False
    try:
        with anyio.move_on_after(time_limit):
            async with anyio.create_task_group() as tg:
                tg.start_soon(out.drain, process.stdout)
                tg.start_soon(err.drain, process.stderr)
                await process.wait()
                exited_in_time = True
                _kill_group(process.pid)  # what it left running in its group ends with it
    finally:
        with anyio.CancelScope(shield=True):
            _kill_group(process.pid)
            await process.wait()
            await process.aclose()
    if not exited_in_time:
        return CommandResult(None, out.text(), err.text(), timed_out=True)
    return CommandResult(process.returncode, out.text(), err.text(), timed_out=False)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
