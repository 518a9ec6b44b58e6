"""The ``polly`` command: chat with a model from the shell.

::

    polly -p "Why is the sky blue?"                     # one answer, streamed to stdout
    git diff | polly -p "Review this" -f notes.md       # -p plus attachments
    echo "Summarise" | polly -f report.pdf -m openai/gpt-5.4
    polly -c work -p "Remember: the build uses nox"     # a saved context (conversation)
    polly --list | --show NAME | --reset NAME | --delete NAME | --purge | --create NAME
    polly -c work                                        # an interactive session (a terminal)
    polly embed "some text" -m gemini/gemini-embedding-001   # embedding vectors as JSON

Built on pollytool's public API only. Exit status: 0 ok, 1 error, 2 usage, 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

import anyio

from ._contexts import manage_contexts
from ._display import Display
from ._errors import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    UsageError,
    error_line,
    exit_code,
    secret_values,
)
from ._logging import configure_logging, log
from ._options import Options, parse_options
from ._run import run_prompt
from ._skills import list_skills

__all__ = ["main"]


def _read_stdin() -> str:
    data = sys.stdin.buffer.read() if sys.stdin is not None else b""
    return data.decode("utf-8", errors="replace").rstrip("\n")


def _prompt_text(opts: Options) -> str | None:
    """The prompt: ``-p``, else standard input when it is not a terminal; ``None`` for an
    interactive session (a terminal and no prompt)."""
    if opts.management not in (None, "--add"):
        return ""
    if opts.prompt is not None:
        return opts.prompt
    if sys.stdin is None or sys.stdin.isatty():
        return "" if opts.add else None
    return _read_stdin()


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``polly`` with *argv* (default: the process's arguments); returns the exit
    status."""
    secrets = secret_values(os.environ)
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == ["embed"]:  # the subcommand is only ever the first argument
        from ._embed import embed_main

        return embed_main(args[1:])
    try:
        opts = parse_options(args, os.environ)
    except UsageError as exc:
        print(error_line(exc, secrets), file=sys.stderr)
        return EXIT_USAGE

    configure_logging(opts.debug, secrets)
    display = Display(quiet=opts.quiet)
    try:
        text = _prompt_text(opts)
        status: int = anyio.run(_dispatch, opts, text, display)
    except KeyboardInterrupt:
        display.pause()
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # stdout was closed early (``polly ... | head``)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except Exception as exc:
        display.pause()
        log.debug("polly failed", exc_info=True)
        print(error_line(exc, secrets), file=sys.stderr, flush=True)
        return exit_code(exc)
    return status


async def _dispatch(opts: Options, text: str | None, display: Display) -> int:
    if opts.list_skills:
        return await list_skills(opts)
    if text is None:
        try:
            from ._repl import run_repl  # prompt_toolkit loads only for interactive sessions
        except ImportError as exc:
            raise UsageError(
                f"the interactive session needs the cli extra ({exc.name} is missing): "
                "pip install 'pollytool[cli]', or give a prompt with -p"
            ) from None
        return await run_repl(opts)
    if opts.management is not None:
        return await manage_contexts(opts, text, display)
    return await run_prompt(opts, text, display)
