"""Reading the interactive session's input with prompt_toolkit: Enter sends, Alt-Enter or
Esc Enter starts a new line, pasted text (bracketed paste) is kept whole, the history is kept
per context across sessions, and Tab completes slash commands and file paths."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import anyio
from prompt_toolkit import PromptSession
from prompt_toolkit.completion import (
    CompleteEvent,
    Completer,
    Completion,
    PathCompleter,
    WordCompleter,
)
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.output import create_output

__all__ = ["LineReader", "SlashCompleter", "history_file"]

#: Commands whose argument is a file path (completed as one).
PATH_COMMANDS = ("/file", "/save")


def history_file(home: Path, context: str | None) -> Path:
    """Where the input history of *context* (or of sessions without one) is kept."""
    return home / ".pollytool" / "history" / (context or "_no_context")


class SlashCompleter(Completer):
    """Slash commands at the start of the line, file paths after ``/file`` and ``/save``."""

    def __init__(self, commands: Sequence[str]) -> None:
        self._words = WordCompleter(list(commands), sentence=True)
        self._paths = PathCompleter(expanduser=True)

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        text = document.text_before_cursor
        if not text.startswith("/"):
            return
        command, space, argument = text.partition(" ")
        if not space:
            yield from self._words.get_completions(document, complete_event)
        elif command in PATH_COMMANDS:
            inner = Document(argument, len(argument))
            yield from self._paths.get_completions(inner, complete_event)


class LineReader:
    """Reads one message (or command) at a time from the terminal."""

    def __init__(self, session: PromptSession[str]) -> None:
        self._session = session

    @classmethod
    async def open(cls, history_path: Path, commands: Sequence[str]) -> LineReader:
        """A reader keeping its history in *history_path*, completing *commands*."""
        await anyio.Path(history_path.parent).mkdir(parents=True, exist_ok=True, mode=0o700)
        bindings = KeyBindings()

        @bindings.add("escape", "enter")
        def _new_line(event: KeyPressEvent) -> None:
            event.current_buffer.insert_text("\n")

        session: PromptSession[str] = PromptSession(
            history=FileHistory(str(history_path)),
            completer=SlashCompleter(commands),
            key_bindings=bindings,
            complete_while_typing=False,
            output=create_output(always_prefer_tty=True),
        )
        return cls(session)

    async def read(self, toolbar: Callable[[], str]) -> str:
        """The next line typed; raises ``EOFError`` on Ctrl-D and ``KeyboardInterrupt`` on
        Ctrl-C."""
        return await self._session.prompt_async("> ", bottom_toolbar=toolbar)
