"""The default store: sessions as files that survive crashes and concurrent writers.

Each session is two files in the store's directory:

- ``<name>.jsonl``: the history, one :meth:`~pollytool.messages.ChatMessage.to_json` per
  line. Adding a message appends one line and fsyncs, whatever the history's length.
  :meth:`~FileSession.clear` and :meth:`~FileSession.compact` write a new file and rename it
  over the old one. The file's modification time is the session's ``last_used``.
- ``<name>.meta.json``: the :class:`~pollytool.sessions.SessionMetadata`, replaced
  atomically on every change.

Every operation takes an advisory ``flock`` on ``.<name>.lock`` for just that operation
(shared to read, exclusive to write), so several processes can use one session at once
without losing, duplicating or half-reading a message. A torn last line left by a crash is
skipped with a :class:`~pollytool.sessions.SessionRecoveryWarning` and cut off by the next
write. A complete line that is not a valid message is skipped with that warning too, and
never deleted: :meth:`~FileSession.compact` and :meth:`~FileSession.clear` keep it verbatim.
A metadata file that cannot be read raises
:class:`~pollytool.errors.SessionCorruptError` naming it. The directory is created with mode
0o700, files with 0o600. All file work runs in worker threads; the event loop never blocks.

The log keeps everything: ``max_history_tokens`` trims what
:meth:`~FileSession.get_history` returns, not what is stored; :meth:`~FileSession.compact`
drops the rest for good when you want the space back.
"""

from __future__ import annotations

import builtins
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, TypeVarTuple

import anyio.to_thread

from ..errors import SessionCorruptError, SessionError, SessionNotFoundError
from ..messages import ChatMessage
from ._common import (
    Rewrite,
    SessionBase,
    StoreBase,
    StoredLog,
    decode,
    decode_log,
    encode,
    initial_history,
    is_expired,
    rewrite_log,
    utc,
    warn_recovered,
)
from ._fileio import append, atomic_write, ensure_dir, fsync_dir, read_bytes
from ._lock import FileLock
from ._names import validate_session_name
from .base import SessionMetadata

__all__ = ["DEFAULT_PATH", "FileSession", "FileSessionStore"]

#: Where :class:`FileSessionStore` keeps sessions unless told otherwise.
DEFAULT_PATH = "~/.pollytool/contexts"

_LOG_SUFFIX = ".jsonl"
_META_SUFFIX = ".meta.json"


_T = TypeVar("_T")
_Args = TypeVarTuple("_Args")


async def _in_thread(function: Callable[[*_Args], _T], *args: *_Args) -> _T:
    """Run blocking file work in a worker thread; an OS error becomes a
    :class:`~pollytool.errors.SessionError` (the message names the file)."""
    try:
        return await anyio.to_thread.run_sync(function, *args)
    except OSError as exc:
        raise SessionError(f"session storage failed: {exc}") from exc


def _log_bytes(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


def _is_message(line: bytes) -> bool:
    try:
        decode(line)
    except Exception:  # anything unreadable: a torn write
        return False
    return True


def _parse_log(path: Path, data: bytes) -> StoredLog:
    """The log in *data*. A last line without its newline is a message if it reads as one
    (a log edited by hand), else the torn end of an interrupted write: reported, left out,
    and cut off by the next write."""
    lines = data.split(b"\n")
    tail = lines.pop()  # empty when the log ends with a newline, as it should
    torn = bool(tail) and not _is_message(tail)
    if tail and not torn:
        lines.append(tail)
    log = decode_log(lines, lambda index: f"session log {path}, line {index + 1}")
    if torn:
        log.problems.append(
            f"session log {path}: the last line is incomplete ({len(tail)} bytes, left by an "
            "interrupted write); ignored, and removed by the next write"
        )
    return log


class _SessionFiles:
    """Blocking operations on one session's files; each takes the session lock itself."""

    def __init__(self, directory: Path, name: str) -> None:
        self.name = name
        self.directory = directory
        self.log = directory / f"{name}{_LOG_SUFFIX}"
        self.meta = directory / f"{name}{_META_SUFFIX}"
        self._lock = directory / f".{name}.lock"

    def lock(self, *, exclusive: bool) -> FileLock:
        return FileLock(self._lock, exclusive=exclusive)

    def _gone(self) -> SessionNotFoundError:
        return SessionNotFoundError(
            f"session {self.name!r} no longer exists in {self.directory} "
            "(it was deleted or expired)"
        )

    def _log_mtime(self) -> float:
        try:
            return self.log.stat().st_mtime
        except FileNotFoundError:
            raise self._gone() from None

    def _read_meta(self, log_mtime: float) -> SessionMetadata:
        try:
            raw = self.meta.read_bytes()
        except FileNotFoundError:
            raise SessionCorruptError(
                f"session metadata file {self.meta} is missing (its log {self.log} exists)"
            ) from None
        try:
            metadata = SessionMetadata.from_dict(json.loads(raw))
        except ValueError as exc:  # JSON, UTF-8 and field errors are all ValueErrors
            raise SessionCorruptError(
                f"session metadata file {self.meta} cannot be read: {exc}"
            ) from None
        metadata.name = self.name
        metadata.last_used = utc(log_mtime)
        return metadata

    def _write_meta(self, metadata: SessionMetadata) -> None:
        data = metadata.to_dict()
        del data["last_used"]  # the log's modification time is the source of truth
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        atomic_write(self.meta, text.encode("utf-8"))

    def _remove(self, lock: FileLock) -> None:
        self.log.unlink(missing_ok=True)
        self.meta.unlink(missing_ok=True)
        lock.unlink()
        fsync_dir(self.directory)

    # ------------------------------------------------------------------ operations

    def open_or_create(self, new: SessionMetadata, default_ttl: float | None) -> None:
        """Mark an existing session used, or create it from *new* (also when it expired)."""
        ensure_dir(self.directory)
        with self.lock(exclusive=True) as lock:
            if self.log.exists():
                current = self._read_meta(self._log_mtime())
                if not is_expired(current, utc(time.time()), default_ttl):
                    os.utime(self.log)
                    return
                self._remove(lock)
            self._write_meta(new)
            atomic_write(self.log, _log_bytes(encode(initial_history(new))))

    def append(self, messages: list[ChatMessage]) -> list[str]:
        data = _log_bytes(encode(messages))
        with self.lock(exclusive=True):
            try:
                torn = append(self.log, data, keep_tail=_is_message)
            except FileNotFoundError:
                raise self._gone() from None
        if not torn:
            return []
        return [f"session log {self.log}: removed an incomplete last line ({torn} bytes)"]

    def load(self) -> tuple[list[ChatMessage], SessionMetadata, list[str]]:
        with self.lock(exclusive=False):
            try:
                data, mtime = read_bytes(self.log)
            except FileNotFoundError:
                raise self._gone() from None
            metadata = self._read_meta(mtime)
        log = _parse_log(self.log, data)
        return log.messages, metadata, log.problems

    def rewrite(self, rewrite: Rewrite) -> tuple[int, int, list[str]]:
        with self.lock(exclusive=True):
            try:
                data, mtime = read_bytes(self.log)
            except FileNotFoundError:
                raise self._gone() from None
            log = _parse_log(self.log, data)
            before, after, entries = rewrite_log(log, rewrite, self._read_meta(mtime))
            atomic_write(self.log, _log_bytes([item for item, _ in entries]))
        return before, after, log.problems

    def metadata(self) -> SessionMetadata:
        with self.lock(exclusive=False):
            return self._read_meta(self._log_mtime())

    def modify_metadata(
        self, change: Callable[[SessionMetadata], SessionMetadata]
    ) -> SessionMetadata:
        with self.lock(exclusive=True):
            new = change(self._read_meta(self._log_mtime()))
            new.name = self.name
            self._write_meta(new)
            os.utime(self.log)
            new.last_used = utc(self._log_mtime())
        return new

    def exists(self, default_ttl: float | None) -> bool:
        if not self.log.exists():
            return False
        return not is_expired(self.metadata(), utc(time.time()), default_ttl)

    def delete(self) -> bool:
        if not (self.log.exists() or self.meta.exists()):
            return False
        with self.lock(exclusive=True) as lock:
            existed = self.log.exists()
            self._remove(lock)
        return existed

    def expire(self, default_ttl: float | None) -> bool:
        """Remove the session if it is idle past its ttl; whether it was removed."""
        with self.lock(exclusive=True) as lock:
            if not self.log.exists():
                return False
            if not is_expired(self._read_meta(self._log_mtime()), utc(time.time()), default_ttl):
                return False
            self._remove(lock)
        return True


class FileSession(SessionBase):
    """A handle on one session of a :class:`FileSessionStore`. Nothing is held open or
    locked between calls; several handles, tasks and processes may use one session."""

    def __init__(self, files: _SessionFiles) -> None:
        super().__init__(files.name)
        self._files = files

    @property
    def path(self) -> Path:
        """The session's JSON Lines log."""
        return self._files.log

    async def _append(self, messages: list[ChatMessage]) -> None:
        warn_recovered(await _in_thread(self._files.append, messages))

    async def _load(self) -> tuple[list[ChatMessage], SessionMetadata]:
        history, metadata, problems = await _in_thread(self._files.load)
        warn_recovered(problems)
        return history, metadata

    async def _rewrite(self, rewrite: Rewrite) -> tuple[int, int]:
        before, after, problems = await _in_thread(self._files.rewrite, rewrite)
        warn_recovered(problems)
        return before, after

    async def _read_metadata(self) -> SessionMetadata:
        return await _in_thread(self._files.metadata)

    async def _modify_metadata(
        self, change: Callable[[SessionMetadata], SessionMetadata]
    ) -> SessionMetadata:
        return await _in_thread(self._files.modify_metadata, change)


class FileSessionStore(StoreBase):
    """Sessions as files in a directory (``~`` is expanded); see the module documentation
    for the format and its guarantees.

    Args:
        path: the directory, created on first write with mode 0o700.
        defaults: metadata new sessions start with (system prompt, model, ``ttl``…).
        ttl: seconds of idleness after which a session expires, for sessions whose metadata
            sets no ``ttl`` of its own.

    Example::

        store = FileSessionStore()
        async with store.session("notes") as session:
            await session.add_message(ChatMessage.user("Hello"))
            history = await session.get_history()
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = DEFAULT_PATH,
        defaults: SessionMetadata | None = None,
        *,
        ttl: float | None = None,
    ) -> None:
        super().__init__(defaults, ttl)
        self._dir = Path(path).expanduser()

    @property
    def path(self) -> Path:
        """The directory holding the sessions."""
        return self._dir

    def _files(self, name: str) -> _SessionFiles:
        self._check_open()
        return _SessionFiles(self._dir, validate_session_name(name))

    async def get(self, name: str, *, defaults: SessionMetadata | None = None) -> FileSession:
        """The session called *name*, created if missing or expired."""
        files = self._files(name)
        new = self._new_metadata(name, defaults, utc(time.time()))
        await _in_thread(files.open_or_create, new, self._ttl)
        return FileSession(files)

    async def delete(self, name: str) -> bool:
        """Remove a session's files; ``True`` if it existed."""
        return await _in_thread(self._files(name).delete)

    async def list(self) -> builtins.list[str]:
        """Names of all sessions, sorted."""
        self._check_open()
        return await _in_thread(self._names)

    def _names(self) -> builtins.list[str]:
        try:
            entries = os.listdir(self._dir)
        except FileNotFoundError:
            return []
        names = [e[: -len(_LOG_SUFFIX)] for e in entries if e.endswith(_LOG_SUFFIX)]
        return sorted(n for n in names if _valid(n))

    async def exists(self, name: str) -> bool:
        """Whether *name* exists and has not expired."""
        return await _in_thread(self._files(name).exists, self._ttl)

    async def last(self) -> str | None:
        """The most recently used session (newest log modification time), or ``None``."""
        self._check_open()
        return await _in_thread(self._last)

    def _last(self) -> str | None:
        newest: tuple[float, str] | None = None
        for name in self._names():
            try:
                stamp = (self._dir / f"{name}{_LOG_SUFFIX}").stat().st_mtime
            except FileNotFoundError:
                continue
            if newest is None or (stamp, name) > newest:
                newest = (stamp, name)
        return newest[1] if newest else None

    async def all_metadata(self) -> dict[str, SessionMetadata]:
        """Every session's metadata by name; raises
        :class:`~pollytool.errors.SessionCorruptError` for an unreadable metadata file."""
        self._check_open()
        return await _in_thread(self._all_metadata)

    def _all_metadata(self) -> dict[str, SessionMetadata]:
        result: dict[str, SessionMetadata] = {}
        for name in self._names():
            try:
                result[name] = _SessionFiles(self._dir, name).metadata()
            except SessionNotFoundError:
                continue
        return result

    async def expire(self) -> builtins.list[str]:
        """Remove every session idle (log unmodified) for longer than its ``ttl``; returns
        their names. A session whose metadata cannot be read is skipped with a warning."""
        self._check_open()
        expired, problems = await _in_thread(self._expire)
        warn_recovered(problems)
        return expired

    def _expire(self) -> tuple[builtins.list[str], builtins.list[str]]:
        expired: builtins.list[str] = []
        problems: builtins.list[str] = []
        for name in self._names():
            try:
                if _SessionFiles(self._dir, name).expire(self._ttl):
                    expired.append(name)
            except SessionCorruptError as exc:
                problems.append(f"{exc}; not expired")
        return expired, problems


def _valid(name: str) -> bool:
    try:
        validate_session_name(name)
    except ValueError:
        return False
    return True
