"""The SQLite database behind :class:`~pollytool.sessions.SQLiteSessionStore`: its schema,
the versioned migrations that build it, and a small pool of connections.

Blocking: everything here runs in worker threads (``anyio.to_thread``). Connections are in
autocommit mode; :meth:`Database.write` and :meth:`Database.read` open explicit transactions
(``BEGIN IMMEDIATE`` for writers, so that several processes queue on SQLite's lock instead of
failing on a lock upgrade).

Schema version 1 (``PRAGMA user_version``)::

    sessions(name TEXT PRIMARY KEY, created REAL, last_used REAL, metadata TEXT)
        -- times in seconds since the epoch; metadata is SessionMetadata JSON
    messages(id INTEGER PRIMARY KEY AUTOINCREMENT, session TEXT REFERENCES sessions ON DELETE
             CASCADE, role TEXT, tokens INTEGER, body TEXT)
        -- one row per message in log order; role is NULL for a row that cannot be read;
        -- tokens is pollytool.sessions.estimate_tokens of the message; body is its JSON
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from ..errors import SessionError
from ._fileio import ensure_dir

__all__ = ["MIGRATIONS", "Database", "migrate"]

#: ``MIGRATIONS[v]`` takes the schema from version ``v`` to ``v + 1``. Append, never edit.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE sessions (
            name TEXT PRIMARY KEY NOT NULL,
            created REAL NOT NULL,
            last_used REAL NOT NULL,
            metadata TEXT NOT NULL
        )""",
        "CREATE INDEX sessions_by_last_used ON sessions (last_used)",
        """CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session TEXT NOT NULL REFERENCES sessions (name) ON DELETE CASCADE,
            role TEXT,
            tokens INTEGER NOT NULL,
            body TEXT NOT NULL
        )""",
        "CREATE INDEX messages_by_session ON messages (session, id)",
    ),
)


def migrate(connection: sqlite3.Connection, migrations: Sequence[Sequence[str]]) -> None:
    """Bring the database up to ``len(migrations)``, applying each missing step once (in one
    transaction, so a crash leaves the old version). Several processes may call this at once.
    Raises :class:`~pollytool.errors.SessionError` for a database from a newer version."""

    def version() -> int:
        value: int = connection.execute("PRAGMA user_version").fetchone()[0]
        if value > len(migrations):
            raise SessionError(
                f"session database schema version {value} is newer than this pollytool "
                f"understands (up to {len(migrations)}); upgrade pollytool"
            )
        return value

    if version() == len(migrations):
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
        for step in migrations[version() :]:
            for statement in step:
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {len(migrations)}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


class Database:
    """Connections to one SQLite file, reused across operations (each used by one thread at
    a time). The file is created with mode 0o600 in a directory created with 0o700."""

    def __init__(self, path: Path, busy_timeout: float, max_idle: int = 8) -> None:
        self.path = path
        self._busy_timeout = busy_timeout
        self._max_idle = max_idle
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._migrated = False
        self._closed = False

    def _connect(self) -> sqlite3.Connection:
        ensure_dir(self.path.parent)
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))
        connection = sqlite3.connect(
            self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = FULL")  # durable once a write returns
            connection.execute("PRAGMA foreign_keys = ON")
            if not self._migrated:
                migrate(connection, MIGRATIONS)
                self._migrated = True
        except BaseException:
            connection.close()
            raise
        return connection

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            connection = self._idle.pop() if self._idle else None
        if connection is None:
            connection = self._connect()
        try:
            yield connection
        except BaseException:
            connection.close()  # it may be inside a transaction that failed half-way
            raise
        with self._lock:
            if not self._closed and len(self._idle) < self._max_idle:
                self._idle.append(connection)
                connection = None
        if connection is not None:
            connection.close()

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        with self._connection() as connection:
            connection.execute(begin)
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def write(self) -> AbstractContextManager[sqlite3.Connection]:
        """``with db.write() as c:`` one write transaction (``BEGIN IMMEDIATE``)."""
        return self._transaction("BEGIN IMMEDIATE")

    def read(self) -> AbstractContextManager[sqlite3.Connection]:
        """``with db.read() as c:`` one read transaction: every query sees one snapshot."""
        return self._transaction("BEGIN DEFERRED")

    def close(self) -> None:
        """Close the idle connections; those in use close when their operation ends."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
