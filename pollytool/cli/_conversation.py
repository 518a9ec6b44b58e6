"""The conversation a prompt joins: a saved context (a session of the file store) or a
one-off history, with the settings resolved for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from ..errors import SessionNotFoundError
from ..messages import ChatMessage
from ..sessions import (
    FileSessionStore,
    MemorySessionStore,
    Session,
    SessionMetadata,
    SessionStore,
)
from ._display import Display
from ._options import Options
from ._settings import Settings, changes_for, initial_metadata, resolve_settings

#: The in-memory session of an interactive run without a context.
_UNNAMED = "interactive"

__all__ = ["Conversation", "apply_flags", "context_name", "open_context", "open_conversation"]


@dataclass(slots=True)
class Conversation:
    """Where a prompt's messages come from and go to.

    Attributes:
        settings: what the conversation runs with.
        history: the messages to send before the new prompt (trimmed to the history limit).
        session: the context's session, or ``None`` for a one-off run.
        metadata: the context's metadata after this command's changes.
        context: the context's name; ``None`` without one.
    """

    settings: Settings
    history: list[ChatMessage]
    session: Session | None = None
    metadata: SessionMetadata | None = None
    context: str | None = None

    async def save(self, messages: list[ChatMessage]) -> None:
        """Append *messages* to the context in one write (nothing happens without one)."""
        if self.session is not None and messages:
            await self.session.add_messages(messages)


async def context_name(opts: Options, store: FileSessionStore) -> str | None:
    """The context this command uses: ``-c NAME``, ``$POLLYTOOL_CONTEXT`` or ``-L``."""
    if opts.last:
        name = await store.last()
        if name is None:
            raise SessionNotFoundError(
                "-L/--last has nothing to continue: no context has been used yet"
            )
        return name
    return opts.context


async def apply_flags(
    session: Session, opts: Options, display: Display, *, existed: bool
) -> SessionMetadata:
    """Store the settings typed on the command line in the context; a new system prompt
    clears the history, which then starts with that prompt."""
    metadata = await session.get_metadata()
    system = opts.flags.get("system_prompt")
    if existed and system is not None and system != metadata.system_prompt:
        await session.update_metadata(system_prompt=system)
        await session.clear()
        display.notice(f"System prompt changed: the history of '{session.name}' was cleared.")
    changes = changes_for({k: v for k, v in opts.flags.items() if k != "system_prompt"})
    if changes:
        return await session.update_metadata(**changes)
    return await session.get_metadata()


@asynccontextmanager
async def open_context(
    store: SessionStore, name: str, opts: Options, display: Display
) -> AsyncIterator[tuple[Session, SessionMetadata]]:
    """Open (creating it if needed, with a notice) the context *name* with this command's
    settings applied. The name ``""`` stands for the in-memory session of an interactive
    run without a context."""
    existed = await store.exists(name or _UNNAMED)
    defaults = initial_metadata(opts.flags, opts.env)
    async with store.session(name or _UNNAMED, defaults=defaults) as session:
        if not existed and name:
            display.notice(f"Created new context '{_short(name)}'")
        metadata = await apply_flags(session, opts, display, existed=existed)
        yield session, metadata


@asynccontextmanager
async def open_conversation(
    opts: Options, display: Display, *, in_memory: bool = False
) -> AsyncIterator[Conversation]:
    """The conversation for a chat: the context's (see :func:`context_name`) or, without
    one, a fresh history holding just the system prompt; with *in_memory* that history is a
    session kept in memory (the interactive session's, changed by its commands)."""
    store = FileSessionStore()
    name = await context_name(opts, store)
    if name is None and not in_memory:
        settings = resolve_settings(opts.flags, opts.env)
        system = settings.system_prompt
        yield Conversation(settings, [ChatMessage.system(system)] if system else [])
        return
    chosen = MemorySessionStore() if name is None else store
    async with open_context(chosen, name or "", opts, display) as (session, metadata):
        settings = resolve_settings(opts.flags, opts.env, metadata)
        history = await session.get_history()
        yield Conversation(settings, history, session, metadata, name)


def _short(name: str) -> str:
    return name if len(name) <= 40 else name[:37] + "..."
