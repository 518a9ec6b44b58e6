"""What the sandbox and shell-tool tests share: the CI rule for missing dependencies, and
awaiting the end of processes found by a marker."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path

import anyio

from tests.needs import require

BWRAP = "/usr/bin/bwrap"


def require_bwrap() -> None:
    require(sys.platform.startswith("linux"), "the sandbox tests need Linux")
    require(
        os.path.exists(BWRAP) and shutil.which("bwrap") is not None,
        "bubblewrap is not installed (apt-get install bubblewrap)",
    )


def processes_with(marker: str) -> list[int]:
    """Host pids whose command line contains *marker*."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if marker.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return found


async def await_no_survivors(marker: str, limit: float = 10.0) -> None:
    """Wait (on each process's pidfd, without polling) until no process with *marker* in its
    command line is left; fail if some are still there after *limit* seconds."""
    with anyio.fail_after(limit):
        while pids := await anyio.to_thread.run_sync(processes_with, marker):
            for pid in pids:
                try:
                    fd = os.pidfd_open(pid)
                except ProcessLookupError:
                    continue
                try:
                    await anyio.wait_readable(fd)
                finally:
                    os.close(fd)
