"""The benchmark's loopback server, run in its own process so its CPU time is not counted.

``python -m benchmarks.server CHUNKS`` serves every synthetic stream of
:mod:`benchmarks.streams` with CHUNKS text deltas (``json`` instead of a number: the tiny
non-streamed replies) and prints the port on stdout; it runs until stdin closes.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import anyio

from benchmarks.streams import ROUTES, json_replies, replies
from tests.fakes.loopback import LoopbackServer


async def _serve(mode: str) -> None:
    chosen = json_replies() if mode == "json" else replies(int(mode))
    async with LoopbackServer() as server:
        for key, reply in chosen.items():
            path = ROUTES[f"{key}-json" if mode == "json" and f"{key}-json" in ROUTES else key]
            server.always("POST", path, reply)
        print(server.port, flush=True)
        await anyio.to_thread.run_sync(sys.stdin.read)


@contextmanager
def serve_in_subprocess(mode: int | str) -> Iterator[str]:
    """Start the server process (*mode*: chunks per stream, or ``"json"``); yield its base
    URL; stop it on exit."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.server", str(mode)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)


if __name__ == "__main__":
    anyio.run(_serve, sys.argv[1] if len(sys.argv) > 1 else "2000")
