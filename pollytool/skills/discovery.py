"""Finding skills on disk: ``resolve_dirs``, ``discover`` and ``load_catalog``.

A directory given to search is either a skill itself (it holds ``SKILL.md``) or a folder of
skills: every directory below it holding ``SKILL.md`` is a skill, down to
:data:`MAX_DEPTH` levels (so ``plugins/<plugin>/skills/<skill>/`` layouts are found). A
skill's own subdirectories are not searched. Version-control and environment directories,
``node_modules`` and ``__pycache__`` are skipped (other hidden directories are searched:
openai/skills keeps its skills under ``skills/.curated``); symbolic links to directories are
followed once.

These functions read the file system and block; from async code call them through
``await anyio.to_thread.run_sync(load_catalog, dirs)``.
"""

from __future__ import annotations

import os
import warnings
from collections import deque
from collections.abc import Iterable
from pathlib import Path

from ..errors import SkillDirectoryError
from .catalog import Catalog
from .parse import SkillIssue, SkillWarning, read_skill
from .skill import SKILL_FILE, SKIPPED_DIRS, Skill

__all__ = [
    "DEFAULT_SKILLS_DIR",
    "MAX_DEPTH",
    "MAX_DIRS",
    "default_dir",
    "discover",
    "expand_path",
    "load_catalog",
    "resolve_dirs",
]

#: Where skills are looked for when no directory is given (used only if it exists).
DEFAULT_SKILLS_DIR = "~/.pollytool/skills"
#: How many levels below a searched directory a skill may sit.
MAX_DEPTH = 5
#: The most directories looked at below one searched directory.
MAX_DIRS = 2000

PathLike = str | os.PathLike[str]


def expand_path(path: PathLike) -> Path:
    """*path* with a leading ``~`` expanded, made absolute (symbolic links resolved)."""
    return Path(path).expanduser().resolve()


def default_dir() -> Path | None:
    """``~/.pollytool/skills`` when that directory exists, else ``None``."""
    path = expand_path(DEFAULT_SKILLS_DIR)
    return path if path.is_dir() else None


def resolve_dirs(dirs: Iterable[PathLike] | None = None) -> list[Path]:
    """The skill directories to search: each of *dirs* with ``~`` expanded, made absolute
    and checked, duplicates removed (first one kept). With no *dirs*, ``[~/.pollytool/skills]``
    if it exists, else ``[]``.

    Raises :class:`~pollytool.errors.SkillDirectoryError` naming a directory that does not
    exist or is not a directory.
    """
    given = [d for d in dirs or () if str(d).strip()]
    if not given:
        fallback = default_dir()
        return [fallback] if fallback is not None else []
    resolved: list[Path] = []
    for entry in given:
        path = expand_path(entry)
        if not path.exists():
            raise SkillDirectoryError(f"skill directory {str(entry)!r} does not exist")
        if not path.is_dir():
            raise SkillDirectoryError(f"skill directory {str(entry)!r} is not a directory")
        if path not in resolved:
            resolved.append(path)
    return resolved


def discover(dirs: Iterable[PathLike]) -> Catalog:
    """A :class:`Catalog` of the skills in *dirs* (checked like :func:`resolve_dirs`, but
    with no default directory).

    A skill that cannot be loaded is skipped; it and every loaded skill that breaks a rule of
    the specification are reported as a :class:`SkillWarning` naming the ``SKILL.md``, and
    kept in :attr:`Catalog.issues`. Two skills with the same name raise
    :class:`~pollytool.errors.DuplicateSkillError` naming both files.
    """
    roots = resolve_dirs(list(dirs)) if dirs else []
    skills: list[Skill] = []
    issues: list[SkillIssue] = []
    seen: set[Path] = set()
    for root in roots:
        skill_dirs, truncated = _skill_dirs(root)
        if truncated:
            issues.append(
                SkillIssue(root, f"more than {MAX_DIRS} directories; the rest were not searched")
            )
        for directory in skill_dirs:
            if (real := directory.resolve()) in seen:
                continue
            seen.add(real)
            parsed = read_skill(directory)
            issues.extend(parsed.issues)
            if parsed.skill is not None:
                skills.append(parsed.skill)
    for issue in issues:
        warnings.warn(str(issue), SkillWarning, stacklevel=2)
    return Catalog(skills, dirs=roots, issues=issues)


def load_catalog(dirs: Iterable[PathLike] | None = None) -> Catalog | None:
    """:func:`resolve_dirs` then :func:`discover`: the catalog of the skills in *dirs* (or
    in ``~/.pollytool/skills``), or ``None`` when there are none."""
    catalog = discover(resolve_dirs(dirs))
    return catalog if len(catalog) else None


def _skill_dirs(root: Path) -> tuple[list[Path], bool]:
    """The directories holding ``SKILL.md`` at or below *root* (as reached, so a linked
    skill keeps the name of its link; in sorted breadth-first order), and whether the search
    stopped at :data:`MAX_DIRS`."""
    if (root / SKILL_FILE).is_file():
        return [root], False
    found: list[Path] = []
    visited = {root}
    pending = deque([(root, 0)])
    while pending:
        directory, depth = pending.popleft()
        if depth >= MAX_DEPTH:
            continue
        for child in _subdirectories(directory):
            if (real := child.resolve()) in visited:
                continue
            if len(visited) > MAX_DIRS:
                return found, True
            visited.add(real)
            if (child / SKILL_FILE).is_file():
                found.append(child)
            else:
                pending.append((child, depth + 1))
    return found, False


def _subdirectories(directory: Path) -> list[Path]:
    try:
        with os.scandir(directory) as entries:
            names = sorted(e.name for e in entries if e.name not in SKIPPED_DIRS and e.is_dir())
    except OSError:
        return []
    return [directory / name for name in names]
