"""``allowed-tools``: which tools a skill lets the model see, and the rule that combines the
patterns of every active skill.

The rule (the one place it is decided):

1. A tool is visible when **at least one active skill allows it**.
2. A skill **without** ``allowed-tools`` (or with an empty one) allows **every** tool.
3. A skill **with** ``allowed-tools`` allows the tools whose name matches one of its entries.
4. The skill runtime's own tools (``activate_skill``, ``read_skill_file`` and its ``bash``)
   are always visible while skills are in use.

So with no active skill, or any active skill that declares nothing, all tools stay visible;
only when every active skill declares ``allowed-tools`` is the list narrowed, to the union of
their entries. Deactivating a skill recomputes the rule, so access is given back.

Each entry is a tool name, compared with the registry's published names **without regard to
case** and with shell-style wildcards: ``*`` (any run of characters), ``?`` (one character),
``[seq]``. ``weather__*`` matches every tool of the ``weather`` namespace. Entries are
separated by spaces or commas; a part in parentheses (Claude Code's ``Bash(git:*)``) is
not enforced: the entry ``Bash(git:*)`` makes the ``bash`` tool visible, whole.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .skill import Skill

__all__ = ["ToolPattern", "allowed_tool_patterns", "is_visible", "split_allowed_tools"]

_SEPARATORS = frozenset(" \t\r\n,")


def split_allowed_tools(value: str) -> list[str]:
    """The entries of an ``allowed-tools`` string: ``"Read, Bash(git diff:*) web__*"`` →
    ``["Read", "Bash(git diff:*)", "web__*"]``. Spaces and commas inside parentheses belong
    to the entry."""
    entries: list[str] = []
    current: list[str] = []
    depth = 0
    for char in value:
        if char in _SEPARATORS and depth == 0:
            if current:
                entries.append("".join(current))
                current = []
            continue
        if char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        current.append(char)
    if current:
        entries.append("".join(current))
    return entries


@dataclass(frozen=True, slots=True)
class ToolPattern:
    """One ``allowed-tools`` entry.

    Attributes:
        entry: the entry as written (``"Bash(git:*)"``).
        glob: the tool-name part, lowercased (``"bash"``).
    """

    entry: str
    glob: str

    @classmethod
    def parse(cls, entry: str) -> ToolPattern:
        """The pattern of *entry*; the part from the first ``(`` on is dropped."""
        return cls(entry, entry.split("(", 1)[0].strip().lower())

    def matches(self, tool_name: str) -> bool:
        """Whether the tool published as *tool_name* is allowed by this entry."""
        return bool(self.glob) and fnmatchcase(tool_name.lower(), self.glob)


def allowed_tool_patterns(skills: Iterable[Skill]) -> list[ToolPattern] | None:
    """The patterns the active *skills* allow together, or ``None`` when the tool list is
    not narrowed (no skill, or a skill without ``allowed-tools``)."""
    patterns: list[ToolPattern] = []
    any_skill = False
    for skill in skills:
        any_skill = True
        if not skill.allowed_tools:
            return None
        patterns.extend(ToolPattern.parse(entry) for entry in skill.allowed_tools)
    return patterns if any_skill else None


def is_visible(
    tool_name: str, patterns: list[ToolPattern] | None, always: Collection[str] = ()
) -> bool:
    """Whether *tool_name* is visible under *patterns* (from :func:`allowed_tool_patterns`),
    given the names that are *always* visible."""
    if patterns is None or tool_name in always:
        return True
    return any(pattern.matches(tool_name) for pattern in patterns)
