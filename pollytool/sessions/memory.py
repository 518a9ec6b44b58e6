"""Sessions kept in memory, with optional expiry after a time of idleness."""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import anyio.lowlevel
import anyio.to_thread

from ..errors import SessionNotFoundError
from ..messages import ChatMessage
from ._common import (
    Rewrite,
    SessionBase,
    StoreBase,
    decode_log,
    encode,
    initial_history,
    is_expired,
    rewrite_log,
    utc,
)
from ._names import validate_session_name
from .base import SessionMetadata

__all__ = ["MemorySession", "MemorySessionStore"]


@dataclass(slots=True)
class _Record:
    metadata: SessionMetadata
    lines: list[bytes]  # one encoded message each, exactly as the file store keeps them
    version: int = 0  # counts changes to lines, so that a rewrite notices a concurrent one


class MemorySession(SessionBase):
    """A handle on a session of a :class:`MemorySessionStore`.

    Messages are stored as JSON text, so they behave exactly as in the file store: what you
    add is copied, and every :meth:`get_history` returns new objects. Encoding and decoding
    run in a worker thread, so a large message never stalls the event loop. Like a file
    session, the handle refers to the name: after the session is deleted, calls raise
    :class:`~pollytool.errors.SessionNotFoundError` until it is created again.
    """

    def __init__(self, store: MemorySessionStore, name: str) -> None:
        super().__init__(name)
        self._store = store

    def _live(self) -> _Record:
        record = self._store._records.get(self._name)
        if record is None:
            raise SessionNotFoundError(
                f"session {self._name!r} no longer exists (it was deleted or expired)"
            )
        return record

    def _now(self) -> datetime:
        return self._store._now()

    def _touch(self, record: _Record) -> None:
        record.metadata.last_used = self._now()

    def _describe(self, index: int) -> str:
        return f"session {self._name!r}, message {index}"

    async def _append(self, messages: list[ChatMessage]) -> None:
        self._live()
        lines = await anyio.to_thread.run_sync(encode, messages)
        record = self._live()
        record.lines.extend(lines)
        record.version += 1
        self._touch(record)

    async def _load(self) -> tuple[list[ChatMessage], SessionMetadata]:
        record = self._live()
        metadata = record.metadata.copy()
        log = await anyio.to_thread.run_sync(decode_log, list(record.lines), self._describe)
        return log.messages, metadata

    async def _rewrite(self, rewrite: Rewrite) -> tuple[int, int]:
        while True:  # until no other task changed the history meanwhile
            record = self._live()
            version, lines, metadata = record.version, list(record.lines), record.metadata.copy()
            before, after, entries = await anyio.to_thread.run_sync(
                lambda: rewrite_log(decode_log(lines, self._describe), rewrite, metadata)  # noqa: B023
            )
            if self._live() is record and record.version == version:
                record.lines = [item for item, _ in entries]
                record.version += 1
                self._touch(record)
                return before, after

    async def _read_metadata(self) -> SessionMetadata:
        await anyio.lowlevel.checkpoint()
        return self._live().metadata.copy()

    async def _modify_metadata(
        self, change: Callable[[SessionMetadata], SessionMetadata]
    ) -> SessionMetadata:
        await anyio.lowlevel.checkpoint()
        record = self._live()
        record.metadata = change(record.metadata.copy())
        self._touch(record)
        return record.metadata.copy()


class MemorySessionStore(StoreBase):
    """Sessions in this process's memory, for services and tests.

    Args:
        defaults: metadata new sessions start with (system prompt, model, budget, ``ttl``…).
        ttl: seconds of idleness after which a session expires, for sessions whose metadata
            sets no ``ttl`` of its own.
        clock: the time source, seconds since the epoch (for tests).

    An expired session is removed when it is next opened with :meth:`get` (which then creates
    a fresh one) and by :meth:`expire`; ``async with store.run_expiry(interval):`` runs
    :meth:`expire` periodically. The store is meant for one event loop.
    """

    def __init__(
        self,
        defaults: SessionMetadata | None = None,
        ttl: float | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(defaults, ttl)
        self._clock = clock
        self._records: dict[str, _Record] = {}

    def _now(self) -> datetime:
        return utc(self._clock())

    def _expired(self, record: _Record, now: datetime) -> bool:
        return is_expired(record.metadata, now, self._ttl)

    async def get(self, name: str, *, defaults: SessionMetadata | None = None) -> MemorySession:
        """The session called *name*, created if missing or expired."""
        self._check_open()
        validate_session_name(name)
        await anyio.lowlevel.checkpoint()
        now = self._now()
        record = self._records.get(name)
        if record is None or self._expired(record, now):
            metadata = self._new_metadata(name, defaults, now)
            record = _Record(metadata, encode(initial_history(metadata)))
            self._records[name] = record
        else:
            record.metadata.last_used = now
        return MemorySession(self, name)

    async def delete(self, name: str) -> bool:
        """Remove a session; ``True`` if it existed."""
        self._check_open()
        validate_session_name(name)
        await anyio.lowlevel.checkpoint()
        return self._records.pop(name, None) is not None

    async def list(self) -> builtins.list[str]:
        """Names of all sessions, sorted."""
        self._check_open()
        await anyio.lowlevel.checkpoint()
        return sorted(self._records)

    async def exists(self, name: str) -> bool:
        """Whether *name* exists and has not expired."""
        self._check_open()
        validate_session_name(name)
        await anyio.lowlevel.checkpoint()
        record = self._records.get(name)
        return record is not None and not self._expired(record, self._now())

    async def last(self) -> str | None:
        """The most recently used session's name, or ``None``."""
        self._check_open()
        await anyio.lowlevel.checkpoint()
        if not self._records:
            return None
        return max(self._records.items(), key=lambda item: item[1].metadata.last_used)[0]

    async def all_metadata(self) -> dict[str, SessionMetadata]:
        """Every session's metadata by name."""
        self._check_open()
        await anyio.lowlevel.checkpoint()
        return {name: record.metadata.copy() for name, record in sorted(self._records.items())}

    async def expire(self) -> builtins.list[str]:
        """Remove every session idle for longer than its ``ttl``; returns their names."""
        self._check_open()
        await anyio.lowlevel.checkpoint()
        now = self._now()
        expired = sorted(n for n, r in self._records.items() if self._expired(r, now))
        for name in expired:
            del self._records[name]
        return expired
