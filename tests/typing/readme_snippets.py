"""Write README.md's Python examples into one module the type checkers can read.

``nox -s typecheck`` runs ``python tests/typing/readme_snippets.py README.md OUT`` and then
mypy and pyright over ``OUT``. Each ```` ```python ```` block becomes the body of its own
``async def`` (the README uses ``await`` at the top level), marked with its README line. A
reader carries what earlier examples defined (imports, functions, classes) into later ones, so
those are repeated before each block; the names the README leaves to the reader (``client``,
``session``, ``history``, ``req``) are the function's typed parameters. Examples may leave
names unused.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PRELUDE = '''"""Generated from README.md by tests/typing/readme_snippets.py: do not edit."""

# pyright: reportUnusedVariable=false, reportUnusedImport=false
# pyright: reportUnusedFunction=false, reportUnusedClass=false

from __future__ import annotations

from pollytool import ChatMessage, CompletionRequest, MultiPass
from pollytool.sessions import Session
'''

#: What the README's examples assume the reader already has.
READER_NAMES = (
    "client: MultiPass, session: Session, history: list[ChatMessage], req: CompletionRequest"
)

_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


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


def definitions(lines: list[str]) -> list[str]:
    """The top-level imports, functions and classes of a block (decorators included)."""
    try:
        tree = ast.parse("async def _():\n" + "\n".join(f"    {line}" for line in lines))
    except SyntaxError as exc:
        raise SystemExit(f"README.md: a python block is not valid Python: {exc}") from None
    body = tree.body[0]
    assert isinstance(body, ast.AsyncFunctionDef)
    found: list[str] = []
    for node in body.body:
        if isinstance(node, _DEFINITIONS):
            first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            last = node.end_lineno or node.lineno
            found.extend(lines[first - 2 : last - 1])  # the wrapper added one line
    return found


def module(markdown: str, source: str = "README.md") -> str:
    """The checked module for *markdown*."""
    blocks = python_blocks(markdown)
    if not blocks:
        raise SystemExit(f"{source} has no python blocks to check")
    out = [PRELUDE]
    carried: list[str] = []
    for number, (start, lines) in enumerate(blocks, start=1):
        out.append(f"\nasync def example_{number}({READER_NAMES}) -> None:")
        if carried:
            out.append("    # what earlier examples defined")
            out.extend(f"    {line}" if line.strip() else "" for line in carried)
        out.append(f"    # --- {source} line {start}")
        out.extend(f"    {line}" if line.strip() else "" for line in lines)
        carried += definitions(lines)
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> None:
    readme, out = Path(argv[1]), Path(argv[2])
    out.write_text(module(readme.read_text(encoding="utf-8"), readme.name), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv)
