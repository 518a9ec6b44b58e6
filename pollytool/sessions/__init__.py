"""Persistent conversations: named sessions with history and settings.

::

    from pollytool.sessions import FileSessionStore, SessionMetadata

    store = FileSessionStore(defaults=SessionMetadata(system_prompt="You are terse."))
    async with store.session("notes") as session:
        await session.add_message(ChatMessage.user("Hello"))
        history = await session.get_history()
        await session.update_metadata(model="openai/gpt-5.4", temperature=0)

:class:`FileSessionStore` (the default) keeps each session as an append-only JSON Lines log
and a metadata file under ``~/.pollytool/contexts``; it is crash-safe and safe for several
processes at once. :class:`MemorySessionStore` keeps sessions in memory, with optional expiry.
Both follow the :class:`SessionStore` / :class:`Session` protocols.
"""

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

__all__ = [
    "DEFAULT_PATH",
    "FileSession",
    "FileSessionStore",
    "MemorySession",
    "MemorySessionStore",
    "MetadataChanges",
    "Session",
    "SessionMetadata",
    "SessionRecoveryWarning",
    "SessionStats",
    "SessionStore",
    "estimate_tokens",
    "history_stats",
    "history_tokens",
    "trim_history",
    "validate_session_name",
]
