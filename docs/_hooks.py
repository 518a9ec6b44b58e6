"""MkDocs hooks: pages quote the exception tree from ``pollytool/errors.py`` itself, so the
documentation shows the tree the code has."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path
from typing import Any

ERRORS = Path(__file__).resolve().parent.parent / "pollytool" / "errors.py"
MARKER = "<!-- exception-tree -->"


def exception_tree() -> str:
    """The tree drawn in ``pollytool.errors``'s docstring (read without importing it)."""
    docstring = ast.get_docstring(ast.parse(ERRORS.read_text(encoding="utf-8"))) or ""
    lines = docstring.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == "PollyError"]
    if not starts:
        raise ValueError(f"no exception tree found in the docstring of {ERRORS}")
    tree = []
    for line in lines[starts[0] :]:
        if not line.strip():
            break
        tree.append(line)
    return textwrap.dedent("\n".join(tree))


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, f"```text\n{exception_tree()}\n```")
