"""Fixtures for the MCP tests: the real third-party servers, and process inspection.

The npm servers are installed from ``tests/mcp/servers/package-lock.json`` (``.ci/run`` does
``npm ci`` there); ``mcp-server-time`` comes from PyPI with the dev extra. A missing server
skips its tests on a developer machine and fails them when ``CI=true``.

Every MCP test module runs on asyncio and trio with a module-scoped backend, so that a real
server is started once per module and backend, not once per test.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import anyio.abc
import anyio.streams.buffered
import httpx2
import pytest

from tests import needs

SERVERS = Path(__file__).parent / "servers"
NPM_BIN = SERVERS / "node_modules" / ".bin"
INSTALL_NPM = f"npm ci --no-audit --no-fund --prefix {SERVERS}"


@pytest.fixture(scope="module", params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    return backend


def require(executable: str | None, what: str, how: str) -> str:
    """*executable* when it exists; otherwise skip (fail under ``CI=true``) saying *how* to
    install *what*."""
    found = bool(executable) and Path(str(executable)).exists()
    needs.require(found, f"{what} is not installed; install it with: {how}")
    return str(executable)


def npm_server(name: str) -> str:
    require(shutil.which("node"), "node", "apt-get install nodejs npm")
    return require(str(NPM_BIN / name), f"the npm package providing {name}", INSTALL_NPM)


@pytest.fixture(scope="session")
def everything_bin() -> str:
    """``@modelcontextprotocol/server-everything``."""
    return npm_server("mcp-server-everything")


@pytest.fixture(scope="session")
def filesystem_bin() -> str:
    """``@modelcontextprotocol/server-filesystem``."""
    return npm_server("mcp-server-filesystem")


@pytest.fixture(scope="session")
def time_bin() -> str:
    """``mcp-server-time`` from PyPI (in this interpreter's environment)."""
    found = shutil.which("mcp-server-time", path=str(Path(sys.executable).parent))
    return require(found, "mcp-server-time", "pip install -e '.[dev]'")


# --------------------------------------------------------------------------- processes


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, session id) of a live process, or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1]), int(fields[3])


def _live_processes() -> dict[int, tuple[int, int]]:
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) and stat[0] != "Z":
            out[int(entry.name)] = (stat[1], stat[2])
    return out


def descendants() -> set[int]:
    """Live (not zombie) processes descending from this test process."""
    processes = _live_processes()
    found: set[int] = set()
    frontier = {os.getpid()}
    while frontier:
        frontier = {pid for pid, (ppid, _) in processes.items() if ppid in frontier} - found
        found |= frontier
    return found


def in_sessions(sessions: set[int]) -> set[int]:
    """Live processes in the given sessions: a stdio server starts its own session, so this
    finds its children too, even after they were re-parented."""
    return {pid for pid, (_, sid) in _live_processes().items() if sid in sessions}


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def server_sessions(before: set[int]) -> set[int]:
    """Session ids of the processes started since *before* (a set of descendants)."""
    sessions = set()
    for pid in descendants() - before:
        if (stat := _stat(pid)) is not None:
            sessions.add(stat[2])
    return sessions - {os.getsid(0)}


# --------------------------------------------------------------------------- HTTP servers


def uds_client_factory(socket: str) -> object:
    """An ``http_client_factory`` connecting over the Unix socket *socket*."""

    def factory(
        headers: dict[str, str] | None = None,
        timeout: httpx2.Timeout | None = None,
        auth: httpx2.Auth | None = None,
    ) -> httpx2.AsyncClient:
        transport = httpx2.AsyncHTTPTransport(uds=socket)
        return httpx2.AsyncClient(headers=headers, timeout=timeout, auth=auth, transport=transport)

    return factory


async def _drain(stream: anyio.streams.buffered.BufferedByteReceiveStream) -> None:
    with contextlib.suppress(anyio.EndOfStream, anyio.IncompleteRead):
        while True:
            await stream.receive()


@asynccontextmanager
async def everything_http(everything_bin: str, mode: str, socket: str) -> AsyncIterator[None]:
    """Run server-everything in *mode* (``streamableHttp`` or ``sse``) listening on the Unix
    socket *socket* (its ``PORT`` may be a socket path) while the block runs. A Unix socket
    keeps the test server off the network and free of port races."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/"), "PORT": socket}
    process = await anyio.open_process(
        [everything_bin, mode], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    async with process:
        stderr = anyio.streams.buffered.BufferedByteReceiveStream(process.stderr)
        with anyio.fail_after(30):
            while b"port " + socket.encode() not in await stderr.receive_until(b"\n", 65536):
                pass
        async with anyio.create_task_group() as tg:
            tg.start_soon(_drain, stderr)  # ends at end-of-file, when the server exits
            try:
                yield
            finally:
                process.terminate()


@pytest.fixture
def mcp_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Captured records of the ``pollytool.mcp`` loggers (INFO and up)."""
    with caplog.at_level("INFO", logger="pollytool.mcp"):
        yield caplog
