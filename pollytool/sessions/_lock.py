"""A short advisory lock (``fcntl.flock``) on a session's lock file, held for one operation.

Blocking: call it from a worker thread. The lock file may be deleted while held (when the
session is deleted); a waiter that then gets the lock notices that the file it locked is no
longer the one at the path, and tries again on the new one.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

__all__ = ["FileLock"]


class FileLock:
    """``with FileLock(path, exclusive=True): ...`` — shared for readers, exclusive for
    writers. Closing the descriptor releases the lock, also when the process dies."""

    def __init__(self, path: Path, *, exclusive: bool) -> None:
        self._path = path
        self._operation = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        self._fd: int | None = None

    def __enter__(self) -> FileLock:
        while True:
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, self._operation)
                if self._is_current(fd):
                    self._fd = fd
                    return self
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)

    def _is_current(self, fd: int) -> bool:
        held = os.fstat(fd)
        try:
            now = os.stat(self._path)
        except FileNotFoundError:
            return False
        return (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino)

    def unlink(self) -> None:
        """Remove the lock file while holding it (the session is being deleted)."""
        self._path.unlink(missing_ok=True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
