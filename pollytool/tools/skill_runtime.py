"""``SkillRuntime``: the tools that let a model activate skills, read their files and run
their scripts in a sandbox, and the ``allowed-tools`` policy of the active skills.

::

    catalog = load_catalog(["~/skills"])           # None when there are none
    runtime = SkillRuntime(catalog, registry)       # activate_skill, read_skill_file, bash
    await runtime.bind_session(session)             # restore + keep session metadata current
    req = CompletionRequest(model, history, skills=runtime)
    result = await Agent(client, registry).run(req)
"""

from __future__ import annotations

import builtins
import warnings
from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING

import anyio

from ..errors import DuplicateToolError, SandboxError, SkillNotFoundError
from ..skills.allowed_tools import ToolPattern, allowed_tool_patterns, is_visible
from ..skills.parse import SkillWarning
from ..skills.skill import MAX_LISTED_FILES, MAX_READ_BYTES
from ._skill_tools import ACTIVATE_SKILL, BASH, READ_SKILL_FILE, skill_tools
from .sandbox import SandboxSpec, check_sandbox, sandboxing_disabled
from .shell import DEFAULT_MAX_OUTPUT

if TYPE_CHECKING:
    from ..sessions import Session
    from ..skills.catalog import Catalog
    from ..skills.skill import Skill
    from .base import Tool
    from .registry import ToolRegistry

__all__ = ["ACTIVATE_SKILL", "BASH", "DEFAULT_BASH_TIMEOUT", "READ_SKILL_FILE", "SkillRuntime"]

#: Seconds a ``bash`` command may run before it is killed.
DEFAULT_BASH_TIMEOUT = 120.0


class SkillRuntime:
    """Skills at run time: activation, file access, ``allowed-tools`` and persistence.

    With a catalog that has skills, ``SkillRuntime(catalog, registry)`` registers these
    tools in *registry* (``skill`` and ``name`` are enums of the catalog's names):

    - ``activate_skill {name}`` returns the skill's instructions, its directory and the list
      of its scripts and files, and marks it active (activating it again repeats the text);
    - ``read_skill_file {skill, path}`` returns a file of a skill; *path* must be relative
      to the skill's directory, ``..`` and symbolic links leading outside are refused, and
      files over *max_file_bytes* are refused;
    - ``bash {skill, command}`` (unless ``bash=False``) runs ``bash -c command`` in an
      active skill's directory inside the sandbox *bash_sandbox* (default
      ``SandboxSpec()``: everything read-only except a private ``/tmp``, no network,
      credentials and secret-looking variables hidden), for at most *bash_timeout* seconds,
      keeping *bash_max_output* bytes of stdout and of stderr. Scripts are not tools of
      their own; the model runs them through ``bash``. When no sandbox backend works, the
      command is not run: the tool answers with the reason, and activations say that
      scripts cannot be run. Only an explicit opt-out (``nosandbox=True`` or
      ``POLLYTOOL_NOSANDBOX=true``) runs commands unsandboxed.

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
        bash: bool = True,
        bash_sandbox: SandboxSpec | None = None,
        bash_timeout: float | None = DEFAULT_BASH_TIMEOUT,
        bash_max_output: int = DEFAULT_MAX_OUTPUT,
        nosandbox: bool | None = None,
    ) -> None:
        self._catalog = catalog if catalog is not None and len(catalog) else None
        self._registry = registry
        self.max_file_bytes = max_file_bytes
        self.bash_timeout = bash_timeout
        self.bash_max_output = bash_max_output
        #: The sandbox ``bash`` runs in; ``None`` when sandboxing was switched off explicitly.
        self.bash_sandbox: SandboxSpec | None = (
            None if sandboxing_disabled(nosandbox) else bash_sandbox or SandboxSpec()
        )
        self._bash = bash
        self._active: dict[str, Skill] = {}
        self._patterns: list[ToolPattern] | None = None
        self._session: Session | None = None
        self._lock = anyio.Lock()
        self._tools: list[Tool] = []
        self._own_names: frozenset[str] = frozenset()
        if self._catalog is not None:
            self._register(skill_tools(self, bash=bash))
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
        skill = self.skill(name)
        files = await anyio.to_thread.run_sync(skill.list_files)
        async with self._lock:
            already = name in self._active
            if not already:
                await self._change({**self._active, name: skill})
        scripts_note = await self._scripts_note() if any(_is_script(f) for f in files) else ""
        return self._activation_text(skill, files, already, scripts_note)

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
            added = {n: self.skill(n) for n in wanted if n not in self._active}
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
            merged = {**self._active, **{n: self.skill(n) for n in known}}
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

    def skill(self, name: str) -> Skill:
        """The catalog's skill *name*; raises :class:`~pollytool.errors.SkillNotFoundError`
        naming the skills there are."""
        skill = self._catalog.get(name) if self._catalog is not None else None
        if skill is None:
            raise SkillNotFoundError(self._not_found([name]))
        return skill

    def _register(self, tools: Iterable[Tool]) -> None:
        tools = list(tools)
        for item in tools:
            if item.name in self._registry:
                hint = " (or pass bash=False to keep yours)" if item.name == BASH else ""
                raise DuplicateToolError(
                    f"the skill runtime's tool {item.name!r} cannot be registered: the registry "
                    f"already has a tool of that name; rename or remove that one{hint}",
                    tool_name=item.name,
                )
        self._tools = [self._registry.register(item) for item in tools]
        self._own_names = frozenset(item.name for item in self._tools)

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

    async def _scripts_note(self) -> str:
        """How scripts can be run here (the heading of the activation's script list)."""
        if not self._bash:
            return f"no shell tool is offered here to run them; read them with {READ_SKILL_FILE}"
        if self.bash_sandbox is None:
            return f"run them with the {BASH} tool, in the skill directory; not sandboxed"
        try:
            await check_sandbox(self.bash_sandbox)
        except SandboxError as exc:
            return f"they cannot be run here: {exc}"
        return (
            f"run them with the {BASH} tool, in the skill directory; the sandbox allows "
            f"writes only to /tmp{'' if self.bash_sandbox.allow_network else ' and no network'}"
        )

    def _activation_text(
        self, skill: Skill, files: builtins.list[str], already: bool, scripts_note: str
    ) -> str:
        lines = [f'<skill_content name="{escape(skill.name)}">']
        if already:
            lines.append("(This skill was already active; its instructions follow again.)")
        lines.append(f"Skill directory: {skill.root}")
        if skill.compatibility:
            lines.append(f"Compatibility: {skill.compatibility}")
        lines += ["", skill.instructions or "(No instructions beyond the description.)", ""]
        lines += _resources(files, scripts_note)
        lines.append(self._access_note())
        lines.append("</skill_content>")
        return "\n".join(lines)

    def _access_note(self) -> str:
        if self._patterns is None:
            return "Tool access: unchanged (every tool stays available)."
        names = ", ".join(self._registry.names())
        return f"Tool access from your next turn (the active skills' allowed-tools): {names}"


def _is_script(path: str) -> bool:
    return path.startswith("scripts/")


def _resources(files: builtins.list[str], scripts_note: str) -> builtins.list[str]:
    if not files:
        return []
    scripts = [f for f in files if _is_script(f)]
    others = [f for f in files if not _is_script(f)]
    lines = ["<skill_resources>"]
    if scripts:
        lines.append(f"Scripts ({scripts_note}):")
        lines += [f"- {path}" for path in scripts]
    if others:
        lines.append(f"Files (read them with {READ_SKILL_FILE}):")
        lines += [f"- {path}" for path in others]
    if len(files) >= MAX_LISTED_FILES:
        lines.append(f"(only the first {MAX_LISTED_FILES} files are listed)")
    lines += ["</skill_resources>", ""]
    return lines
