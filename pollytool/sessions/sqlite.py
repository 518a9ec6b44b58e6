"""Sessions in one SQLite database file, shared by several processes on one host.

::

    from pollytool.sessions import SQLiteSessionStore

    async with SQLiteSessionStore("~/.pollytool/sessions.db") as store:
        async with store.session("support-42") as session:
            await session.add_message(ChatMessage.user("Hello"))
        for summary in await store.summaries(limit=10):
            print(summary.name, summary.last_used, summary.tokens)

The database runs in WAL mode: readers never wait for writers, and writers (from any process)
take turns, each waiting up to ``busy_timeout`` seconds before
:class:`~pollytool.errors.SessionUnavailableError`. Each message is one row, so adding one
is one small insert whatever the history's length, and every write is one transaction:
nothing is ever half-written, and a write that returned is on disk (``synchronous=FULL``).
The schema is versioned (``PRAGMA user_version``) and migrated on first use; a database
written by a newer pollytool is refused rather than misread. See
:mod:`pollytool.sessions._sqlite_db` for the tables, which you may query directly.

All database work runs in worker threads (``anyio.to_thread``); the event loop never blocks.
No dependency beyond Python's own ``sqlite3`` (the ``sqlite`` extra installs nothing).
"""

from __future__ import annotations

import builtins
import json
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, TypeVarTuple

import anyio.to_thread

from ..errors import (
    SessionCorruptError,
    SessionError,
    SessionNotFoundError,
    SessionUnavailableError,
)
from ..messages import ChatMessage
from ._common import (
    Entry,
    Rewrite,
    SessionBase,
    StoreBase,
    StoredLog,
    decode_log,
    encode,
    initial_history,
    is_expired,
    rewrite_log,
    utc,
    warn_recovered,
)
from ._names import validate_session_name
from ._sqlite_db import Database
from .base import SessionMetadata
from .trim import estimate_tokens

__all__ = ["SQLiteSession", "SQLiteSessionStore", "SessionSummary"]

_T = TypeVar("_T")
_Args = TypeVarTuple("_Args")


async def _run(function: Callable[[*_Args], _T], *args: *_Args) -> _T:
    """Run blocking database work in a worker thread, with SQLite's errors made typed."""
    try:
        return await anyio.to_thread.run_sync(function, *args)
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise SessionUnavailableError(f"session database is busy: {exc}") from exc
        raise SessionError(f"session database failed: {exc}") from exc
    except sqlite3.DatabaseError as exc:  # not a database, malformed image
        raise SessionCorruptError(f"session database cannot be read: {exc}") from exc
    except (sqlite3.Error, OSError) as exc:
        raise SessionError(f"session database failed: {exc}") from exc


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """One session as :meth:`SQLiteSessionStore.summaries` lists it.

    Attributes:
        name: the session's name.
        created, last_used: when it was created and last opened or written (UTC).
        messages: number of stored messages (the whole log, not trimmed).
        tokens: estimated tokens of the whole stored log
            (:func:`~pollytool.sessions.estimate_tokens` per message).
    """

    name: str
    created: datetime
    last_used: datetime
    messages: int
    tokens: int


_SELECT_SESSION = "SELECT created, last_used, metadata FROM sessions WHERE name = ?"
_INSERT_MESSAGE = "INSERT INTO messages (session, role, tokens, body) VALUES (?, ?, ?, ?)"
_TOUCH = "UPDATE sessions SET last_used = ? WHERE name = ?"


def _metadata_json(metadata: SessionMetadata) -> str:
    data = metadata.to_dict()
    for key in ("name", "created", "last_used"):  # columns of their own
        del data[key]
    return json.dumps(data, ensure_ascii=False)


def _body(item: bytes) -> str | bytes:
    """Stored as TEXT (so SQLite's JSON functions can query it) unless it is not UTF-8."""
    try:
        return item.decode("utf-8")
    except UnicodeDecodeError:
        return item


def _rows(name: str, entries: list[Entry]) -> list[tuple[Any, ...]]:
    return [
        (name, None, 0, _body(item))
        if message is None
        else (name, str(message.role), estimate_tokens(message), _body(item))
        for item, message in entries
    ]


def _new_rows(name: str, messages: list[ChatMessage]) -> list[tuple[Any, ...]]:
    """Rows for *messages* (encoded here: call from a worker thread)."""
    return _rows(name, list(zip(encode(messages), messages, strict=True)))


class _Operations:
    """Blocking operations on the database, each one transaction (run in worker threads)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _gone(self, name: str) -> SessionNotFoundError:
        return SessionNotFoundError(
            f"session {name!r} no longer exists in {self.db.path} (it was deleted or expired)"
        )

    def _read_metadata(self, c: sqlite3.Connection, name: str) -> SessionMetadata:
        row = c.execute(_SELECT_SESSION, (name,)).fetchone()
        if row is None:
            raise self._gone(name)
        return self._parse_metadata(name, row)

    def _parse_metadata(self, name: str, row: Sequence[Any]) -> SessionMetadata:
        created, last_used, raw = row
        try:
            metadata = SessionMetadata.from_dict(json.loads(raw))
        except (ValueError, TypeError, RecursionError) as exc:
            raise SessionCorruptError(
                f"metadata of session {name!r} in {self.db.path} cannot be read: {exc}"
            ) from exc
        metadata.name = name
        metadata.created = utc(created)
        metadata.last_used = utc(last_used)
        return metadata

    def _read_log(self, c: sqlite3.Connection, name: str) -> StoredLog:
        rows = c.execute(
            "SELECT id, CAST(body AS BLOB) FROM messages WHERE session = ? ORDER BY id", (name,)
        ).fetchall()
        ids = [row[0] for row in rows]
        return decode_log(
            [bytes(row[1]) for row in rows],
            lambda i: f"session {name!r} in {self.db.path}, messages row {ids[i]}",
        )

    def _create(self, c: sqlite3.Connection, metadata: SessionMetadata, now: float) -> None:
        history = initial_history(metadata)
        c.execute(
            "INSERT INTO sessions (name, created, last_used, metadata) VALUES (?, ?, ?, ?)",
            (metadata.name, metadata.created.timestamp(), now, _metadata_json(metadata)),
        )
        c.executemany(_INSERT_MESSAGE, _new_rows(metadata.name, history))

    # ------------------------------------------------------------------ one session

    def open_or_create(self, new: SessionMetadata, default_ttl: float | None) -> None:
        with self.db.write() as c:
            now = time.time()
            row = c.execute(_SELECT_SESSION, (new.name,)).fetchone()
            if row is not None:
                if not is_expired(self._parse_metadata(new.name, row), utc(now), default_ttl):
                    c.execute(_TOUCH, (now, new.name))
                    return
                c.execute("DELETE FROM sessions WHERE name = ?", (new.name,))
            self._create(c, new, now)

    def append(self, name: str, messages: list[ChatMessage]) -> None:
        rows = _new_rows(name, messages)
        with self.db.write() as c:
            if c.execute(_TOUCH, (time.time(), name)).rowcount == 0:
                raise self._gone(name)
            c.executemany(_INSERT_MESSAGE, rows)

    def load(self, name: str) -> tuple[StoredLog, SessionMetadata]:
        with self.db.read() as c:
            metadata = self._read_metadata(c, name)
            return self._read_log(c, name), metadata

    def rewrite(self, name: str, rewrite: Rewrite) -> tuple[int, int, list[str]]:
        with self.db.write() as c:
            metadata = self._read_metadata(c, name)
            log = self._read_log(c, name)
            before, after, entries = rewrite_log(log, rewrite, metadata)
            c.execute("DELETE FROM messages WHERE session = ?", (name,))
            c.executemany(_INSERT_MESSAGE, _rows(name, entries))
            c.execute(_TOUCH, (time.time(), name))
        return before, after, log.problems

    def metadata(self, name: str) -> SessionMetadata:
        with self.db.read() as c:
            return self._read_metadata(c, name)

    def modify_metadata(
        self, name: str, change: Callable[[SessionMetadata], SessionMetadata]
    ) -> SessionMetadata:
        with self.db.write() as c:
            new = change(self._read_metadata(c, name))
            new.name, now = name, time.time()
            c.execute(
                "UPDATE sessions SET metadata = ?, last_used = ? WHERE name = ?",
                (_metadata_json(new), now, name),
            )
        new.last_used = utc(now)
        return new

    # ------------------------------------------------------------------ the store

    def delete(self, name: str) -> bool:
        with self.db.write() as c:
            return c.execute("DELETE FROM sessions WHERE name = ?", (name,)).rowcount > 0

    def names(self) -> builtins.list[str]:
        with self.db.read() as c:
            return sorted(row[0] for row in c.execute("SELECT name FROM sessions"))

    def exists(self, name: str, default_ttl: float | None) -> bool:
        try:
            metadata = self.metadata(name)
        except SessionNotFoundError:
            return False
        return not is_expired(metadata, utc(time.time()), default_ttl)

    def last(self) -> str | None:
        with self.db.read() as c:
            row = c.execute(
                "SELECT name FROM sessions ORDER BY last_used DESC, name DESC LIMIT 1"
            ).fetchone()
        return None if row is None else str(row[0])

    def all_metadata(self) -> dict[str, SessionMetadata]:
        with self.db.read() as c:
            rows = c.execute("SELECT name, created, last_used, metadata FROM sessions").fetchall()
        return {name: self._parse_metadata(name, rest) for name, *rest in sorted(rows)}

    def expire(self, default_ttl: float | None) -> tuple[builtins.list[str], builtins.list[str]]:
        expired: builtins.list[str] = []
        problems: builtins.list[str] = []
        with self.db.write() as c:
            now = utc(time.time())
            rows = c.execute("SELECT name, created, last_used, metadata FROM sessions")
            for name, *rest in rows.fetchall():
                try:
                    metadata = self._parse_metadata(name, rest)
                except SessionCorruptError as exc:
                    problems.append(f"{exc}; not expired")
                    continue
                if is_expired(metadata, now, default_ttl):
                    expired.append(name)
            c.executemany("DELETE FROM sessions WHERE name = ?", [(n,) for n in expired])
        return sorted(expired), problems

    def summaries(self, limit: int | None) -> builtins.list[SessionSummary]:
        with self.db.read() as c:
            rows = c.execute(
                """SELECT s.name, s.created, s.last_used, COUNT(m.id), COALESCE(SUM(m.tokens), 0)
                   FROM sessions AS s LEFT JOIN messages AS m ON m.session = s.name
                   GROUP BY s.name ORDER BY s.last_used DESC, s.name DESC LIMIT ?""",
                (-1 if limit is None else limit,),
            ).fetchall()
        return [
            SessionSummary(name, utc(created), utc(last_used), count, tokens)
            for name, created, last_used, count, tokens in rows
        ]


class SQLiteSession(SessionBase):
    """A handle on one session of a :class:`SQLiteSessionStore`. Nothing is held open or
    locked between calls; several handles, tasks and processes may use one session."""

    def __init__(self, operations: _Operations, name: str) -> None:
        super().__init__(name)
        self._ops = operations

    async def _append(self, messages: list[ChatMessage]) -> None:
        await _run(self._ops.append, self._name, messages)

    async def _load(self) -> tuple[list[ChatMessage], SessionMetadata]:
        log, metadata = await _run(self._ops.load, self._name)
        warn_recovered(log.problems)
        return log.messages, metadata

    async def _rewrite(self, rewrite: Rewrite) -> tuple[int, int]:
        before, after, problems = await _run(self._ops.rewrite, self._name, rewrite)
        warn_recovered(problems)
        return before, after

    async def _read_metadata(self) -> SessionMetadata:
        return await _run(self._ops.metadata, self._name)

    async def _modify_metadata(
        self, change: Callable[[SessionMetadata], SessionMetadata]
    ) -> SessionMetadata:
        return await _run(self._ops.modify_metadata, self._name, change)


class SQLiteSessionStore(StoreBase):
    """Sessions in one SQLite database file; see the module documentation.

    Args:
        path: the database file (``~`` is expanded), created with mode 0o600 on first use,
            in a directory created with mode 0o700.
        defaults: metadata new sessions start with (system prompt, model, ``ttl``…).
        ttl: seconds of idleness after which a session expires, for sessions whose metadata
            sets no ``ttl`` of its own.
        busy_timeout: seconds a write waits for another process's write before
            :class:`~pollytool.errors.SessionUnavailableError`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        defaults: SessionMetadata | None = None,
        *,
        ttl: float | None = None,
        busy_timeout: float = 30.0,
    ) -> None:
        super().__init__(defaults, ttl)
        self._ops = _Operations(Database(Path(path).expanduser(), busy_timeout))

    @property
    def path(self) -> Path:
        """The database file."""
        return self._ops.db.path

    def __repr__(self) -> str:
        return f"SQLiteSessionStore({str(self.path)!r})"

    def _name(self, name: str) -> str:
        self._check_open()
        return validate_session_name(name)

    async def get(self, name: str, *, defaults: SessionMetadata | None = None) -> SQLiteSession:
        """The session called *name*, created if missing or expired."""
        new = self._new_metadata(self._name(name), defaults, utc(time.time()))
        await _run(self._ops.open_or_create, new, self._ttl)
        return SQLiteSession(self._ops, name)

    async def delete(self, name: str) -> bool:
        """Remove a session and its messages; ``True`` if it existed."""
        return await _run(self._ops.delete, self._name(name))

    async def list(self) -> builtins.list[str]:
        """Names of all sessions, sorted."""
        self._check_open()
        return await _run(self._ops.names)

    async def exists(self, name: str) -> bool:
        """Whether *name* exists and has not expired."""
        return await _run(self._ops.exists, self._name(name), self._ttl)

    async def last(self) -> str | None:
        """The most recently used session's name, or ``None``."""
        self._check_open()
        return await _run(self._ops.last)

    async def all_metadata(self) -> dict[str, SessionMetadata]:
        """Every session's metadata by name; raises
        :class:`~pollytool.errors.SessionCorruptError` for metadata that cannot be read."""
        self._check_open()
        return await _run(self._ops.all_metadata)

    async def expire(self) -> builtins.list[str]:
        """Remove every session idle for longer than its ``ttl``; returns their names. A
        session whose metadata cannot be read is skipped with a warning."""
        self._check_open()
        expired, problems = await _run(self._ops.expire, self._ttl)
        warn_recovered(problems)
        return expired

    async def summaries(self, *, limit: int | None = None) -> builtins.list[SessionSummary]:
        """Sessions by last use, newest first (at most *limit*), with their message count
        and estimated tokens: one query, whatever the number of sessions."""
        self._check_open()
        if limit is not None and limit < 0:
            raise ValueError(f"limit must not be negative, got {limit}")
        return await _run(self._ops.summaries, limit)

    async def aclose(self) -> None:
        """Stop using the store and close its database connections (idempotent)."""
        await super().aclose()
        await anyio.to_thread.run_sync(self._ops.db.close)
