"""Running the real ``polly`` (``python -m pollytool``) as a child process: with pipes, or
with standard error (and optionally standard output) on a pseudo-terminal that is also the
child's controlling terminal (``setsid -c``), so ``/dev/tty`` questions can be answered."""

from __future__ import annotations

import fcntl
import math
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fakes.loopback import Reply
from tests.providers._openai_support import chunk

__all__ = [
    "Polly",
    "Result",
    "TerminalSession",
    "interrupt",
    "reasoning_reply",
    "text_reply",
    "tool_call_reply",
]

COMMAND = [sys.executable, "-m", "pollytool"]
TIMEOUT = 60.0

# --------------------------------------------------------------------------- replies


def _usage(prompt: int = 11, completion: int = 5) -> dict[str, int]:
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}  # fmt: skip


def text_reply(*pieces: str, finish: str = "stop", hang_after: int | None = None) -> Reply:
    """A streamed Chat Completions answer made of *pieces*; with *hang_after* the server
    stops (for good) after that many pieces."""
    frames: list[Any] = [chunk({"role": "assistant", "content": ""})]
    frames += [chunk({"content": piece}) for piece in pieces]
    frames += [chunk(finish=finish), chunk(usage=_usage()), "data: [DONE]"]
    reply = Reply.sse(frames)
    if hang_after is not None:
        reply.chunks.insert(1 + hang_after, math.inf)
    return reply


def reasoning_reply(reasoning: str, answer: str) -> Reply:
    """An answer preceded by streamed reasoning (``reasoning_content``)."""
    frames: list[Any] = [
        chunk({"role": "assistant", "content": ""}),
        chunk({"reasoning_content": reasoning}),
        chunk({"content": answer}),
        chunk(finish="stop"),
        chunk(usage=_usage()),
        "data: [DONE]",
    ]
    return Reply.sse(frames)


def tool_call_reply(*calls: tuple[str, str, str], reasoning: str = "") -> Reply:
    """A turn that calls tools: each call is (id, name, JSON arguments), after *reasoning*."""
    frames: list[Any] = [chunk({"role": "assistant", "content": None})]
    if reasoning:
        frames.append(chunk({"reasoning_content": reasoning}))
    for index, (call_id, name, arguments) in enumerate(calls):
        function = {"name": name, "arguments": arguments}
        frames.append(chunk({"tool_calls": [{"index": index, "id": call_id, "type": "function",
                                             "function": function}]}))  # fmt: skip
    frames += [chunk(finish="tool_calls"), chunk(usage=_usage()), "data: [DONE]"]
    return Reply.sse(frames)


# --------------------------------------------------------------------------- running


@dataclass
class Result:
    """How a run ended: exit status, standard output, and standard error (or, for terminal
    runs, everything the terminal showed)."""

    code: int
    stdout: str
    stderr: str


def _setsid() -> str:
    found = shutil.which("setsid")
    if found is None:  # util-linux is essential on Debian; fail loudly anywhere else
        raise RuntimeError("the terminal tests need setsid (util-linux)")
    return found


class Polly:
    """Runs ``polly`` with HOME=*home* and *env* on top of the environment (minus every
    ``POLLYTOOL_*`` variable of the test process)."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home = home
        self._env = env

    @property
    def contexts(self) -> Path:
        return self.home / ".pollytool" / "contexts"

    def environment(self, extra: dict[str, str | None] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("POLLYTOOL_")}
        env.update(HOME=str(self.home), COLUMNS="100", **self._env)
        for key, value in (extra or {}).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def run(
        self, *args: str, stdin: str | bytes = "", env: dict[str, str | None] | None = None
    ) -> Result:
        """Run with pipes for all three streams; no controlling terminal."""
        data = stdin.encode() if isinstance(stdin, str) else stdin
        proc = subprocess.run(
            [*COMMAND, *args], input=data, capture_output=True, env=self.environment(env),
            timeout=TIMEOUT, start_new_session=True, check=False,
        )  # fmt: skip
        return Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode())

    def start(
        self, *args: str, env: dict[str, str | None] | None = None
    ) -> subprocess.Popen[bytes]:
        """Start with pipes and return the process (for signal tests)."""
        return subprocess.Popen(
            [*COMMAND, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=self.environment(env), start_new_session=True,
        )  # fmt: skip

    def run_tty(
        self,
        *args: str,
        answers: Sequence[tuple[str, str]] = (),
        stdout_tty: bool = False,
        stdin_file: Path | None = None,
        env: dict[str, str | None] | None = None,
    ) -> Result:
        """Run with standard input and error on a terminal (the controlling terminal) and
        standard output piped, or also on the terminal with *stdout_tty*; with *stdin_file*
        standard input is that file instead. Each ``(text, answer)`` of *answers* types
        *answer* once *text* has appeared."""
        master, slave = pty.openpty()
        stdout: Any = slave if stdout_tty else subprocess.PIPE
        redirect = ["sh", "-c", 'exec "$@" < "$0"', str(stdin_file)] if stdin_file else []
        proc = subprocess.Popen(
            [_setsid(), "-c", *redirect, *COMMAND, *args], stdin=slave, stdout=stdout,
            stderr=slave, env=self.environment(env),
        )  # fmt: skip
        os.close(slave)
        screen, out = bytearray(), bytearray()
        pending = list(answers)
        streams = [master] + ([] if stdout_tty else [proc.stdout.fileno()])  # type: ignore[union-attr]
        deadline = time.monotonic() + TIMEOUT
        while streams and time.monotonic() < deadline:
            ready, _, _ = select.select(streams, [], [], 0.5)
            for fd in ready:
                try:
                    data = os.read(fd, 65536)
                except OSError:  # EIO: the terminal's other side is closed
                    data = b""
                if not data:
                    streams.remove(fd)
                    continue
                (screen if fd == master else out).extend(data)
            if pending and pending[0][0].encode() in screen:
                os.write(master, pending.pop(0)[1].encode())
        os.close(master)
        code = proc.wait(timeout=TIMEOUT)
        if proc.stdout is not None:
            proc.stdout.close()
        text = screen.decode(errors="replace")
        return Result(code, out.decode() if not stdout_tty else text, text)


def interrupt(proc: subprocess.Popen[bytes], after: bytes) -> Result:
    """Wait until *after* appears on *proc*'s stdout, send SIGINT, collect the rest."""
    assert proc.stdout is not None and proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + TIMEOUT
    while after not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            data = os.read(proc.stdout.fileno(), 65536)
            if not data:
                break
            seen += data
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=TIMEOUT)
    return Result(proc.returncode, (seen + rest).decode(), err.decode())


_ANSI = re.compile(
    r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[=>78]|[\x08\r]"
)
_CURSOR_QUERY = b"\x1b[6n"


class TerminalSession:
    """``polly`` with all three streams on a terminal (its controlling terminal, 100x30),
    driven like a person would: :meth:`expect` text, :meth:`send` keys. Cursor position
    queries are answered, as a real terminal does."""

    def __init__(self, polly: Polly, *args: str, env: dict[str, str | None] | None = None):
        self._master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self._proc = subprocess.Popen(
            [_setsid(), "-c", *COMMAND, *args], stdin=slave, stdout=slave, stderr=slave,
            env=polly.environment(env),
        )  # fmt: skip
        os.close(slave)
        self._raw = bytearray()
        self.screen = ""  # everything shown so far, without escape sequences
        self._seen = 0  # how much of the screen expect() has consumed

    def _pump(self, timeout: float) -> bool:
        ready, _, _ = select.select([self._master], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self._master, 65536)
        except OSError:
            data = b""
        if not data:
            return False
        if _CURSOR_QUERY in data:
            os.write(self._master, b"\x1b[1;1R")
        self._raw.extend(data)
        self.screen = _ANSI.sub("", self._raw.decode(errors="replace"))
        return True

    def expect(self, text: str, timeout: float = 30.0) -> str:
        """Wait until *text* appears (after what earlier calls matched); return the screen
        text up to and including it."""
        deadline = time.monotonic() + timeout
        while (found := self.screen.find(text, self._seen)) < 0:
            if time.monotonic() > deadline or not self._pump(0.2):
                raise AssertionError(f"{text!r} did not appear; the screen shows:\n{self.screen}")
        shown = self.screen[self._seen : found + len(text)]
        self._seen = found + len(text)
        return shown

    def send(self, keys: str) -> None:
        os.write(self._master, keys.encode())

    def wait(self, timeout: float = 30.0) -> int:
        """Read until the program ends; its exit status."""
        deadline = time.monotonic() + timeout
        while self._pump(0.2) and time.monotonic() < deadline:
            if self._proc.poll() is not None and not select.select([self._master], [], [], 0)[0]:
                break
        code = self._proc.wait(timeout=max(deadline - time.monotonic(), 1.0))
        os.close(self._master)
        return code
