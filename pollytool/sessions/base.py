"""What every session store offers: the :class:`Session` and :class:`SessionStore` protocols
and the settings a session carries (:class:`SessionMetadata`)."""

from __future__ import annotations

import builtins
import dataclasses
import json
import math
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol, Self, TypedDict, Unpack, runtime_checkable

from ..errors import ConfigurationError
from ..messages import ChatMessage
from .stats import SessionStats

__all__ = [
    "MetadataChanges",
    "Session",
    "SessionMetadata",
    "SessionRecoveryWarning",
    "SessionStore",
]


class SessionRecoveryWarning(UserWarning):
    """A session file had damage that was skipped while reading (for example the torn last
    line a crash mid-append leaves behind). The rest of the session was kept."""


class MetadataChanges(TypedDict, total=False):
    """The fields :meth:`Session.update_metadata` can change. A key that is present is
    stored as given, so ``temperature=0``, ``tools=[]`` and ``model=None`` all take effect;
    keys that are absent are left alone."""

    description: str
    ttl: float | None
    model: str | None
    temperature: float | None
    max_tokens: int | None
    max_history_tokens: int | None
    thinking: str | None
    system_prompt: str | None
    tools: list[dict[str, Any]]
    mcp_servers: list[str]
    skills: list[str]
    skill_dirs: list[str]
    tool_timeout: float | None
    max_iterations: int | None
    extra: dict[str, Any]


def _optional(kind: type | tuple[type, ...]) -> Callable[[object], bool]:
    def check(value: object) -> bool:
        return value is None or (isinstance(value, kind) and not isinstance(value, bool))

    return check


def _list_of(kind: type) -> Callable[[object], bool]:
    def check(value: object) -> bool:
        return isinstance(value, list) and all(isinstance(v, kind) for v in value)

    return check


_NUMBER = (int, float)

#: How each changeable field is checked when read from a file or passed to an update.
_CHECKS: dict[str, tuple[Callable[[object], bool], str]] = {
    "description": (lambda v: isinstance(v, str), "a string"),
    "ttl": (_optional(_NUMBER), "a number of seconds or null"),
    "model": (_optional(str), "a string or null"),
    "temperature": (_optional(_NUMBER), "a number or null"),
    "max_tokens": (_optional(int), "an integer or null"),
    "max_history_tokens": (_optional(int), "an integer or null"),
    "thinking": (_optional(str), "a string or null"),
    "system_prompt": (_optional(str), "a string or null"),
    "tools": (_list_of(dict), "a list of objects"),
    "mcp_servers": (_list_of(str), "a list of strings"),
    "skills": (_list_of(str), "a list of strings"),
    "skill_dirs": (_list_of(str), "a list of strings"),
    "tool_timeout": (_optional(_NUMBER), "a number of seconds or null"),
    "max_iterations": (_optional(int), "an integer or null"),
    "extra": (lambda v: isinstance(v, dict), "an object"),
}

#: Every field name: a key of ``extra`` may not be one of these.
_FIELD_NAMES = frozenset({"name", "created", "last_used", *_CHECKS})

_POSITIVE = frozenset({"ttl", "tool_timeout"})
_NON_NEGATIVE = frozenset({"max_tokens", "max_history_tokens", "max_iterations"})


def _check_field(key: str, value: object) -> None:
    check, expected = _CHECKS[key]
    if not check(value):
        raise ValueError(f"{key} must be {expected}, got {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"{key} must be finite, got {value!r}")
        if key in _POSITIVE and value <= 0:
            raise ValueError(f"{key} must be greater than 0, got {value!r}")
        if key in _NON_NEGATIVE and value < 0:
            raise ValueError(f"{key} must not be negative, got {value!r}")


@dataclass(slots=True)
class SessionMetadata:
    """A session's name, times and the settings a conversation resumes with.

    ``None`` means "not set" (use the caller's default); every other value is a real setting,
    so ``temperature=0.0`` and ``tools=[]`` are kept. Keys this version does not know are kept
    in ``extra`` and written back unchanged.

    Attributes:
        name: the session's name (set by the store).
        created: when the session was created (UTC).
        last_used: when the session was last opened or written (UTC; kept by the store).
        description: free text for people.
        ttl: seconds of idleness after which :meth:`SessionStore.expire` removes the session.
        model: ``"provider/model"`` id.
        temperature, max_tokens: sampling settings.
        max_history_tokens: token budget of :meth:`Session.get_history` (see
            :func:`~pollytool.sessions.trim_history`); ``None`` means no limit.
        thinking: a thinking setting as :meth:`~pollytool.thinking.Thinking.parse` reads
            it (``"high"``, ``"8000"``, ``"off"``).
        system_prompt: the system prompt a new or cleared history starts with.
        tools: tool loader specs (``{"name", "type", "source"}`` objects) to load again.
        mcp_servers: MCP server specs to connect again.
        skills, skill_dirs: active skills and the directories they were found in.
        tool_timeout: seconds a tool call may run.
        max_iterations: tool-loop iteration cap.
        extra: keys written by other versions or by you; kept as they are. A key named like
            one of the fields above is refused with
            :class:`~pollytool.errors.ConfigurationError` (it would otherwise be lost).
    """

    name: str = ""
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    last_used: datetime = field(default_factory=lambda: datetime.now(UTC))
    description: str = ""
    ttl: float | None = None
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    max_history_tokens: int | None = None
    thinking: str | None = None
    system_prompt: str | None = None
    tools: list[dict[str, Any]] = field(default_factory=list)
    mcp_servers: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    skill_dirs: list[str] = field(default_factory=list)
    tool_timeout: float | None = None
    max_iterations: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe data (times as ISO 8601 text); :meth:`from_dict` reads it back."""
        out: dict[str, Any] = dict(self.extra)
        out["name"] = self.name
        out["created"] = self.created.isoformat()
        out["last_used"] = self.last_used.isoformat()
        for key in _CHECKS:
            if key != "extra":
                out[key] = getattr(self, key)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SessionMetadata:
        """Read :meth:`to_dict` output; raises ``ValueError`` naming the first bad field.
        Missing fields take their defaults; unknown keys go to ``extra``."""
        if not isinstance(data, dict):
            raise ValueError(f"metadata must be a JSON object, got {type(data).__name__}")
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key in _CHECKS and key != "extra":
                _check_field(key, value)
                values[key] = list(value) if isinstance(value, list) else value
        name = data.get("name", "")
        if not isinstance(name, str):
            raise ValueError(f"name must be a string, got {name!r}")
        return cls(
            name=name,
            created=_parse_time(data, "created"),
            last_used=_parse_time(data, "last_used"),
            extra={k: v for k, v in data.items() if k not in _FIELD_NAMES},
            **values,
        )

    def copy(self) -> SessionMetadata:
        """A validated, fully independent copy: exactly what a store keeps. Raises
        :class:`~pollytool.errors.ConfigurationError` if a field has a bad value, if a key of
        ``extra`` is the name of a field (it would be lost, so it is refused), or if something
        in ``tools`` or ``extra`` cannot be stored as JSON unchanged (objects JSON has no form
        for, NaN or infinity, tuples, non-string keys, nesting too deep)."""
        shadowing = sorted(key for key in self.extra if key in _FIELD_NAMES)
        if shadowing:
            raise ConfigurationError(
                f"extra key {shadowing[0]!r} is the name of a metadata field; set the field "
                "itself (extra holds only keys SessionMetadata does not know)"
            )
        data = self.to_dict()
        try:
            SessionMetadata.from_dict(data)  # names the first field with a bad value
            stored = json.loads(json.dumps(data, allow_nan=False))
            copy = SessionMetadata.from_dict(stored)
        except (TypeError, ValueError, RecursionError) as exc:
            raise ConfigurationError(f"invalid session metadata: {exc}") from exc
        changed = next((key for key in data if key not in stored or stored[key] != data[key]), None)
        if changed is not None:
            raise ConfigurationError(
                f"session metadata {changed!r} would change when stored as JSON (tuples become "
                "lists, non-string keys become strings); use JSON types"
            )
        return copy

    def with_changes(self, **changes: Unpack[MetadataChanges]) -> SessionMetadata:
        """A validated copy with *changes* applied. Raises
        :class:`~pollytool.errors.ConfigurationError` for an unknown field or a bad value."""
        unknown = sorted(set(changes) - set(_CHECKS))
        if unknown:
            raise ConfigurationError(
                f"metadata field {unknown[0]!r} cannot be changed; "
                f"changeable fields: {', '.join(_CHECKS)}"
            )
        return dataclasses.replace(self, **changes).copy()


def _parse_time(data: dict[str, Any], key: str) -> datetime:
    raw = data.get(key)
    if raw is None:
        return datetime.now(UTC)
    if not isinstance(raw, str):
        raise ValueError(f"{key} must be an ISO 8601 time, got {raw!r}")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{key} must be an ISO 8601 time, got {raw!r}") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@runtime_checkable
class Session(Protocol):
    """One named conversation in a :class:`SessionStore`.

    Every method is safe to call from several tasks at once; the file store is also safe
    across processes. :meth:`get_history` returns new message objects on every call, so
    changing them never changes the stored session.
    """

    @property
    def name(self) -> str:
        """The session's name."""
        ...

    async def add_message(self, message: ChatMessage) -> None:
        """Append one message."""
        ...

    async def add_messages(self, messages: Iterable[ChatMessage]) -> None:
        """Append several messages in one write. If one cannot be stored as JSON,
        :class:`~pollytool.errors.UnstorableMessageError` names it and none is stored.
        Messages are encoded in a worker thread: do not change them until this returns."""
        ...

    async def get_history(self, *, full: bool = False) -> list[ChatMessage]:
        """The conversation to send: the whole log, trimmed to ``max_history_tokens`` when
        that is set (see :func:`~pollytool.sessions.trim_history`). ``full=True`` returns the
        whole log untrimmed. Trimming never deletes anything stored."""
        ...

    async def clear(self) -> None:
        """Start over: the history becomes ``[system prompt]`` from the metadata, or empty."""
        ...

    async def compact(self) -> int:
        """Drop, for good, the messages :meth:`get_history` no longer returns; returns how
        many messages were removed. Stored lines that cannot be read (skipped by
        :meth:`get_history` with a :class:`SessionRecoveryWarning`) are never removed, by
        this or by :meth:`clear`: they stay verbatim for you to repair or delete."""
        ...

    async def get_metadata(self) -> SessionMetadata:
        """A copy of the session's metadata."""
        ...

    async def set_metadata(self, metadata: SessionMetadata) -> None:
        """Replace every setting with those of *metadata* (its name and times are ignored)."""
        ...

    async def update_metadata(self, **changes: Unpack[MetadataChanges]) -> SessionMetadata:
        """Change only the given fields, atomically, and return the new metadata.
        ``update_metadata(temperature=0, tools=[])`` stores exactly that."""
        ...

    async def stats(self) -> SessionStats:
        """Token estimate, capacity, message counts and time to expiry."""
        ...

    async def close(self) -> None:
        """Stop using this handle (idempotent). Nothing stays locked between calls, so this
        only makes later calls on the handle fail."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


@runtime_checkable
class SessionStore(Protocol):
    """Named sessions: get-or-create, list, delete, expire."""

    async def get(self, name: str, *, defaults: SessionMetadata | None = None) -> Session:
        """The session called *name*, created if missing (from *defaults*, or the store's
        defaults). A session idle for longer than its ``ttl`` is removed and created anew.
        Raises :class:`~pollytool.errors.InvalidSessionNameError` for a bad name."""
        ...

    def session(
        self, name: str, *, defaults: SessionMetadata | None = None
    ) -> AbstractAsyncContextManager[Session]:
        """``async with store.session(name) as s:`` gets the session and closes the handle."""
        ...

    async def delete(self, name: str) -> bool:
        """Remove a session; ``True`` if it existed."""
        ...

    async def list(self) -> builtins.list[str]:
        """Names of all sessions, sorted."""
        ...

    async def exists(self, name: str) -> bool:
        """Whether *name* exists and has not expired."""
        ...

    async def last(self) -> str | None:
        """The most recently used session's name, or ``None`` if there is none."""
        ...

    async def all_metadata(self) -> dict[str, SessionMetadata]:
        """Every session's metadata by name."""
        ...

    async def expire(self) -> builtins.list[str]:
        """Remove every session idle for longer than its ``ttl``; returns their names."""
        ...

    def run_expiry(self, interval: float) -> AbstractAsyncContextManager[None]:
        """``async with store.run_expiry(60):`` calls :meth:`expire` every *interval*
        seconds in a task that ends with the block."""
        ...

    async def aclose(self) -> None:
        """Stop using the store (idempotent)."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
