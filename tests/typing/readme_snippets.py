"""Write README.md's Python examples into one module the type checkers can read.

``nox -s typecheck`` runs ``python tests/typing/readme_snippets.py README.md OUT`` and then
mypy and pyright over ``OUT``. The README reads like one notebook session (later examples use
names from earlier ones, and ``await`` at the top level), so every ```` ```python ```` block
becomes part of the body of one ``async def``, in order, each marked with its README line.
Names the README leaves to the reader (``history``) are declared first; examples may leave
names unused.
"""

from __future__ import annotations

import sys
from pathlib import Path

PRELUDE = '''"""Generated from README.md by tests/typing/readme_snippets.py: do not edit."""

# pyright: reportUnusedVariable=false, reportUnusedImport=false

from __future__ import annotations

from pollytool import ChatMessage


async def readme() -> None:
    history: list[ChatMessage] = []  # the conversation so far, as in a real program
'''


def python_blocks(markdown: str) -> list[tuple[int, list[str]]]:
    """The ```` ```python ```` blocks of *markdown*: (line of the first code line, lines)."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] | None = None
    start = 0
    for number, line in enumerate(markdown.splitlines(), start=1):
        fence = line.strip()
        if current is None and fence == "```python":
            current, start = [], number + 1
        elif current is not None and fence == "```":
            blocks.append((start, current))
            current = None
        elif current is not None:
            current.append(line)
    if current is not None:
        raise SystemExit(f"README.md: the python block at line {start} is not closed")
    return blocks


def module(markdown: str, source: str = "README.md") -> str:
    """The checked module for *markdown*."""
    blocks = python_blocks(markdown)
    if not blocks:
        raise SystemExit(f"{source} has no python blocks to check")
    body = [PRELUDE]
    for start, lines in blocks:
        body.append(f"    # --- {source} line {start}")
        body.extend(f"    {line}" if line.strip() else "" for line in lines)
    return "\n".join(body) + "\n"


def main(argv: list[str]) -> None:
    readme, out = Path(argv[1]), Path(argv[2])
    out.write_text(module(readme.read_text(encoding="utf-8"), readme.name), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv)
