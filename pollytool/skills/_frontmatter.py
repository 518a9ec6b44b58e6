"""Splitting ``SKILL.md`` into YAML front matter and body, and reading the YAML.

PyYAML is imported on first use. The loader is ``yaml.safe_load`` (plain data only), with one
fallback the skill ecosystem needs: a value left unquoted although it contains ``": "``
(``description: Use when: the user asks``) is quoted and the YAML read again.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["FrontMatterError", "load_yaml", "split_front_matter"]

_DELIMITER = "---"
#: A top-level ``key: value`` line (the value may hold anything).
_TOP_LEVEL_FIELD = re.compile(r"^(?P<key>[A-Za-z0-9_-]+):[ \t]+(?P<value>\S.*?)[ \t]*$")
#: Values that YAML reads as more than plain text: quoted, block, flow, anchors, tags.
_STRUCTURED_START = tuple("\"'|>[{&*!%@`#")


class FrontMatterError(Exception):
    """The front matter is missing, unclosed or not valid YAML; the message says why."""


def split_front_matter(text: str) -> tuple[str, str]:
    """``(yaml_text, body)`` of a ``SKILL.md`` (the body stripped). A BOM and CRLF line ends
    are tolerated."""
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")
    if not lines or lines[0].rstrip() != _DELIMITER:
        raise FrontMatterError("it does not start with front matter (a '---' line)")
    for index in range(1, len(lines)):
        if lines[index].rstrip() == _DELIMITER:
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]).strip()
    raise FrontMatterError("its front matter is not closed by a '---' line")


def load_yaml(text: str) -> tuple[Any, list[str]]:
    """The data in *text*, and the keys whose unquoted values had to be quoted to read it.
    Raises :class:`FrontMatterError` naming the first problem and its line in ``SKILL.md``."""
    import yaml

    try:
        return yaml.safe_load(text), []
    except yaml.YAMLError as exc:
        repaired, keys = _quote_values_with_colons(text)
        if keys:
            try:
                return yaml.safe_load(repaired), keys
            except yaml.YAMLError:
                pass
        raise FrontMatterError(f"its front matter is not valid YAML ({_describe(exc)})") from None


def _quote_values_with_colons(text: str) -> tuple[str, list[str]]:
    lines = text.split("\n")
    keys: list[str] = []
    for position, line in enumerate(lines):
        match = _TOP_LEVEL_FIELD.match(line)
        if match is None:
            continue
        value = match["value"]
        if ": " in value and not value.startswith(_STRUCTURED_START):
            lines[position] = f"{match['key']}: {json.dumps(value, ensure_ascii=False)}"
            keys.append(match["key"])
    return "\n".join(lines), keys


def _describe(exc: Exception) -> str:
    import yaml

    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        problem = exc.problem or exc.context or "cannot be read"
        # +2: the front matter starts on line 2 of SKILL.md, marks count from 0
        return f"line {exc.problem_mark.line + 2}: {problem}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
