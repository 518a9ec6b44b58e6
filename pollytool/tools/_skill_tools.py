"""The tools a :class:`~pollytool.tools.SkillRuntime` registers: ``activate_skill``,
``read_skill_file`` and the sandboxed ``bash`` that runs skills' scripts."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import anyio

from ..errors import SandboxError, SkillError, ToolArgumentsError, ToolTimeoutError
from .base import BaseTool, ToolOutput
from .sandbox import sandboxed_command
from .shell import run_command

if TYPE_CHECKING:
    from ..skills.skill import Skill
    from .shell import CommandResult
    from .skill_runtime import SkillRuntime

__all__ = ["ACTIVATE_SKILL", "BASH", "READ_SKILL_FILE", "skill_tools"]

#: The name of the tool that activates a skill.
ACTIVATE_SKILL = "activate_skill"
#: The name of the tool that reads a file of a skill.
READ_SKILL_FILE = "read_skill_file"
#: The name of the sandboxed shell that runs skills' scripts.
BASH = "bash"


def skill_tools(runtime: SkillRuntime, *, bash: bool) -> list[BaseTool]:
    """The tools of *runtime*, ``bash`` included when asked for."""
    tools: list[BaseTool] = [_ActivateSkillTool(runtime), _ReadSkillFileTool(runtime)]
    if bash:
        tools.append(_BashTool(runtime))
    return tools


def _text_arg(tool: str, args: dict[str, Any], key: str) -> str:
    value = args.get(key)
    if not isinstance(value, str) or not value:
        raise ToolArgumentsError(
            f"{tool} needs {key!r} as non-empty text, got {value!r}", tool_name=tool
        )
    return value


class _SkillTool(BaseTool):
    """A tool of a :class:`SkillRuntime`; skill and sandbox failures become an error result
    the model reads."""

    source = "skills"
    _name = ""
    _description = ""

    def __init__(self, runtime: SkillRuntime) -> None:
        self._runtime = runtime
        catalog = runtime.catalog
        self._names = catalog.names() if catalog is not None else []

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._names})"

    @property
    def name(self) -> str:
        return self._name

    @property
    def schema(self) -> dict[str, Any]:
        return {
            "title": self._name,
            "description": self._description,
            "type": "object",
            "properties": self._properties(),
            "required": list(self._properties()),
            "additionalProperties": False,
        }

    async def execute(self, args: dict[str, Any]) -> str | ToolOutput:
        try:
            return await self._run(args)
        except (SkillError, SandboxError) as exc:
            return ToolOutput(str(exc), is_error=True)

    def _properties(self) -> dict[str, Any]:
        raise NotImplementedError

    async def _run(self, args: dict[str, Any]) -> str | ToolOutput:
        raise NotImplementedError

    def _skill_property(self, description: str) -> dict[str, Any]:
        return {"type": "string", "enum": list(self._names), "description": description}

    def _skill_arg(self, args: dict[str, Any], key: str) -> Skill:
        return self._runtime.skill(_text_arg(self._name, args, key))


class _ActivateSkillTool(_SkillTool):
    _name = ACTIVATE_SKILL
    _description = (
        "Load a skill's instructions and the list of its scripts and files. Call it before "
        "working on a task that matches the skill's description."
    )

    def _properties(self) -> dict[str, Any]:
        return {"name": self._skill_property("The skill to activate.")}

    async def _run(self, args: dict[str, Any]) -> str:
        return await self._runtime.activate(_text_arg(self._name, args, "name"))


class _ReadSkillFileTool(_SkillTool):
    _name = READ_SKILL_FILE
    _description = (
        "Read a file that belongs to a skill (a reference, template or script), by its path "
        "relative to the skill's directory, for example 'references/REFERENCE.md'."
    )

    def _properties(self) -> dict[str, Any]:
        return {
            "skill": self._skill_property("The skill the file belongs to."),
            "path": {
                "type": "string",
                "description": "The file's path relative to the skill's directory.",
            },
        }

    async def _run(self, args: dict[str, Any]) -> str:
        skill = self._skill_arg(args, "skill")
        path = _text_arg(self._name, args, "path")
        read = functools.partial(skill.read_file, path, max_bytes=self._runtime.max_file_bytes)
        return await anyio.to_thread.run_sync(read)


class _BashTool(_SkillTool):
    _name = BASH
    _description = (
        "Run a bash command in an active skill's directory, for example to run one of its "
        "scripts ('python3 scripts/report.py --help'). The command runs in a sandbox: files "
        "are read-only except /tmp, and there is no network unless the application allows it."
    )

    def _properties(self) -> dict[str, Any]:
        return {
            "skill": self._skill_property("The active skill whose directory the command runs in."),
            "command": {"type": "string", "description": "The bash command to run."},
        }

    async def _run(self, args: dict[str, Any]) -> str | ToolOutput:
        skill = self._skill_arg(args, "skill")
        command = _text_arg(self._name, args, "command")
        runtime = self._runtime
        if skill.name not in runtime.activated_skills():
            return ToolOutput(
                f"skill {skill.name!r} is not active; call {ACTIVATE_SKILL} first", is_error=True
            )
        cmd = await sandboxed_command(runtime.bash_sandbox, ["bash", "-c", command], cwd=skill.root)
        result = await run_command(
            cmd.argv,
            env=cmd.env,
            cwd=cmd.cwd,
            time_limit=runtime.bash_timeout,
            max_output=runtime.bash_max_output,
        )
        if result.timed_out:
            raise ToolTimeoutError(
                f"the command did not finish within {runtime.bash_timeout:g}s; it was killed "
                "with everything it started",
                tool_name=self._name,
            )
        return _bash_output(result)


def _bash_output(result: CommandResult) -> str | ToolOutput:
    """stdout, then stderr under a marker; an error result naming the status when it failed."""
    text = result.stdout.strip()
    if result.stderr.strip():
        text = f"{text}\n[stderr]\n{result.stderr.strip()}".lstrip("\n")
    if result.returncode == 0:
        return text
    return ToolOutput(
        f"exit status {result.returncode}\n{text}".rstrip(),
        is_error=True,
        data={"exit_code": result.returncode, "stdout": result.stdout, "stderr": result.stderr},
    )
