"""Behaviour shared by every store: the public session methods built on a few storage
primitives, and the store-level context managers and expiry loop."""

from __future__ import annotations

import builtins
import dataclasses
import json
import warnings
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Unpack

import anyio

from .._resource import AsyncResource
from ..errors import ConfigurationError, SessionError, UnstorableMessageError
from ..messages import ChatMessage
from .base import MetadataChanges, Session, SessionMetadata, SessionRecoveryWarning
from .stats import SessionStats, history_stats
from .trim import trim_history

#: Turns (history, metadata) into the history to store instead.
Rewrite = Callable[[list[ChatMessage], SessionMetadata], list[ChatMessage]]

#: One stored item and the message it holds (``None`` for an item that cannot be read).
Entry = tuple[bytes, ChatMessage | None]


def initial_history(metadata: SessionMetadata) -> list[ChatMessage]:
    """What a new or cleared session holds: the system prompt, if there is one."""
    return [ChatMessage.system(metadata.system_prompt)] if metadata.system_prompt else []


def visible_history(history: list[ChatMessage], metadata: SessionMetadata) -> list[ChatMessage]:
    """*history* trimmed to the metadata's ``max_history_tokens`` (if set)."""
    if metadata.max_history_tokens is None:
        return history
    return trim_history(history, metadata.max_history_tokens)


def is_expired(metadata: SessionMetadata, now: datetime, default_ttl: float | None = None) -> bool:
    """Whether the session has been idle for longer than its ``ttl`` (or *default_ttl*)."""
    ttl = metadata.ttl if metadata.ttl is not None else default_ttl
    if ttl is None:
        return False
    return (now - metadata.last_used).total_seconds() > ttl


def utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def warn_recovered(problems: Iterable[str]) -> None:
    """Report damage that reading skipped, from the caller's task (not a worker thread)."""
    for problem in problems:
        warnings.warn(problem, SessionRecoveryWarning, stacklevel=4)


def encode(messages: Iterable[ChatMessage]) -> list[bytes]:
    """One UTF-8 JSON line (without newline) per message, as every store keeps them.

    Raises :class:`~pollytool.errors.UnstorableMessageError` naming the first message that
    cannot be stored, before anything is stored. This is CPU work proportional to the
    messages' size (base64 for images): stores call it from a worker thread.
    """
    lines: list[bytes] = []
    for index, message in enumerate(messages):
        try:
            lines.append(message.to_json().encode("utf-8"))
        except (TypeError, ValueError, RecursionError) as exc:
            raise UnstorableMessageError(
                f"message {index} ({message.role}) cannot be stored as JSON: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
    return lines


def decode(item: bytes) -> ChatMessage:
    """The message one stored line holds; raises whatever the line's shape provokes."""
    data = json.loads(item)
    if not isinstance(data, dict):
        raise ValueError(f"a message is a JSON object, not {type(data).__name__}")
    return ChatMessage.from_dict(data)


@dataclass(slots=True)
class StoredLog:
    """A session's log as read back: every stored item verbatim, the messages among them,
    and a description of each item that could not be read.

    An unreadable item (damage, or a message shape a newer version wrote) is skipped by
    :meth:`~pollytool.sessions.Session.get_history` with a
    :class:`~pollytool.sessions.SessionRecoveryWarning`, and never deleted: a rewrite keeps
    it verbatim (see :meth:`rewritten`).
    """

    items: list[bytes]
    messages: list[ChatMessage] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)  # index in items of each message
    unreadable: list[int] = field(default_factory=list)  # indexes in items
    problems: list[str] = field(default_factory=list)

    def rewritten(self, history: list[ChatMessage]) -> list[Entry]:
        """The entries of a log that holds *history* instead of :attr:`messages`.

        Messages of *history* taken from this log keep their stored bytes; new ones are
        encoded. Every unreadable item is kept (with ``None`` as its message), in order, just
        before the first kept message that followed it, or at the end.
        """
        stored_at = {id(m): p for m, p in zip(self.messages, self.positions, strict=True)}
        pending = iter(self.unreadable)
        waiting = next(pending, None)
        out: list[Entry] = []
        for message in history:
            position = stored_at.get(id(message))
            if position is None:
                out.append((encode([message])[0], message))
                continue
            while waiting is not None and waiting < position:
                out.append((self.items[waiting], None))
                waiting = next(pending, None)
            out.append((self.items[position], message))
        if waiting is not None:
            out += [(self.items[i], None) for i in (waiting, *pending)]
        return out


def decode_log(items: list[bytes], describe: Callable[[int], str]) -> StoredLog:
    """Read *items* (stored lines, oldest first). Blank items are ignored; ``describe(i)``
    names item *i* in the warning about an item that cannot be read. CPU work: call it from
    a worker thread."""
    log = StoredLog(items)
    for index, item in enumerate(items):
        if not item.strip():
            continue
        try:
            message = decode(item)
        except Exception as exc:  # any shape at all may be stored: skip it, never fail
            log.unreadable.append(index)
            log.problems.append(
                f"{describe(index)}: not a valid message ({type(exc).__name__}); skipped, "
                "and kept as it is"
            )
        else:
            log.messages.append(message)
            log.positions.append(index)
    return log


def rewrite_log(
    log: StoredLog, rewrite: Rewrite, metadata: SessionMetadata
) -> tuple[int, int, list[Entry]]:
    """Apply *rewrite* to *log*: the message counts before and after, and the entries of the
    new log (unreadable items kept). CPU work: call it from a worker thread."""
    history = rewrite(log.messages, metadata)
    return len(log.messages), len(history), log.rewritten(history)


class SessionBase(AsyncResource, ABC):
    """The public :class:`~pollytool.sessions.Session` methods, written once on top of the
    storage primitives a store implements."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._closed = False

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name!r})"

    # ------------------------------------------------------------------ primitives

    @abstractmethod
    async def _append(self, messages: list[ChatMessage]) -> None:
        """Store *messages* after the existing ones in one write, encoding them (with
        :func:`encode`) off the event loop; nothing is stored if one cannot be encoded."""

    @abstractmethod
    async def _load(self) -> tuple[list[ChatMessage], SessionMetadata]:
        """The full stored history and the metadata."""

    @abstractmethod
    async def _rewrite(self, rewrite: Rewrite) -> tuple[int, int]:
        """Replace the history with ``rewrite(history, metadata)`` atomically, keeping
        unreadable items (:meth:`StoredLog.rewritten`); returns the message counts before
        and after."""

    @abstractmethod
    async def _read_metadata(self) -> SessionMetadata:
        """The current metadata."""

    @abstractmethod
    async def _modify_metadata(
        self, change: Callable[[SessionMetadata], SessionMetadata]
    ) -> SessionMetadata:
        """Replace the metadata with ``change(current)`` atomically and return it."""

    # ------------------------------------------------------------------ public API

    def _check_open(self) -> None:
        if self._closed:
            raise SessionError(f"session {self._name!r} is closed")

    def _now(self) -> datetime:
        return datetime.now(UTC)

    async def add_message(self, message: ChatMessage) -> None:
        """Append one message."""
        self._check_open()
        await self._append([message])

    async def add_messages(self, messages: Iterable[ChatMessage]) -> None:
        """Append several messages in one write; if one cannot be encoded, none is stored."""
        self._check_open()
        batch = list(messages)
        if batch:
            await self._append(batch)

    async def get_history(self, *, full: bool = False) -> list[ChatMessage]:
        """The conversation to send, trimmed to ``max_history_tokens`` when set; with
        ``full=True`` the whole stored log. Returns new message objects every time."""
        self._check_open()
        history, metadata = await self._load()
        return history if full else visible_history(history, metadata)

    async def clear(self) -> None:
        """Start over: the history becomes ``[system prompt]`` from the metadata, or empty."""
        self._check_open()
        await self._rewrite(lambda _history, metadata: initial_history(metadata))

    async def compact(self) -> int:
        """Drop, for good, what :meth:`get_history` no longer returns; returns how many
        messages were removed. Stored lines that cannot be read are kept as they are."""
        self._check_open()
        before, after = await self._rewrite(visible_history)
        return before - after

    async def get_metadata(self) -> SessionMetadata:
        """A copy of the session's metadata."""
        self._check_open()
        return await self._read_metadata()

    async def set_metadata(self, metadata: SessionMetadata) -> None:
        """Replace every setting with those of *metadata* (its name and times are ignored)."""
        self._check_open()
        new = metadata.copy()

        def keep_identity(current: SessionMetadata) -> SessionMetadata:
            return dataclasses.replace(
                new, name=current.name, created=current.created, last_used=current.last_used
            )

        await self._modify_metadata(keep_identity)

    async def update_metadata(self, **changes: Unpack[MetadataChanges]) -> SessionMetadata:
        """Change only the given fields, atomically; ``temperature=0`` and ``tools=[]`` are
        stored as given. Returns the new metadata."""
        self._check_open()
        return await self._modify_metadata(lambda current: current.with_changes(**changes))

    async def stats(self) -> SessionStats:
        """Numbers about the history :meth:`get_history` returns."""
        self._check_open()
        history, metadata = await self._load()
        return history_stats(
            visible_history(history, metadata),
            max_tokens=metadata.max_history_tokens,
            ttl=metadata.ttl,
            last_used=metadata.last_used,
            now=self._now(),
        )

    async def close(self) -> None:
        """Stop using this handle; later calls raise :class:`~pollytool.errors.SessionError`."""
        self._closed = True

    aclose = close  # ``async with session:`` closes the handle


class StoreBase(AsyncResource, ABC):
    """Store behaviour that does not depend on where sessions live."""

    def __init__(self, defaults: SessionMetadata | None, ttl: float | None) -> None:
        if ttl is not None and not ttl > 0:
            raise ConfigurationError(f"ttl must be greater than 0 seconds, got {ttl}")
        self._defaults = (defaults or SessionMetadata()).copy()
        self._ttl = ttl
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise SessionError(f"{type(self).__name__} is closed")

    def _new_metadata(
        self, name: str, defaults: SessionMetadata | None, now: datetime
    ) -> SessionMetadata:
        base = defaults.copy() if defaults is not None else self._defaults.copy()
        return dataclasses.replace(base, name=name, created=now, last_used=now)

    @abstractmethod
    async def get(self, name: str, *, defaults: SessionMetadata | None = None) -> Session:
        """The session called *name*, created if missing."""

    @abstractmethod
    async def expire(self) -> builtins.list[str]:
        """Remove every session idle for longer than its ``ttl``; returns their names."""

    @asynccontextmanager
    async def session(
        self, name: str, *, defaults: SessionMetadata | None = None
    ) -> AsyncIterator[Session]:
        """``async with store.session(name) as s:`` gets the session and closes the handle."""
        session = await self.get(name, defaults=defaults)
        try:
            yield session
        finally:
            await session.close()

    @asynccontextmanager
    async def run_expiry(self, interval: float) -> AsyncIterator[None]:
        """Call :meth:`expire` every *interval* seconds while the block runs::

        async with store.run_expiry(60):
            await serve()
        """
        if interval <= 0:
            raise ValueError(f"interval must be greater than 0, got {interval}")
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(self._expire_every, interval)
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()

    async def _expire_every(self, interval: float) -> None:
        while True:
            await anyio.sleep(interval)
            await self.expire()

    async def aclose(self) -> None:
        """Stop using the store; later calls raise :class:`~pollytool.errors.SessionError`."""
        self._closed = True
