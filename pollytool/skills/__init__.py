"""Agent Skills (agentskills.io): folders of instructions, scripts and references a model
loads when a task needs them.

::

    from pollytool.skills import load_catalog
    from pollytool.tools import SkillRuntime, ToolRegistry

    catalog = load_catalog(["~/my-skills", "./skills"])   # None when there are no skills
    registry = ToolRegistry([...])
    runtime = SkillRuntime(catalog, registry)              # activate_skill, read_skill_file, bash
    req = CompletionRequest("openai/gpt-5.4", history, skills=runtime)
    result = await Agent(client, registry).run(req)

The catalog puts each skill's name and description into the system prompt (about 50-100
tokens a skill); the model calls ``activate_skill`` to get a skill's instructions and the
list of its files, ``read_skill_file`` to read them and ``bash`` to run its scripts in a
sandbox. See :mod:`pollytool.skills.allowed_tools` for how ``allowed-tools``
narrows the tools the model sees.

Importing this package is cheap: PyYAML is imported when the first ``SKILL.md`` is read.
"""

from __future__ import annotations

from .allowed_tools import ToolPattern, split_allowed_tools
from .catalog import SKILLS_INSTRUCTIONS, Catalog
from .discovery import (
    DEFAULT_SKILLS_DIR,
    default_dir,
    discover,
    expand_path,
    load_catalog,
    resolve_dirs,
)
from .parse import SkillIssue, SkillWarning, parse_skill, validate_skill
from .skill import MAX_READ_BYTES, SKILL_FILE, Skill

__all__ = [
    "DEFAULT_SKILLS_DIR",
    "MAX_READ_BYTES",
    "SKILLS_INSTRUCTIONS",
    "SKILL_FILE",
    "Catalog",
    "Skill",
    "SkillIssue",
    "SkillWarning",
    "ToolPattern",
    "default_dir",
    "discover",
    "expand_path",
    "load_catalog",
    "parse_skill",
    "resolve_dirs",
    "split_allowed_tools",
    "validate_skill",
]
