"""Reading one skill directory per the Agent Skills specification (agentskills.io).

Loading is lenient where the ecosystem is: a skill is *skipped* only when it cannot be used
(no readable front matter, broken YAML, no ``name`` or ``description``); anything else that
breaks a rule of the specification (a name that differs from its directory, a description
over 1024 characters, a field of the wrong type) is reported and the skill is loaded anyway.
:func:`validate_skill` reports every deviation, also fields the specification does not define.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SkillFormatError
from ._frontmatter import FrontMatterError, load_yaml, split_front_matter
from .allowed_tools import split_allowed_tools
from .skill import SKILL_FILE, Skill

__all__ = [
    "MAX_COMPATIBILITY_LENGTH",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_SKILL_FILE_BYTES",
    "ParsedSkill",
    "SkillIssue",
    "SkillWarning",
    "parse_skill",
    "read_skill",
    "validate_skill",
]

MAX_NAME_LENGTH = 64
MAX_DESCRIPTION_LENGTH = 1024
MAX_COMPATIBILITY_LENGTH = 500
#: A ``SKILL.md`` larger than this is not read (the largest public ones are about 40 KB).
MAX_SKILL_FILE_BYTES = 1024 * 1024

_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SPEC_FIELDS = frozenset(
    {"name", "description", "license", "compatibility", "metadata", "allowed-tools"}
)


class SkillWarning(UserWarning):
    """A skill was skipped, or loaded although it breaks a rule of the specification. The
    message names the ``SKILL.md`` and the problem."""


@dataclass(frozen=True, slots=True)
class SkillIssue:
    """One problem found in a ``SKILL.md`` (or a skill directory).

    Attributes:
        path: the ``SKILL.md`` (or directory) concerned.
        message: what is wrong, for people.
        skipped: the skill was not loaded because of it.
    """

    path: Path
    message: str
    skipped: bool = False

    def __str__(self) -> str:
        return f"{self.path}: {'skipped: ' if self.skipped else ''}{self.message}"


@dataclass(frozen=True, slots=True)
class ParsedSkill:
    """What :func:`read_skill` found: the skill (``None`` when skipped) and the issues."""

    skill: Skill | None
    issues: tuple[SkillIssue, ...]


def read_skill(directory: Path, *, strict: bool = False) -> ParsedSkill:
    """Read the skill in *directory* (which holds ``SKILL.md``) without raising for the
    file's content. ``strict=True`` also reports what only :func:`validate_skill` reports:
    unknown fields and values the specification types more narrowly."""
    root = directory.resolve()
    reader = _Reader(root / SKILL_FILE, strict)
    return ParsedSkill(reader.read(root, directory.name or root.name), tuple(reader.issues))


def parse_skill(directory: str | Path) -> Skill:
    """The skill in *directory*. Raises :class:`~pollytool.errors.SkillFormatError` when
    it cannot be loaded (the message names the file and the reason); issues that do not
    prevent loading are ignored here (see :func:`validate_skill`). Blocking."""
    root = Path(directory).expanduser()
    if not (root / SKILL_FILE).is_file():
        raise SkillFormatError(f"{root} holds no {SKILL_FILE}")
    parsed = read_skill(root)
    if parsed.skill is None:
        reasons = "; ".join(issue.message for issue in parsed.issues if issue.skipped)
        raise SkillFormatError(f"{root.resolve() / SKILL_FILE}: {reasons}")
    return parsed.skill


def validate_skill(directory: str | Path) -> list[str]:
    """Every way the skill in *directory* deviates from the Agent Skills specification, as
    messages naming the file; an empty list means it is valid. Blocking."""
    root = Path(directory).expanduser()
    if not (root / SKILL_FILE).is_file():
        return [f"{root}: holds no {SKILL_FILE}"]
    return [str(issue) for issue in read_skill(root, strict=True).issues]


class _Reader:
    """Collects the issues of one ``SKILL.md`` while reading it."""

    def __init__(self, path: Path, strict: bool) -> None:
        self.path = path
        self.strict = strict
        self.issues: list[SkillIssue] = []

    def note(self, message: str) -> None:
        self.issues.append(SkillIssue(self.path, message))

    def skip(self, message: str) -> None:
        self.issues.append(SkillIssue(self.path, message, skipped=True))

    def read(self, root: Path, directory_name: str) -> Skill | None:
        fields = self._front_matter()
        if fields is None:
            return None
        data, body = fields
        name = self._name(data.get("name"), directory_name)
        description = self._required_text(data, "description")
        if name is None or description is None:
            return None
        if len(description) > MAX_DESCRIPTION_LENGTH:
            self.note(
                f"description is {len(description)} characters; the specification allows "
                f"at most {MAX_DESCRIPTION_LENGTH}"
            )
        compatibility = self._optional_text(data, "compatibility")
        if compatibility is not None and len(compatibility) > MAX_COMPATIBILITY_LENGTH:
            self.note(
                f"compatibility is {len(compatibility)} characters; the specification allows "
                f"at most {MAX_COMPATIBILITY_LENGTH}"
            )
        unknown = {k: v for k, v in data.items() if k not in _SPEC_FIELDS}
        if self.strict:
            for key in unknown:
                self.note(f"field {key!r} is not part of the specification")
        return Skill(
            name=name,
            description=description,
            root=root,
            instructions=body,
            license=self._optional_text(data, "license"),
            compatibility=compatibility,
            allowed_tools=self._allowed_tools(data.get("allowed-tools")),
            metadata=self._metadata(data.get("metadata")),
            extra=unknown,
        )

    def _front_matter(self) -> tuple[dict[str, Any], str] | None:
        try:
            size = self.path.stat().st_size
            if size > MAX_SKILL_FILE_BYTES:
                self.skip(f"the file is {size} bytes; at most {MAX_SKILL_FILE_BYTES} are read")
                return None
            text = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self.skip("the file is not UTF-8 text")
            return None
        except OSError as exc:
            self.skip(f"the file cannot be read ({exc.strerror})")
            return None
        try:
            yaml_text, body = split_front_matter(text)
            data, quoted = load_yaml(yaml_text)
        except FrontMatterError as exc:
            self.skip(str(exc))
            return None
        for key in quoted:
            self.note(f"the value of {key!r} contains ': ' and must be quoted in YAML")
        if not isinstance(data, dict):
            kind = "nothing" if data is None else f"a {type(data).__name__}"
            self.skip(f"its front matter must be a mapping of fields, got {kind}")
            return None
        return {str(k): v for k, v in data.items()}, body

    def _name(self, value: Any, directory: str) -> str | None:
        if value is None:
            self.skip("the required field 'name' is missing")
            return None
        if not isinstance(value, str) or not value.strip():
            self.skip(f"'name' must be non-empty text, got {value!r}")
            return None
        name = value.strip()
        if len(name) > MAX_NAME_LENGTH:
            self.note(
                f"name {name!r} is {len(name)} characters; the specification allows at most "
                f"{MAX_NAME_LENGTH}"
            )
        if not _NAME.match(name):
            self.note(
                f"name {name!r} should use only lowercase letters, digits and single hyphens "
                "between them"
            )
        if name != directory:
            self.note(f"name {name!r} differs from its directory name {directory!r}")
        return name

    def _required_text(self, data: Mapping[str, Any], key: str) -> str | None:
        value = data.get(key)
        if value is None:
            self.skip(f"the required field {key!r} is missing")
            return None
        if not isinstance(value, str) or not value.strip():
            self.skip(f"{key!r} must be non-empty text, got {value!r}")
            return None
        return value.strip()

    def _optional_text(self, data: Mapping[str, Any], key: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            return value.strip() or None
        self.note(f"{key!r} must be text, got {value!r}; ignored")
        return None

    def _allowed_tools(self, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            return tuple(split_allowed_tools(value))
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            if self.strict:
                self.note("'allowed-tools' should be one space-separated string, not a list")
            return tuple(entry for item in value for entry in split_allowed_tools(item))
        self.note(f"'allowed-tools' must be a space-separated string, got {value!r}; ignored")
        return ()

    def _metadata(self, value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.note(f"'metadata' must be a mapping, got {value!r}; ignored")
            return {}
        if self.strict:
            for key, item in value.items():
                if not isinstance(key, str) or not isinstance(item, str):
                    self.note(f"metadata {key!r} should map text to text, got {item!r}")
        return {str(k): v for k, v in value.items()}
