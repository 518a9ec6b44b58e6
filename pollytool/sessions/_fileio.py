"""Durable file operations for the file store (blocking; run them in a worker thread).

- :func:`atomic_write` writes a temporary file, fsyncs it and renames it over the target, so
  readers see the old or the new content, never a mix.
- :func:`append` adds bytes to the end of a JSON Lines log and fsyncs; it first cuts off a
  torn last line (one without its newline, left by a crash mid-append) so the log stays
  valid, unless the caller says that line is whole (then it only adds the newline).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

__all__ = ["append", "atomic_write", "ensure_dir", "fsync_dir", "read_bytes"]

_CHUNK = 1 << 16


def ensure_dir(path: Path) -> None:
    """Create *path* and any missing parents, each with mode 0o700."""
    missing: list[Path] = []
    for candidate in (path, *path.parents):
        if candidate.is_dir():
            break
        missing.append(candidate)
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:
            if not directory.is_dir():
                raise


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink inside *path* durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def atomic_write(path: Path, data: bytes) -> None:
    """Replace *path* with *data* (mode 0o600) in one atomic, durable step."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def _torn_tail_start(fd: int, size: int) -> int | None:
    """Offset just after the last newline if the file does not end with one, else None."""
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return None
    end = size
    while end > 0:
        start = max(0, end - _CHUNK)
        newline = os.pread(fd, end - start, start).rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        end = start
    return 0


def append(path: Path, data: bytes, *, keep_tail: Callable[[bytes], bool]) -> int:
    """Append *data* (whole lines) to the existing file *path* and fsync it.

    A last line without its newline is completed when ``keep_tail(line)`` says it is whole,
    and otherwise removed as torn; returns the length in bytes of what was removed (0 if
    nothing). The caller holds the session's exclusive lock. Raises ``FileNotFoundError``
    if *path* does not exist.
    """
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CLOEXEC)
    try:
        size = os.fstat(fd).st_size
        torn_start = _torn_tail_start(fd, size)
        if torn_start is not None and keep_tail(os.pread(fd, size - torn_start, torn_start)):
            data, torn_start = b"\n" + data, None
        if torn_start is not None:
            os.ftruncate(fd, torn_start)
        end = os.fstat(fd).st_size
        try:
            _write_all(fd, data)
            os.fsync(fd)
        except BaseException:
            os.ftruncate(fd, end)  # a failed write (disk full) leaves no partial line
            raise
    finally:
        os.close(fd)
    return 0 if torn_start is None else size - torn_start


def read_bytes(path: Path) -> tuple[bytes, float]:
    """The content of *path* and its modification time, read through one descriptor."""
    with path.open("rb") as file:
        return file.read(), os.fstat(file.fileno()).st_mtime
