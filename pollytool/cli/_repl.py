"""The interactive session: ``polly`` (or ``polly -c NAME``) with no prompt on a terminal.

Each message is answered like a one-shot prompt (tools, streaming, the exchange kept in the
context) with the answer rendered as Markdown. Ctrl-C stops the answer being written (the
partial answer is kept, marked interrupted) and the session goes on; Ctrl-C twice at the
prompt, or Ctrl-D, leaves. Resuming a context shows its last few turns.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markdown import Markdown

from ..errors import PollyError
from ..messages import ChatMessage, MessageRole, Usage
from ..sessions import Session
from ._attachments import Attachment, load_attachments
from ._conversation import Conversation, open_conversation
from ._errors import EXIT_OK, UsageError, error_line, secret_values
from ._input import LineReader, history_file
from ._markdown import MarkdownDisplay
from ._options import Options
from ._run import Runtime, build_request, open_agent
from ._settings import changes_for, resolve_settings
from ._slash import command_names, run_command
from ._turn import take_turn

__all__ = ["Repl", "run_repl"]

#: How many of the last user turns are shown when a context is resumed.
RESUME_TURNS = 3


class Repl:
    """The state of one interactive session."""

    def __init__(
        self,
        opts: Options,
        conversation: Conversation,
        runtime: Runtime,
        display: MarkdownDisplay,
        reader: LineReader,
    ) -> None:
        self.opts = opts
        self.conversation = conversation
        self.runtime = runtime
        self.agent = runtime.agent
        self.display = display
        self.reader = reader
        self.pending: list[Attachment] = []
        self.last_usage = Usage()
        self.total_usage = Usage()
        self._console = Console(file=sys.stdout)
        self._secrets = secret_values(os.environ)

    @property
    def session(self) -> Session:
        assert self.conversation.session is not None
        return self.conversation.session

    def say(self, text: str, end: str = "\n") -> None:
        """Print a line of the session's own (not the model's)."""
        self.display.pause()
        print(text, end=end, file=sys.stdout, flush=True)

    async def change(self, option: str, value: Any) -> None:
        """Change a setting for the rest of the session and in the context."""
        self.opts.flags.pop(option, None)  # the command line no longer overrides it
        metadata = await self.session.update_metadata(**changes_for({option: value}))
        self.conversation.metadata = metadata
        self.conversation.settings = resolve_settings(self.opts.flags, self.opts.env, metadata)

    def toolbar(self) -> str:
        settings = self.conversation.settings
        used = self.last_usage
        last = (
            f"last turn {used.input_tokens}→{used.output_tokens} tokens"
            if used.total_tokens
            else ""
        )
        parts = [settings.model, self.conversation.context or "not saved", last]
        return " │ ".join(part for part in parts if part)

    # ------------------------------------------------------------------ the session

    async def resume(self) -> None:
        """Show the last few turns of a resumed context."""
        history = await self.session.get_history(full=True)
        users = [i for i, m in enumerate(history) if m.role == MessageRole.USER]
        if not users:
            return
        start = users[-RESUME_TURNS] if len(users) >= RESUME_TURNS else users[0]
        self.say(f"─── Resuming context '{self.conversation.context}' "
                 f"({len(history)} messages) ───")  # fmt: skip
        for message in history[start:]:
            self._replay(message)
        self.say("───")

    def _replay(self, message: ChatMessage) -> None:
        if message.role == MessageRole.USER:
            self._console.print(f"> {message.text}", style="bold", markup=False, highlight=False)
        elif message.role == MessageRole.ASSISTANT:
            for call in message.tool_calls:
                self._console.print(f"  → {call.name}", style="cyan", markup=False)
            if message.text:
                self._console.print(Markdown(message.text))

    async def loop(self) -> int:
        """Read and answer messages until the user leaves; returns the exit status."""
        interrupted_at_prompt = False
        while True:
            try:
                line = await self.reader.read(self.toolbar)
            except EOFError:
                return EXIT_OK
            except KeyboardInterrupt:
                if interrupted_at_prompt:
                    return EXIT_OK
                interrupted_at_prompt = True
                self.say("(Ctrl-C again or Ctrl-D to leave)")
                continue
            interrupted_at_prompt = False
            if not line.strip():
                continue
            try:
                if line.startswith("/"):
                    if await run_command(self, line):
                        return EXIT_OK
                else:
                    await self.turn(line)
            except PollyError as exc:
                self.display.end_answer()
                self.say(error_line(exc, self._secrets))

    async def turn(self, text: str) -> None:
        """Answer one message (with the attachments added by ``/file``)."""
        parts = [part for attachment in self.pending for part in attachment.parts()]
        self.pending.clear()
        history = await self.session.get_history()
        user = ChatMessage.user(text, *parts)
        req = build_request(self.opts, self.conversation, self.runtime, history, user)
        outcome = await take_turn(self.agent, self.display, req, self.conversation)
        self.last_usage = outcome.usage
        self.total_usage += outcome.usage


async def run_repl(opts: Options) -> int:
    """Run the interactive session for the command line *opts*."""
    if opts.schema:
        raise UsageError("--schema needs a prompt (-p or standard input)")
    display = MarkdownDisplay()
    async with (
        open_conversation(opts, display, in_memory=True) as conversation,
        open_agent(opts, conversation, display) as runtime,
    ):
        path = history_file(Path.home(), conversation.context)
        reader = await LineReader.open(path, command_names())
        repl = Repl(opts, conversation, runtime, display, reader)
        repl.pending = await load_attachments(opts.files)
        await repl.resume()
        return await repl.loop()
