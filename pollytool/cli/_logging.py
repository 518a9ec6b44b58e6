"""``--debug``: log records to standard error (never standard output), secrets removed."""

from __future__ import annotations

import logging
import sys
import warnings
from typing import Any

from ..errors import redact

__all__ = ["configure_logging", "log"]

#: The CLI's own logger.
log = logging.getLogger("pollytool.cli")

#: Loggers that are far too chatty at DEBUG (one line per socket event).
_QUIET_LOGGERS = ("httpcore", "hpack", "asyncio")


class _Redact(logging.Filter):
    """Replaces every record's message by its redacted text."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self._secrets)
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info),
                                     self._secrets)  # fmt: skip
            record.exc_info = None
        return True


def _show_warning(message: Warning | str, *_where: Any, **_more: Any) -> None:
    """Library warnings (a skipped skill, a recovered session line) as ``Warning:`` lines."""
    print(f"Warning: {message}", file=sys.stderr, flush=True)


def configure_logging(debug: bool, secrets: list[str]) -> None:
    """With *debug*, send every DEBUG record to stderr; otherwise log nothing below
    warnings (and those to stderr too)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_Redact(secrets))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    warnings.showwarning = _show_warning
