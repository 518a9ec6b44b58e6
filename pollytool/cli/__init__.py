"""The ``polly`` command line tool."""

from __future__ import annotations

import sys

from .._version import __version__

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``polly``. The full command line arrives with the CLI issue; for now it
    reports the version."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] not in ("--version", "-V"):
        print("polly: the command line interface is not available yet", file=sys.stderr)
        return 2
    print(f"polly {__version__}")
    return 0
