"""``Catalog``: the skills a model may use, and the system-prompt text that announces them."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator, Sequence
from html import escape
from pathlib import Path

from ..errors import DuplicateSkillError, SkillNotFoundError
from ..messages import ChatMessage, MessageRole
from .parse import SkillIssue
from .skill import Skill

__all__ = ["SKILLS_INSTRUCTIONS", "Catalog"]

#: The paragraph that tells the model how to use skills (placed before the skill list).
SKILLS_INSTRUCTIONS = (
    "You can use skills: folders of instructions, scripts and reference files for particular "
    "tasks. The list below gives each skill's name and when to use it. When a task matches a "
    "skill's description, call the activate_skill tool with that name before you start and "
    "follow the instructions it returns; do not guess a skill's instructions from its name. "
    "Read the files a skill mentions with the read_skill_file tool. Tools a skill brings or "
    "allows are available from your next turn."
)


class Catalog:
    """The skills found in some directories, sorted by name; names are unique.

    ``Catalog(skills)`` raises :class:`~pollytool.errors.DuplicateSkillError` naming both
    ``SKILL.md`` files when two skills share a name. Usually built by
    :func:`~pollytool.skills.load_catalog`.

    Set it as ``CompletionRequest.skills`` (or ``CompletionBuilder.with_skills``) and the
    system prompt of every request gets :meth:`runtime_system_prompt`; hand it to
    :class:`~pollytool.tools.SkillRuntime` for the tools that activate skills.

    Attributes:
        dirs: the directories searched.
        issues: problems found while loading (skipped skills, rules broken by loaded ones).
    """

    def __init__(
        self,
        skills: Iterable[Skill] = (),
        *,
        dirs: Iterable[Path] = (),
        issues: Iterable[SkillIssue] = (),
    ) -> None:
        by_name: dict[str, Skill] = {}
        for skill in skills:
            other = by_name.get(skill.name)
            if other is not None:
                raise DuplicateSkillError(
                    f"two skills are named {skill.name!r}: {other.skill_file} and "
                    f"{skill.skill_file}; rename one or leave one of their directories out"
                )
            by_name[skill.name] = skill
        self._skills = dict(sorted(by_name.items()))
        self.dirs = tuple(dirs)
        self.issues = tuple(issues)

    def __repr__(self) -> str:
        return f"Catalog({list(self._skills)})"

    def __len__(self) -> int:
        return len(self._skills)

    def __iter__(self) -> Iterator[Skill]:
        return iter(list(self._skills.values()))

    def __contains__(self, name: object) -> bool:
        return name in self._skills

    def __getitem__(self, name: str) -> Skill:
        """The skill called *name*; raises :class:`~pollytool.errors.SkillNotFoundError`
        listing the names there are."""
        skill = self._skills.get(name)
        if skill is None:
            known = ", ".join(self._skills) or "none"
            raise SkillNotFoundError(f"no skill is named {name!r}; skills: {known}")
        return skill

    def list(self) -> builtins.list[Skill]:
        """The skills, sorted by name."""
        return list(self._skills.values())

    def names(self) -> builtins.list[str]:
        """The skills' names, sorted."""
        return list(self._skills)

    def get(self, name: str) -> Skill | None:
        """The skill called *name*, or ``None``."""
        return self._skills.get(name)

    def prompt_xml(self) -> str:
        """The ``<available_skills>`` block listing each skill's name and description
        (XML-escaped), or ``""`` for an empty catalog."""
        if not self._skills:
            return ""
        entries = "".join(
            f"<skill>\n<name>{escape(s.name, quote=False)}</name>\n"
            f"<description>{escape(s.description, quote=False)}</description>\n</skill>\n"
            for s in self._skills.values()
        )
        return f"<available_skills>\n{entries}</available_skills>"

    def runtime_system_prompt(self, base: str = "") -> str:
        """*base*, a blank line, :data:`SKILLS_INSTRUCTIONS` and :meth:`prompt_xml`; just
        *base* for an empty catalog."""
        if not self._skills:
            return base
        block = f"{SKILLS_INSTRUCTIONS}\n\n{self.prompt_xml()}"
        return f"{base.rstrip()}\n\n{block}" if base.strip() else block

    def build_messages(
        self, history: Sequence[ChatMessage], base: str | None = None
    ) -> builtins.list[ChatMessage]:
        """A new message list: a system message holding :meth:`runtime_system_prompt`, then
        *history*. A system message at the start of *history* is replaced; its text is the
        base prompt unless *base* is given. *history* and its messages are not changed."""
        messages = list(history)
        first = messages[0] if messages and messages[0].role == MessageRole.SYSTEM else None
        if first is not None:
            messages.pop(0)
        prompt = base if base is not None else (first.content if first is not None else "")
        return [ChatMessage.system(self.runtime_system_prompt(prompt)), *messages]
