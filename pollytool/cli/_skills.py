"""Agent Skills for a run: ``--skilldir`` (where to look), ``-S/--skill`` (a skill directory
to add and activate), ``--noskills`` and ``--listskills``.

The directories searched are, first found: ``--skilldir``, those the context remembers,
``$POLLYTOOL_SKILLDIR``, then ``~/.pollytool/skills``. A context remembers the directories
given with it and, through the skill runtime, the skills that are active.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

import anyio

from ..sessions import Session, SessionMetadata
from ..skills import Catalog, expand_path, load_catalog, resolve_dirs
from ..tools import ToolRegistry
from ..tools.skill_runtime import SkillRuntime
from ._errors import EXIT_OK, UsageError
from ._options import Options

__all__ = ["list_skills", "load_skills"]


def _check_local(source: str) -> None:
    if urlsplit(source).scheme in ("http", "https", "git", "ssh") or source.endswith(".git"):
        raise UsageError(
            f"-S {source!r}: skills are loaded from local directories; clone or unpack it and "
            "pass its directory"
        )


def _directories(opts: Options, metadata: SessionMetadata | None) -> list[str]:
    stored = metadata.skill_dirs if metadata is not None else []
    dirs: list[str] = opts.skill_dirs or stored or opts.env.get("skill_dirs", [])
    return dirs


async def _catalog(opts: Options, metadata: SessionMetadata | None) -> Catalog | None:
    for source in opts.skills:
        _check_local(source)
    dirs = [*_directories(opts, metadata), *opts.skills]
    return await anyio.to_thread.run_sync(load_catalog, dirs or None)


async def load_skills(
    opts: Options, metadata: SessionMetadata | None, session: Session | None,
    registry: ToolRegistry,
) -> SkillRuntime | None:  # fmt: skip
    """The skill runtime of a run (its tools registered in *registry*), with the context's
    active skills restored and ``-S`` skills activated; ``None`` without skills."""
    if opts.no_skills:
        return None
    catalog = await _catalog(opts, metadata)
    runtime = SkillRuntime(catalog, registry, nosandbox=True if opts.no_sandbox else None)
    if not runtime.enabled or catalog is None:
        return None
    if session is not None:
        if opts.skill_dirs:
            dirs = [str(expand_path(d)) for d in opts.skill_dirs]
            await session.update_metadata(skill_dirs=dirs)
        await runtime.bind_session(session)
    roots = [expand_path(source) for source in opts.skills]
    wanted = [s.name for s in catalog if any(s.root.resolve().is_relative_to(r) for r in roots)]
    if wanted:
        await runtime.restore(wanted)
    return runtime


async def list_skills(opts: Options) -> int:
    """``--listskills``: every skill found, with its description and directory."""
    catalog = await _catalog(opts, None)
    if catalog is None:
        searched = await anyio.to_thread.run_sync(resolve_dirs, _directories(opts, None) or None)
        where = ", ".join(str(d) for d in searched) or "~/.pollytool/skills (missing)"
        print(f"No skills found (searched {where})", file=sys.stdout)
        return EXIT_OK
    for skill in catalog:
        print(f"{skill.name}: {skill.description}", file=sys.stdout)
        print(f"  {os.fspath(skill.root)}", file=sys.stdout)
    return EXIT_OK
