"""Persistent conversations: named sessions with history and settings.

::

    from pollytool.sessions import FileSessionStore, SessionMetadata

    store = FileSessionStore(defaults=SessionMetadata(system_prompt="You are terse."))
    async with store.session("notes") as session:
        await session.add_message(ChatMessage.user("Hello"))
        history = await session.get_history()
        await session.update_metadata(model="openai/gpt-5.4", temperature=0)

Every store follows the :class:`SessionStore` / :class:`Session` protocols:

- :class:`FileSessionStore` (the default) keeps each session as an append-only JSON Lines log
  and a metadata file under ``~/.pollytool/contexts``; crash-safe, and safe for several
  processes at once.
- :class:`MemorySessionStore` keeps sessions in memory, with optional expiry.
- :class:`SQLiteSessionStore` keeps every session in one SQLite database (WAL mode, one row
  per message): several processes on one host, and queries over sessions
  (:meth:`~SQLiteSessionStore.summaries`).
- :class:`RedisSessionStore` keeps sessions in Redis for services on several hosts (atomic
  appends, metadata as a hash, optional expiry by Redis itself). Needs the ``redis`` extra
  (``pip install 'pollytool[redis]'``) and runs on asyncio.

The SQLite and Redis stores are imported on first use.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports
from ._names import validate_session_name
from .base import (
    MetadataChanges,
    Session,
    SessionMetadata,
    SessionRecoveryWarning,
    SessionStore,
)
from .file import DEFAULT_PATH, FileSession, FileSessionStore
from .memory import MemorySession, MemorySessionStore
from .stats import SessionStats, history_stats
from .trim import estimate_tokens, history_tokens, trim_history

if TYPE_CHECKING:
    from .redis import RedisSession, RedisSessionStore
    from .sqlite import SessionSummary, SQLiteSession, SQLiteSessionStore

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "RedisSession": "redis",
        "RedisSessionStore": "redis",
        "SQLiteSession": "sqlite",
        "SQLiteSessionStore": "sqlite",
        "SessionSummary": "sqlite",
    },
)

__all__ = [
    "DEFAULT_PATH",
    "FileSession",
    "FileSessionStore",
    "MemorySession",
    "MemorySessionStore",
    "MetadataChanges",
    "RedisSession",
    "RedisSessionStore",
    "SQLiteSession",
    "SQLiteSessionStore",
    "Session",
    "SessionMetadata",
    "SessionRecoveryWarning",
    "SessionStats",
    "SessionStore",
    "SessionSummary",
    "estimate_tokens",
    "history_stats",
    "history_tokens",
    "trim_history",
    "validate_session_name",
]
