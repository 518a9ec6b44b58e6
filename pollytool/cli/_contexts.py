"""Context management: ``--list``, ``--show``, ``--create``, ``--reset``, ``--delete``,
``--purge`` and ``--add``.

Contexts live in the file session store (``~/.pollytool/contexts``). Questions
("Delete context 'x' permanently?") are asked on the terminal, never read from standard
input; ``--yes`` answers them for scripts.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from ..errors import SessionError, SessionNotFoundError
from ..messages import ChatMessage
from ..sessions import FileSessionStore, SessionMetadata
from ._attachments import load_attachments
from ._conversation import context_name, open_context
from ._display import Display
from ._errors import EXIT_OK, UsageError
from ._options import Options
from ._settings import initial_metadata
from ._terminal import confirm
from ._tools import ToolSources

__all__ = ["manage_contexts"]


def _ago(when: datetime) -> str:
    seconds = (datetime.now(UTC) - when).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    count, unit = (
        (int(seconds // 86400), "day") if seconds >= 86400 else (int(seconds // 3600), "hour")
    )
    return f"{count} {unit}{'s' if count > 1 else ''} ago"


def _seconds(value: float | None) -> str:
    if value is None:
        return "default"
    return f"{value:g}s"


def _out(text: str = "") -> None:
    print(text, file=sys.stdout, flush=True)


async def _require(store: FileSessionStore, name: str) -> None:
    if not await store.exists(name):
        raise SessionNotFoundError(f"no context named '{name}' (polly --list shows them)")


async def _list(store: FileSessionStore) -> None:
    every = await store.all_metadata()
    if not every:
        _out("No contexts found")
        return
    last = await store.last()
    for name, meta in every.items():
        mark = " *" if name == last else ""
        _out(f"{name} [{meta.model or 'default model'}] - last used: {_ago(meta.last_used)}{mark}")


async def _show(store: FileSessionStore, name: str) -> None:
    await _require(store, name)
    async with store.session(name) as session:
        meta = await session.get_metadata()
        stats = await session.stats()
    _print_metadata(meta)
    counts = ", ".join(f"{role} {count}" for role, count in sorted(stats.message_counts.items()))
    _out(f"Messages:       {sum(stats.message_counts.values())}"
         + (f" ({counts}), about {stats.total_tokens} tokens" if counts else ""))  # fmt: skip


def _print_metadata(meta: SessionMetadata) -> None:
    temperature = "default" if meta.temperature is None else f"{meta.temperature:.2f}"
    limit = "unlimited" if meta.max_history_tokens is None else f"{meta.max_history_tokens} tokens"
    rows = [
        ("Context", meta.name),
        ("Created", f"{meta.created:%Y-%m-%d %H:%M} UTC ({_ago(meta.created)})"),
        ("Last used", _ago(meta.last_used)),
        ("Model", meta.model or "default"),
        ("Temperature", temperature),
        ("Max tokens", str(meta.max_tokens or "default")),
        ("Thinking", meta.thinking or "default"),
        ("Max context", limit),
        ("Tool timeout", _seconds(meta.tool_timeout)),
        ("Max iterations", str(meta.max_iterations or "default")),
        ("Description", meta.description or "-"),
        ("System prompt", meta.system_prompt or "-"),
    ]
    for label, value in rows:
        _out(f"{label + ':':<15} {value}")
    _out(f"{'Tools:':<15} {'-' if not (meta.tools or meta.mcp_servers) else ''}".rstrip())
    for spec in meta.tools:
        _out(f"  - {spec.get('source')} [{spec.get('type')}]")
    for command in meta.mcp_servers:
        _out(f"  - {command} [mcp command]")
    _out(f"{'Skills:':<15} {', '.join(meta.skills) or '-'}")


async def _create(store: FileSessionStore, name: str, opts: Options) -> None:
    if await store.exists(name):
        raise SessionError(f"context '{name}' already exists (--show {name} shows it)")
    metadata = initial_metadata(opts.flags, opts.env)
    sources = ToolSources(list(opts.tools), list(opts.mcp))
    if sources:
        metadata = metadata.with_changes(**sources.changes())
    async with store.session(name, defaults=metadata):
        pass
    await _show(store, name)


async def _reset(store: FileSessionStore, name: str, opts: Options, display: Display) -> None:
    await _require(store, name)
    if not await confirm(
        f"Reset context '{name}' (clear its history)?",
        default=False, assume_yes=opts.yes, pause=display.pause,
    ):  # fmt: skip
        display.notice("Nothing was changed.")
        return
    async with open_context(store, name, opts, display) as (session, _):
        await session.clear()
    display.notice(f"Reset context '{name}' (history cleared, settings kept)")


async def _delete(store: FileSessionStore, name: str, opts: Options, display: Display) -> None:
    await _require(store, name)
    if not await confirm(
        f"Delete context '{name}' permanently?", default=False, assume_yes=opts.yes
    ):
        display.notice("Nothing was deleted.")
        return
    await store.delete(name)
    display.notice(f"Context '{name}' deleted")


async def _purge(store: FileSessionStore, opts: Options, display: Display) -> None:
    names = await store.list()
    if not names:
        display.notice("No contexts found")
        return
    question = f"Delete all {len(names)} context(s) and their history permanently?"
    if not await confirm(question, default=False, assume_yes=opts.yes):
        display.notice("Nothing was deleted.")
        return
    deleted = sum([await store.delete(name) for name in names])
    display.notice(f"Purged {deleted} context(s)")


async def _add(store: FileSessionStore, opts: Options, text: str, display: Display) -> None:
    attachments = await load_attachments(opts.files)
    messages = [ChatMessage.user(text)] if text.strip() else []
    messages += [attachment.message() for attachment in attachments]
    if not messages:
        raise UsageError("--add needs text (-p or standard input) or files (-f)")
    name = await context_name(opts, store)
    if name is None:
        name = await store.last()
        if name is None:
            raise UsageError("--add needs a context: name one with -c NAME")
        if not await confirm(
            f"No context given. Add to the last used context '{name}'?",
            default=True, assume_yes=opts.yes,
        ):  # fmt: skip
            display.notice("Nothing was added.")
            return
    async with open_context(store, name, opts, display) as (session, _):
        await session.add_messages(messages)
    display.notice(f"Added {len(messages)} message(s) to context '{name}'")


async def manage_contexts(opts: Options, text: str, display: Display) -> int:
    """Carry out the context-management flag of *opts*; *text* is ``--add``'s prompt."""
    store = FileSessionStore()
    if opts.list_contexts:
        await _list(store)
    elif opts.show is not None:
        await _show(store, opts.show)
    elif opts.create is not None:
        await _create(store, opts.create, opts)
    elif opts.reset is not None:
        await _reset(store, opts.reset, opts, display)
    elif opts.delete is not None:
        await _delete(store, opts.delete, opts, display)
    elif opts.purge:
        await _purge(store, opts, display)
    elif opts.add:
        await _add(store, opts, text, display)
    return EXIT_OK
