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
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import anyio.abc
import anyio.streams.buffered
import httpcore2
import httpx2
import pytest
from httpcore2._backends.anyio import AnyIOStream

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


class _UnixSocketBackend(httpcore2.AnyIOBackend):
    """httpcore2's anyio backend, with a Unix socket wrapped as anyio's generic socket stream
    (on asyncio: an asyncio transport) instead of its ``UNIXSocketStream``.

    Why: on asyncio, anyio's ``UNIXSocketStream`` (anyio 4.16.0, and its main branch at
    660a06d, 2026-08-21) waits for a readable socket with ``loop.add_reader(sock, future.set_result,
    None)`` and removes that reader only in the future's done-callback, which runs one loop
    iteration later. A read cancelled in the iteration in which its socket became readable
    leaves the queued reader callback to call ``set_result`` on the cancelled future:
    ``InvalidStateError`` in an event-loop callback, which anyio's pytest runner turns into a
    failure of whatever test is running. The mcp SDK's Streamable HTTP client does exactly
    that when it closes: it ends the session (``DELETE``), the server then closes the
    ``GET`` event stream, and the SDK cancels the task reading that stream; on a loaded
    machine both land in one loop iteration (about one close in five under CPU load). An
    asyncio transport has no such race. The same mixin's ``aclose()`` side of the race was
    https://github.com/agronholm/anyio/issues/1267, fixed by
    https://github.com/agronholm/anyio/pull/1269 (in 4.16.0); the reader-callback side is
    not. ``test_the_unix_socket_client_survives_a_read_cancelled_as_data_arrives`` pins it."""

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            sock.connect(path)  # a Unix socket connects or fails at once, without blocking
        except OSError as exc:
            sock.close()
            raise httpcore2.ConnectError(exc) from exc
        return AnyIOStream(await anyio.abc.SocketStream.from_socket(sock))


def uds_client_factory(path: str) -> object:
    """An ``http_client_factory`` connecting over the Unix socket at *path* (through
    :class:`_UnixSocketBackend`, not ``httpx2.AsyncHTTPTransport(uds=path)``: see there)."""

    def factory(
        headers: dict[str, str] | None = None,
        timeout: httpx2.Timeout | None = None,
        auth: httpx2.Auth | None = None,
    ) -> httpx2.AsyncClient:
        transport = httpx2.AsyncHTTPTransport()
        # httpx2 takes no network backend; its transport drives this one pool
        transport._pool = httpcore2.AsyncConnectionPool(
            uds=path, network_backend=_UnixSocketBackend()
        )
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
