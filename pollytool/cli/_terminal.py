"""Questions asked on the controlling terminal (``/dev/tty``), never on standard input,
which may be carrying the prompt."""

from __future__ import annotations

import os
from collections.abc import Callable

import anyio

from ._errors import UsageError

__all__ = ["Terminal", "confirm"]


class Terminal:
    """The controlling terminal, opened for one question or a run's worth of them."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    @classmethod
    def open(cls) -> Terminal | None:
        """The controlling terminal, or ``None`` when the process has none (a cron job, a
        pipeline started without one, CI)."""
        try:
            fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
        except OSError:
            return None
        return cls(fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def ask(self, question: str) -> str:
        """Show *question* and return the line typed (without the newline); ``""`` on
        end of input. Waiting does not block the event loop and can be cancelled."""
        os.write(self._fd, question.encode())
        line = b""
        while not line.endswith(b"\n"):
            await anyio.wait_readable(self._fd)
            chunk = os.read(self._fd, 1024)
            if not chunk:
                break
            line += chunk
        return line.decode(errors="replace").strip()


async def confirm(
    question: str,
    *,
    default: bool,
    assume_yes: bool,
    pause: Callable[[], None] | None = None,
) -> bool:
    """Ask a yes/no *question* on the terminal; *default* answers an empty line.

    With *assume_yes* (``--yes``) the answer is yes without asking. Without a terminal the
    question cannot be asked: that is a :class:`UsageError` telling the user about ``--yes``
    (never a silent yes or no).
    """
    if assume_yes:
        return True
    terminal = Terminal.open()
    if terminal is None:
        raise UsageError(f"{question!r} needs an answer but there is no terminal; pass --yes")
    if pause is not None:
        pause()
    hint = "[Y/n]" if default else "[y/N]"
    with terminal:
        answer = (await terminal.ask(f"{question} {hint} ")).lower()
    if not answer:
        return default
    return answer in ("y", "yes")
