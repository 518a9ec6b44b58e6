"""``Skill``: one Agent Skill, and safe access to the files it ships with."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import SkillFileError

__all__ = ["MAX_LISTED_FILES", "MAX_READ_BYTES", "SKILL_FILE", "SKIPPED_DIRS", "Skill"]

#: The file that makes a directory a skill.
SKILL_FILE = "SKILL.md"
#: The largest file :meth:`Skill.read_file` returns by default (256 KiB, about 64k tokens).
MAX_READ_BYTES = 256 * 1024
#: :meth:`Skill.list_files` stops after this many files.
MAX_LISTED_FILES = 500
#: Directories never searched or listed: version control, environments, dependencies, bytecode.
SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".svn", ".venv", ".tox", ".nox", "node_modules", "__pycache__"}
)


@dataclass(frozen=True, slots=True)
class Skill:
    """An Agent Skill: a directory holding ``SKILL.md`` (YAML front matter, then Markdown
    instructions) and any scripts, references and assets it needs.

    Skills come from :func:`~pollytool.skills.load_catalog` or
    :func:`~pollytool.skills.parse_skill`.

    Attributes:
        name: the skill's name from its front matter (what the model activates it by).
        description: what the skill does and when to use it (shown to the model up front).
        root: the skill's directory, absolute, with symbolic links resolved.
        instructions: the Markdown body of ``SKILL.md`` (front matter removed, stripped),
            given to the model when the skill is activated.
        license: the ``license`` field, if any.
        compatibility: the ``compatibility`` field (environment requirements), if any.
        allowed_tools: the ``allowed-tools`` entries (``"Read"``, ``"Bash(git:*)"``,
            ``"weather__*"``), empty when the field is absent.
        metadata: the ``metadata`` mapping as written.
        extra: front-matter fields outside the specification (client extensions such as
            ``disable-model-invocation``), kept as written.
    """

    name: str
    description: str
    root: Path
    instructions: str = ""
    license: str | None = None
    compatibility: str | None = None
    allowed_tools: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict, hash=False)
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def skill_file(self) -> Path:
        """The skill's ``SKILL.md``."""
        return self.root / SKILL_FILE

    def resolve_path(self, relative: str) -> Path:
        """The absolute path of the skill's file *relative* (``"references/api.md"``).

        Raises :class:`~pollytool.errors.SkillFileError` when *relative* is empty, absolute,
        starts with ``~``, contains a ``..`` component, or leads outside the skill's directory
        through a symbolic link. The file need not exist.
        """
        if not relative or "\x00" in relative:
            raise self._error(relative, "is not a usable path")
        pure = PurePosixPath(relative)
        if pure.is_absolute() or relative.startswith("~"):
            raise self._error(relative, "is not relative to the skill directory")
        if ".." in pure.parts:
            raise self._error(relative, "contains '..'; paths stay inside the skill directory")
        resolved = (self.root / pure).resolve()
        if not resolved.is_relative_to(self.root):
            raise self._error(relative, "escapes the skill directory through a symbolic link")
        return resolved

    def read_file(self, relative: str, *, max_bytes: int = MAX_READ_BYTES) -> str:
        """The text of the skill's file *relative* (see :meth:`resolve_path`).

        Raises :class:`~pollytool.errors.SkillFileError` when the path is refused, the file
        does not exist, is not a regular file, is larger than *max_bytes* or is not UTF-8.
        Blocking: from async code call it through ``anyio.to_thread.run_sync``.
        """
        path = self.resolve_path(relative)
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags)
        except FileNotFoundError:
            raise self._error(relative, "does not exist") from None
        except OSError as exc:
            raise self._error(relative, f"cannot be opened ({exc.strerror})") from None
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise self._error(relative, "is a directory, not a file")
            if not stat.S_ISREG(info.st_mode):
                raise self._error(relative, "is not a regular file")
            if info.st_size > max_bytes:
                raise self._error(
                    relative, f"is {info.st_size} bytes; at most {max_bytes} bytes can be read"
                )
            data = _read_up_to(fd, max_bytes + 1)
        finally:
            os.close(fd)
        if len(data) > max_bytes:
            raise self._error(relative, f"is larger than {max_bytes} bytes")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise self._error(relative, "is not UTF-8 text") from None

    def list_files(self, subdir: str | None = None, *, limit: int = MAX_LISTED_FILES) -> list[str]:
        """Relative paths (``/``-separated, sorted) of the skill's files, or of those under
        *subdir*; ``SKILL.md`` itself, hidden files, ``.git``, ``node_modules`` and
        ``__pycache__`` are left out, and so is anything a symbolic link places outside the
        skill. At most *limit* paths. Blocking, like :meth:`read_file`."""
        start = self.resolve_path(subdir) if subdir else self.root
        found: list[str] = []
        if not start.is_dir():
            return found
        for current, dirs, files in os.walk(start):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
            for name in sorted(files):
                path = Path(current) / name
                relative = path.relative_to(self.root).as_posix()
                if name.startswith(".") or relative == SKILL_FILE:
                    continue
                if path.is_symlink() and not path.resolve().is_relative_to(self.root):
                    continue
                found.append(relative)
                if len(found) >= limit:
                    return sorted(found)
        return sorted(found)

    def scripts(self) -> list[str]:
        """Relative paths of the files under ``scripts/`` (the skill's runnable helpers)."""
        return self.list_files("scripts")

    def _error(self, relative: str, problem: str) -> SkillFileError:
        return SkillFileError(f"path {relative!r} of skill {self.name!r} {problem}")


def _read_up_to(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = os.read(fd, min(remaining, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
