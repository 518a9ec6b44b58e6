"""What ``polly`` shows while it runs.

Standard output carries the answer and nothing else, so ``polly ... > file`` and pipes get
exactly the reply. Everything else goes to standard error: warnings and notices always (notices
not with ``--quiet``), and, when standard error is a terminal and ``--quiet`` is not given, a
spinner while waiting, the model's reasoning (dimmed) and each tool call as it runs::

      → get_weather {"city": "Paris"}
      ✓ 0.4s get_weather
      ✗ 1.2s fetch_page — tool 'fetch_page' did not finish within 30s
"""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, TextIO

import anyio

from ..events import (
    AgentEvent,
    CompleteEvent,
    ContentEvent,
    ReasoningEvent,
    ToolCallEvent,
    ToolCallStartEvent,
    ToolResultEvent,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live
    from rich.spinner import Spinner

    from ..messages import ChatMessageToolCall

__all__ = ["Display", "summarize_call"]

_SUMMARY_WIDTH = 100


def _clip(text: str, width: int = _SUMMARY_WIDTH) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def summarize_call(call: ChatMessageToolCall) -> str:
    """``name {args}`` on one line, shortened to fit."""
    try:
        args = json.dumps(call.args, ensure_ascii=False)
    except ValueError:
        args = call.arguments
    return _clip(f"{call.name} {args}" if args not in ("{}", "") else call.name)


class Display:
    """Writes the answer to *stdout* and everything else to *stderr* (see the module
    documentation for what appears when)."""

    def __init__(
        self, *, quiet: bool = False, stdout: TextIO | None = None, stderr: TextIO | None = None
    ) -> None:
        self.out = stdout or sys.stdout
        self.err = stderr or sys.stderr
        self.quiet = quiet
        self.live_activity = not quiet and self.err.isatty()
        self._console: Console | None = None
        self._live: Live | None = None
        self._status = ""
        self._status_since = 0.0
        self._answer_tail = ""  # last character written to stdout ("": nothing yet)
        self._separate_next_answer = False
        self._reasoning_open = False
        self._plain = False  # rich is missing: plain lines, no spinner

    # ------------------------------------------------------------------ stderr, always

    def notice(self, message: str) -> None:
        """An informational line on stderr (not with ``--quiet``)."""
        if not self.quiet:
            self._line(message)

    def warning(self, message: str) -> None:
        """A ``Warning:`` line on stderr, even with ``--quiet``."""
        self._line(f"Warning: {message}")

    def _line(self, text: str, style: str | None = None) -> None:
        self.pause()
        self._close_reasoning()
        console = self._rich()
        if console is not None:
            console.print(text, style=style, markup=False, highlight=False)
        else:
            print(text, file=self.err, flush=True)

    # ------------------------------------------------------------------ the answer

    def answer(self, text: str) -> None:
        """Part of the answer, written to stdout as it arrives."""
        if not text:
            return
        self.pause()
        self._close_reasoning()
        if self._separate_next_answer and self._answer_tail:
            self.out.write("\n" if self._answer_tail == "\n" else "\n\n")
            self._separate_next_answer = False
        self.out.write(text)
        self.out.flush()
        self._answer_tail = text[-1]

    def end_answer(self) -> None:
        """Finish the answer with a newline if it does not end with one."""
        if self._answer_tail not in ("", "\n"):
            self.out.write("\n")
            self.out.flush()
            self._answer_tail = "\n"

    # ------------------------------------------------------------------ live activity

    def show(self, event: AgentEvent, *, stream_answer: bool = True) -> None:
        """Show one event of a tool loop; with *stream_answer* off the answer's text is not
        written (``--schema`` prints the validated JSON at the end instead)."""
        if isinstance(event, ContentEvent):
            if stream_answer:
                self.answer(event.content)
            else:
                self.status("writing the answer")
        elif isinstance(event, ReasoningEvent):
            self._reasoning(event.content)
        elif isinstance(event, ToolCallStartEvent):
            self.status(f"preparing a call to {event.name}")
        elif isinstance(event, ToolCallEvent):
            self._activity(f"  → {summarize_call(event.tool_call)}", "cyan")
        elif isinstance(event, CompleteEvent):
            if event.message.tool_calls:
                names = ", ".join(dict.fromkeys(c.name for c in event.message.tool_calls))
                self.status(f"running {names}")
            if event.message.text.strip():
                self._separate_next_answer = True
        elif isinstance(event, ToolResultEvent):
            self._tool_result(event)

    def _tool_result(self, event: ToolResultEvent) -> None:
        name = event.tool_call.name
        if event.is_error:
            line = f"  ✗ {event.duration:.1f}s {name} — {_clip(event.result)}"
            self._activity(line, "red")
        else:
            self._activity(f"  ✓ {event.duration:.1f}s {name}", "green")
        self.status("waiting for the model")

    def _activity(self, text: str, style: str) -> None:
        if self.live_activity:
            self._line(text, style)

    def _reasoning(self, text: str) -> None:
        if not self.live_activity:
            return
        self.pause()
        console = self._rich()
        if console is not None:
            console.print(text, style="dim", end="", markup=False, highlight=False)
        else:
            self.err.write(text)
            self.err.flush()
        self._reasoning_open = not text.endswith("\n")

    def _close_reasoning(self) -> None:
        if self._reasoning_open:
            self.err.write("\n")
            self.err.flush()
        self._reasoning_open = False

    def _rich(self) -> Console | None:
        """The rich console for the terminal; ``None`` when not showing live activity or
        when rich (the ``cli`` extra) is not installed: lines are then printed plainly and
        there is no spinner."""
        if not self.live_activity or self._plain:
            return None
        if self._console is None:
            try:
                from rich.console import Console
            except ImportError:
                self._plain = True
                return None
            self._console = Console(file=self.err, highlight=False, soft_wrap=True)
        return self._console

    # ------------------------------------------------------------------ the spinner

    def status(self, text: str) -> None:
        """Show a spinner with *text* and the time since it was set (terminal only)."""
        console = self._rich()
        if console is None:
            return
        if text != self._status:
            self._status, self._status_since = text, time.monotonic()
        if self._live is None:
            from rich.live import Live

            self._close_reasoning()
            self._live = Live(
                self._spinner(), console=console, transient=True, auto_refresh=False,
                redirect_stdout=False, redirect_stderr=False,
            )  # fmt: skip
            self._live.start()
        self._live.update(self._spinner(), refresh=True)

    def _spinner(self) -> Spinner:
        from rich.spinner import Spinner

        elapsed = time.monotonic() - self._status_since
        return Spinner("dots", text=f"{self._status} [{elapsed:.1f}s]", style="cyan")

    def pause(self) -> None:
        """Take the spinner off the screen (before anything else is written)."""
        if self._live is not None:
            self._live.stop()
            self._live = None

    async def animate(self) -> None:
        """Keep the spinner turning; run it in a task for as long as the display is used."""
        if not self.live_activity:
            return
        while True:
            await anyio.sleep(0.1)
            if self._live is not None:
                self._live.update(self._spinner(), refresh=True)
