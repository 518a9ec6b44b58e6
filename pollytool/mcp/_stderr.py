"""A stdio server's standard error, sent to :mod:`logging` instead of the user's terminal.

The server writes into a pipe; a task reads it without blocking the event loop and logs each
line on the ``pollytool.mcp.server`` logger (level INFO, the server's name in the message and
in ``record.mcp_server``). The last lines are kept so that a server that fails to start can be
explained ("npm error 404 ...").
"""

from __future__ import annotations

import logging
import os
from collections import deque
from typing import TextIO

import anyio

from ..errors import redact

__all__ = ["StderrLog", "server_logger"]

#: The logger server stderr and server log notifications go to.
server_logger = logging.getLogger("pollytool.mcp.server")

_TAIL_LINES = 20
_MAX_LINE = 4000
_READ_SIZE = 65536


class StderrLog:
    """A pipe whose write end a child process gets as its stderr; :meth:`pump` logs what
    arrives until every writer has closed it."""

    def __init__(self, server: str) -> None:
        self.server = server
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        self._read_fd: int | None = read_fd
        #: The write end, to pass to the child; close it with :meth:`close_writer` once the
        #: child has been started so the pump sees end-of-file when the child exits.
        self.writer: TextIO = os.fdopen(write_fd, "w", encoding="utf-8")
        self._tail: deque[str] = deque(maxlen=_TAIL_LINES)
        self._partial = b""
        self._finished = anyio.Event()

    def close_writer(self) -> None:
        """Close this process's copy of the write end (idempotent)."""
        self.writer.close()

    def tail(self) -> str:
        """The last lines written, secrets redacted."""
        lines = [*self._tail]
        if self._partial:
            lines.append(self._decode(self._partial))
        return redact("\n".join(lines))

    async def wait_finished(self) -> None:
        """Wait until the pump has read everything (all writers closed)."""
        await self._finished.wait()

    async def pump(self) -> None:
        """Read and log lines until end-of-file; closes the read end when done or cancelled."""
        fd = self._read_fd
        assert fd is not None
        try:
            while True:
                await anyio.wait_readable(fd)
                try:
                    chunk = os.read(fd, _READ_SIZE)
                except BlockingIOError:
                    continue
                if not chunk:
                    break
                self._feed(chunk)
            if self._partial:
                self._emit(self._partial)
                self._partial = b""
        finally:
            self._read_fd = None
            os.close(fd)
            self.writer.close()
            self._finished.set()

    def _feed(self, chunk: bytes) -> None:
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        for line in lines:
            self._emit(line)
        if len(self._partial) > _MAX_LINE:
            self._emit(self._partial)
            self._partial = b""

    def _emit(self, raw: bytes) -> None:
        line = self._decode(raw).rstrip("\r")
        if not line.strip():
            return
        self._tail.append(line)
        server_logger.info("[%s] %s", self.server, redact(line), extra={"mcp_server": self.server})

    @staticmethod
    def _decode(raw: bytes) -> str:
        return raw[:_MAX_LINE].decode("utf-8", errors="replace")
