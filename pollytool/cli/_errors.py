"""How ``polly`` fails: the CLI's own errors, exit codes and the one-line error message."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import (
    AuthenticationError,
    ConfigurationError,
    ContextLengthError,
    InvalidModelError,
    InvalidThinkingError,
    MissingAPIKeyError,
    PollyError,
    UnknownProviderError,
    redact,
)

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "AttachmentError",
    "UsageError",
    "error_line",
    "exit_code",
    "secret_values",
]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(ConfigurationError):
    """The command line cannot work as given: a bad flag value, flags that exclude each
    other, a missing prompt. ``polly`` exits with status 2."""


class AttachmentError(ConfigurationError):
    """A ``-f`` file or URL cannot be attached: missing, a directory, too large, of a kind
    no model reads, or a download that failed."""


def secret_values(environ: Mapping[str, str]) -> list[str]:
    """Values that must never be printed: the ``POLLYTOOL_*KEY`` variables."""
    return [v for k, v in environ.items() if k.startswith("POLLYTOOL_") and k.endswith("KEY") and v]


def exit_code(error: BaseException) -> int:
    """The exit status for *error*: 2 for command-line mistakes (including a model id or
    thinking setting that cannot be read), 1 for everything else."""
    usage = (UsageError, InvalidModelError, UnknownProviderError, InvalidThinkingError)
    return EXIT_USAGE if isinstance(error, usage) else EXIT_ERROR


def error_line(error: BaseException, secrets: list[str]) -> str:
    """The one line ``polly`` prints for *error*: ``Error: <message>`` plus what to do about
    it where that is clear (the environment variable holding a missing or rejected key)."""
    if isinstance(error, MissingAPIKeyError):
        message = f"no API key for {error.provider}: set the {error.env_var} environment variable"
    else:
        message = str(error) if isinstance(error, PollyError) else _describe(error)
        if isinstance(error, AuthenticationError) and error.provider:
            message += f"; check the POLLYTOOL_{error.provider.upper()}KEY environment variable"
        elif isinstance(error, ContextLengthError):
            message += "; use --maxcontext to send less history, or --reset the context"
    one_line = " ".join(message.split())
    return "Error: " + redact(one_line, secrets)


def _describe(error: BaseException) -> str:
    """A message for an exception outside the pollytool tree (an OS error, say)."""
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        return f"{error.strerror}{where}"
    return str(error) or type(error).__name__
