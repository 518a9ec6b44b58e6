"""``SkillRuntime``: the tools that let a model activate skills and read their files, and
the ``allowed-tools`` policy of the active skills.

::

    catalog = load_catalog(["~/skills"])           # None when there are none
    runtime = SkillRuntime(catalog, registry)       # registers activate_skill, read_skill_file
    await runtime.bind_session(session)             # restore + keep session metadata current
    req = CompletionRequest(model, history, skills=runtime)
    result = await Agent(client, registry).run(req)
"""

from __future__ import annotations

import builtins
import functools
import warnings
from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING, Any

import anyio

from ..errors import SkillError, SkillNotFoundError, ToolArgumentsError
from ..skills.allowed_tools import ToolPattern, allowed_tool_patterns, is_visible
from ..skills.parse import SkillWarning
from ..skills.skill import MAX_LISTED_FILES, MAX_READ_BYTES
from .base import BaseTool, ToolOutput

if TYPE_CHECKING:
    from ..sessions import Session
    from ..skills.catalog import Catalog
    from ..skills.skill import Skill
    from .base import Tool
    from .registry import ToolRegistry

__all__ = ["ACTIVATE_SKILL", "READ_SKILL_FILE", "SkillRuntime"]

#: The name of the tool that activates a skill.
ACTIVATE_SKILL = "activate_skill"
#: The name of the tool that reads a file of a skill.
READ_SKILL_FILE = "read_skill_file"


class SkillRuntime:
    """Skills at run time: activation, file access, ``allowed-tools`` and persistence.

    With a catalog that has skills, ``SkillRuntime(catalog, registry)`` registers two tools
    in *registry*:

    - ``activate_skill {name}`` returns the skill's instructions, its directory and the list
      of its scripts and files, and marks it active (activating it again repeats the text);
    - ``read_skill_file {skill, path}`` returns a file of a skill; *path* must be relative
      to the skill's directory, ``..`` and symbolic links leading outside are refused, and
      files over *max_file_bytes* are refused.

    It also sets the registry's visibility filter to the ``allowed-tools`` rule of the active
    skills (see :mod:`pollytool.skills.allowed_tools`): a tool is listed when at least one
    active skill allows it, a skill without ``allowed-tools`` allows every tool, and the
    runtime's own tools are always listed. The :class:`~pollytool.llm.Agent` reads the
    registry before every model call, so an activation changes the tools from the next turn.
    Tools a request names itself (``CompletionRequest.tools``) are not filtered.

    With ``None`` or an empty catalog the runtime is disabled: it registers nothing and
    :meth:`activate` / :meth:`restore` of any name raise
    :class:`~pollytool.errors.SkillNotFoundError`.

    The runtime is a :class:`~pollytool.request.SkillPrompt`: pass it as
    ``CompletionRequest.skills`` to get the catalog's prompt plus the names of the active
    skills. Registering a tool whose name is taken raises
    :class:`~pollytool.errors.DuplicateToolError`, and nothing is registered.
    """

    def __init__(
        self,
        catalog: Catalog | None,
        registry: ToolRegistry,
        *,
        max_file_bytes: int = MAX_READ_BYTES,
    ) -> None:
        self._catalog = catalog if catalog is not None and len(catalog) else None
        self._registry = registry
        self.max_file_bytes = max_file_bytes
        self._active: dict[str, Skill] = {}
        self._patterns: list[ToolPattern] | None = None
        self._session: Session | None = None
        self._lock = anyio.Lock()
        self._tools: list[Tool] = []
        self._own_names: frozenset[str] = frozenset()
        if self._catalog is not None:
            self._register([_ActivateSkillTool(self), _ReadSkillFileTool(self)])
            registry.set_visibility(self.is_visible)

    def __repr__(self) -> str:
        names = self._catalog.names() if self._catalog is not None else []
        return f"SkillRuntime(skills={names}, active={self.activated_skills()})"

    @property
    def catalog(self) -> Catalog | None:
        """The catalog, or ``None`` when the runtime is disabled."""
        return self._catalog

    @property
    def enabled(self) -> bool:
        """Whether there are skills (and the runtime's tools are registered)."""
        return self._catalog is not None

    @property
    def tools(self) -> builtins.list[Tool]:
        """The tools this runtime registered."""
        return list(self._tools)

    def activated_skills(self) -> builtins.list[str]:
        """The names of the active skills, sorted."""
        return sorted(self._active)

    async def activate(self, name: str) -> str:
        """Activate the skill *name* and return what the model is given: the skill's
        instructions, directory, scripts and files, and the tool access from the next turn.
        Activating an active skill returns the text again and changes nothing. Raises
        :class:`~pollytool.errors.SkillNotFoundError` for an unknown name; if saving to a
        bound session fails, the skill stays inactive and the error is raised."""
        skill = self._skill(name)
        files = await anyio.to_thread.run_sync(skill.list_files)
        async with self._lock:
            already = name in self._active
            if not already:
                await self._change({**self._active, name: skill})
        return self._activation_text(skill, files, already)

    async def deactivate(self, name: str) -> bool:
        """Make *name* inactive again (its ``allowed-tools`` no longer count); ``True`` if
        it was active."""
        async with self._lock:
            if name not in self._active:
                return False
            await self._change({k: v for k, v in self._active.items() if k != name})
            return True

    async def restore(self, names: Iterable[str]) -> None:
        """Activate each of *names* (skills already active stay active), for example the
        list :meth:`activated_skills` returned in an earlier run. Raises
        :class:`~pollytool.errors.SkillNotFoundError` naming every unknown name, before
        anything is activated."""
        wanted = list(dict.fromkeys(names))
        unknown = [n for n in wanted if self._catalog is None or n not in self._catalog]
        if unknown:
            raise SkillNotFoundError(self._not_found(unknown))
        async with self._lock:
            added = {n: self._skill(n) for n in wanted if n not in self._active}
            if added:
                await self._change({**self._active, **added})

    async def bind_session(self, session: Session) -> builtins.list[str]:
        """Restore the skills listed in *session*'s metadata (``skills``) and, from now on,
        write the active skills there whenever they change. Saved names the catalog no
        longer has are left out with a :class:`~pollytool.skills.SkillWarning`. Returns the
        names restored."""
        saved = (await session.get_metadata()).skills
        known = [n for n in saved if self._catalog is not None and n in self._catalog]
        missing = [n for n in saved if n not in known]
        if missing:
            warnings.warn(
                f"session {session.name!r} lists skills the catalog does not have: "
                f"{', '.join(missing)}; they stay inactive",
                SkillWarning,
                stacklevel=2,
            )
        async with self._lock:
            self._session = session
            merged = {**self._active, **{n: self._skill(n) for n in known}}
            if set(merged) != set(saved):
                await self._change(merged)
            else:
                self._set_active(merged)
        return known

    def is_visible(self, tool_name: str) -> bool:
        """Whether the registry lists *tool_name* under the active skills' ``allowed-tools``
        (the registry's visibility filter)."""
        return is_visible(tool_name, self._patterns, self._own_names)

    def runtime_system_prompt(self, base: str = "") -> str:
        """The catalog's prompt (see :meth:`~pollytool.skills.Catalog.runtime_system_prompt`)
        followed by a line naming the active skills, if any."""
        if self._catalog is None:
            return base
        prompt = self._catalog.runtime_system_prompt(base)
        if not self._active:
            return prompt
        return (
            f"{prompt}\n\nActive skills: {', '.join(self.activated_skills())}. Their "
            f"instructions were loaded earlier; call {ACTIVATE_SKILL} again to see them."
        )

    # ------------------------------------------------------------------ internals

    def _register(self, tools: builtins.list[Tool]) -> None:
        registered: builtins.list[Tool] = []
        try:
            for item in tools:
                registered.append(self._registry.register(item))
        except Exception:
            for item in registered:
                self._registry.remove(item.name)
            raise
        self._tools = registered
        self._own_names = frozenset(item.name for item in registered)

    def _skill(self, name: str) -> Skill:
        skill = self._catalog.get(name) if self._catalog is not None else None
        if skill is None:
            raise SkillNotFoundError(self._not_found([name]))
        return skill

    def _not_found(self, names: builtins.list[str]) -> str:
        quoted = ", ".join(repr(n) for n in names)
        if self._catalog is None:
            return f"no skills are loaded, so {quoted} cannot be activated"
        return f"no skill is named {quoted}; skills: {', '.join(self._catalog.names())}"

    async def _change(self, active: dict[str, Skill]) -> None:
        """Make *active* the active skills and save them to the bound session; on failure
        the previous state stays."""
        previous = self._active
        self._set_active(active)
        if self._session is None:
            return
        try:
            await self._session.update_metadata(skills=self.activated_skills())
        except BaseException:
            self._set_active(previous)
            raise

    def _set_active(self, active: dict[str, Skill]) -> None:
        self._active = active
        self._patterns = allowed_tool_patterns(active.values())

    def _activation_text(self, skill: Skill, files: builtins.list[str], already: bool) -> str:
        lines = [f'<skill_content name="{escape(skill.name)}">']
        if already:
            lines.append("(This skill was already active; its instructions follow again.)")
        lines.append(f"Skill directory: {skill.root}")
        if skill.compatibility:
            lines.append(f"Compatibility: {skill.compatibility}")
        lines += ["", skill.instructions or "(No instructions beyond the description.)", ""]
        lines += _resources(files)
        lines.append(self._access_note())
        lines.append("</skill_content>")
        return "\n".join(lines)

    def _access_note(self) -> str:
        if self._patterns is None:
            return "Tool access: unchanged (every tool stays available)."
        names = ", ".join(self._registry.names())
        return f"Tool access from your next turn (the active skills' allowed-tools): {names}"


def _resources(files: builtins.list[str]) -> builtins.list[str]:
    if not files:
        return []
    scripts = [f for f in files if f.startswith("scripts/")]
    others = [f for f in files if not f.startswith("scripts/")]
    lines = ["<skill_resources>"]
    if scripts:
        lines.append(
            "Scripts (no sandboxed shell is available here to run them; read them with "
            f"{READ_SKILL_FILE}):"
        )
        lines += [f"- {path}" for path in scripts]
    if others:
        lines.append(f"Files (read them with {READ_SKILL_FILE}):")
        lines += [f"- {path}" for path in others]
    if len(files) >= MAX_LISTED_FILES:
        lines.append(f"(only the first {MAX_LISTED_FILES} files are listed)")
    lines += ["</skill_resources>", ""]
    return lines


def _text_arg(tool: str, args: dict[str, Any], key: str) -> str:
    value = args.get(key)
    if not isinstance(value, str) or not value:
        raise ToolArgumentsError(
            f"{tool} needs {key!r} as non-empty text, got {value!r}", tool_name=tool
        )
    return value


class _SkillTool(BaseTool):
    """A tool of a :class:`SkillRuntime`; failures become an error result the model reads."""

    source = "skills"
    _name = ""

    def __init__(self, runtime: SkillRuntime) -> None:
        self._runtime = runtime
        catalog = runtime.catalog
        self._names = catalog.names() if catalog is not None else []

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._names})"

    @property
    def name(self) -> str:
        return self._name

    async def execute(self, args: dict[str, Any]) -> str | ToolOutput:
        try:
            return await self._run(args)
        except SkillError as exc:
            return ToolOutput(str(exc), is_error=True)

    async def _run(self, args: dict[str, Any]) -> str:
        raise NotImplementedError

    def _skill_property(self, description: str) -> dict[str, Any]:
        return {"type": "string", "enum": list(self._names), "description": description}


class _ActivateSkillTool(_SkillTool):
    _name = ACTIVATE_SKILL

    @property
    def schema(self) -> dict[str, Any]:
        return {
            "title": self._name,
            "description": (
                "Load a skill's instructions and the list of its scripts and files. Call it "
                "before working on a task that matches the skill's description."
            ),
            "type": "object",
            "properties": {"name": self._skill_property("The skill to activate.")},
            "required": ["name"],
            "additionalProperties": False,
        }

    async def _run(self, args: dict[str, Any]) -> str:
        return await self._runtime.activate(_text_arg(self._name, args, "name"))


class _ReadSkillFileTool(_SkillTool):
    _name = READ_SKILL_FILE

    @property
    def schema(self) -> dict[str, Any]:
        return {
            "title": self._name,
            "description": (
                "Read a file that belongs to a skill (a reference, template or script), by "
                "its path relative to the skill's directory, for example "
                "'references/REFERENCE.md'."
            ),
            "type": "object",
            "properties": {
                "skill": self._skill_property("The skill the file belongs to."),
                "path": {
                    "type": "string",
                    "description": "The file's path relative to the skill's directory.",
                },
            },
            "required": ["skill", "path"],
            "additionalProperties": False,
        }

    async def _run(self, args: dict[str, Any]) -> str:
        skill = self._runtime._skill(_text_arg(self._name, args, "skill"))
        path = _text_arg(self._name, args, "path")
        read = functools.partial(skill.read_file, path, max_bytes=self._runtime.max_file_bytes)
        return await anyio.to_thread.run_sync(read)
