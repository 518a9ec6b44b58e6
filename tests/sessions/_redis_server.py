"""A throw-away ``redis-server`` on a free loopback port, for the tests and the benchmark.

It keeps nothing on disk (no snapshots, no append-only file; its directory is temporary) and
publishes key-expiry events (``notify-keyspace-events Ex``) so tests can await an expiry.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["MISSING", "redis_server"]

MISSING = "redis-server is not installed (Debian package redis-server; .ci/run installs it)"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def redis_server() -> Iterator[str]:
    """Start ``redis-server``, yield its ``redis://`` URL once it accepts connections, and
    stop it afterwards. Raises ``FileNotFoundError`` (with :data:`MISSING`) without it."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError(MISSING)
    with tempfile.TemporaryDirectory(prefix="pollytool-redis-") as directory:
        for _ in range(3):  # another program may take the free port before redis does
            port = _free_port()
            command = [
                binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", directory,
                "--save", "", "--appendonly", "no", "--notify-keyspace-events", "Ex",
                "--daemonize", "no", "--loglevel", "notice",
            ]  # fmt: skip
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            assert process.stdout is not None
            log: list[bytes] = []
            for line in process.stdout:  # until it says it is ready, or exits
                log.append(line)
                if b"Ready to accept connections" in line:
                    break
            else:
                process.wait()
                continue
            try:
                yield f"redis://127.0.0.1:{port}/0"
            finally:
                process.terminate()
                process.communicate(timeout=30)
            return
        raise RuntimeError("redis-server did not start:\n" + b"".join(log).decode(errors="replace"))
