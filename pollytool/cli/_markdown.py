"""The interactive display: the answer rendered as Markdown, one block at a time.

Text is held back until a block is complete (a blank line outside a code fence, or the fence
that closes a code block), then that block is rendered with rich: headings, lists, emphasis,
and code blocks highlighted. The spinner keeps turning while a block is being written.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ._display import Display

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["MarkdownDisplay", "split_complete_blocks"]

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


def split_complete_blocks(text: str) -> tuple[str, str]:
    """Split streamed Markdown into (complete blocks, the rest still being written)."""
    complete_until = 0
    fence: str | None = None
    position = 0
    for line in text.splitlines(keepends=True):
        position += len(line)
        if not line.endswith("\n"):
            break  # an unfinished line
        match = _FENCE.match(line)
        if fence is None:
            if match:
                fence = match.group(1)
            elif not line.strip():
                complete_until = position
        elif match and match.group(1).startswith(fence) and not line.strip(" \t\n`~"):
            fence = None
            complete_until = position
    return text[:complete_until], text[complete_until:]


class MarkdownDisplay(Display):
    """A :class:`~pollytool.cli._display.Display` that renders the answer as Markdown."""

    def __init__(self) -> None:
        super().__init__()
        self._pending = ""
        self._out_console: Console | None = None

    def answer(self, text: str) -> None:
        self._pending += text
        complete, self._pending = split_complete_blocks(self._pending)
        if complete.strip():
            self._render(complete)
        if self._pending:
            self.status("writing")

    def end_answer(self) -> None:
        if self._pending.strip():
            self._render(self._pending)
        self._pending = ""

    def _render(self, text: str) -> None:
        from rich.console import Console
        from rich.markdown import Markdown

        self.pause()
        self._close_reasoning()
        if self._out_console is None:
            self._out_console = Console(file=self.out)
        self._out_console.print(Markdown(text, code_theme="monokai"))
