"""``ShellTool``: a script that speaks the ``--schema`` / ``--execute <json>`` protocol."""

from __future__ import annotations

import copy
import json
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from ...errors import (
    SandboxSpecError,
    ToolArgumentsError,
    ToolLoadError,
    ToolTimeoutError,
)
from ..base import BaseTool, ToolOutput
from ..sandbox import (
    SandboxSpec,
    check_sandbox,
    effective_sandbox,
    sandboxed_command,
    sandboxing_disabled,
)
from ..validation import ArgumentsValidator
from ._process import CommandResult, run_command

__all__ = [
    "DEFAULT_MAX_OUTPUT",
    "DEFAULT_TIMEOUT",
    "SCHEMA_TIMEOUT",
    "ShellTool",
    "load_shell_tools",
]

logger = logging.getLogger("pollytool.tools.shell")

#: Seconds a call may run before it is killed (``call_timeout=None``: no limit).
DEFAULT_TIMEOUT = 300.0
#: Bytes of stdout (and of stderr) kept from a call; the rest is cut and marked.
DEFAULT_MAX_OUTPUT = 64 * 1024
#: Seconds ``--schema`` may take, and the bytes it may print.
SCHEMA_TIMEOUT = 30.0
SCHEMA_MAX_OUTPUT = 1024 * 1024
#: Concurrent ``--schema`` runs in :func:`load_shell_tools`.
LOAD_CONCURRENCY = 8
#: The longest JSON argument string passed on the command line (Linux refuses one argument
#: longer than 128 KiB).
MAX_ARGUMENT_BYTES = 128 * 1024 - 1
#: Keys of a script's schema that pollytool reads and the model never sees.
_PRIVATE_KEYS = ("sandbox", "strict")
_SANDBOXED_SUFFIX = " [sandboxed]"


class ShellTool(BaseTool):
    """A script used as a tool. ``script --schema`` prints its JSON schema (an object with a
    ``title``, the tool's name); ``script --execute '<json>'`` runs it with the arguments as
    one command-line argument (keys sorted) and prints the result on stdout.

    Load one with ``await ShellTool.load(path)`` (or many with :func:`load_shell_tools`);
    ``ShellTool(path, schema)`` builds one from a schema already read. Register it under its
    file's name with ``registry.register(tool, namespace=tool.namespace)`` to publish it as
    ``weather__get_weather``.

    **Sandbox.** A schema's top-level ``"sandbox"`` (``true``, ``false`` or an object, see
    :class:`~pollytool.tools.sandbox.SandboxSpec`) decides: a script that asks for a sandbox
    runs in one, and ``" [sandboxed]"`` is added to its description; a script that omits
    it or says ``false`` runs unrestricted, as in the seed. A caller that wants every tool
    contained passes ``sandbox_default`` (``True`` or a spec): tools that omit ``sandbox``
    then get that spec, tools with their own spec get both combined
    (:meth:`SandboxSpec.merge`), and a script saying ``"sandbox": false`` is refused, since
    a script may not lift its caller's policy. ``nosandbox=True`` (default: the
    ``POLLYTOOL_NOSANDBOX`` variable) runs every tool unsandboxed, logging a warning for those
    that asked for a sandbox. If a sandbox is needed and no backend works,
    :class:`~pollytool.errors.SandboxUnavailableError` is raised; nothing runs unsandboxed
    instead.

    **Results.** Exit status 0: stdout, whitespace-trimmed. Non-zero: an error result
    (``ToolOutput(is_error=True)``) with the exit status, stdout and stderr, and
    ``data={"exit_code", "stdout", "stderr"}``. Running past *call_timeout* seconds raises
    :class:`~pollytool.errors.ToolTimeoutError` after killing every process the call
    started. Each stream is cut after *max_output* bytes, with a marker.

    Attributes:
        path: the script's absolute path.
        source: the same, as the registry shows it in messages.
        namespace: the script's file name without extension (``weather.sh`` → ``weather``).
        sandbox: the sandbox calls run in, or ``None``.
        strict: the schema's ``strict`` flag, when it had one.
        raw_schema: the schema as the script printed it.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        schema: Mapping[str, Any],
        *,
        sandbox_default: SandboxSpec | bool | Mapping[str, Any] | None = None,
        nosandbox: bool | None = None,
        call_timeout: float | None = DEFAULT_TIMEOUT,
        max_output: int = DEFAULT_MAX_OUTPUT,
        cwd: str | os.PathLike[str] | None = None,
    ) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self.source = self.path
        self.namespace = Path(self.path).stem
        self.call_timeout = call_timeout
        self.max_output = max_output
        self.cwd = None if cwd is None else os.fspath(cwd)
        self.raw_schema = copy.deepcopy(dict(schema))
        self._name = _schema_name(self.path, self.raw_schema)
        strict = self.raw_schema.get("strict")
        if strict is not None and not isinstance(strict, bool):
            raise self._load_error(f"'strict' must be true or false, got {strict!r}")
        self.strict: bool | None = strict
        self.sandbox = self._effective_sandbox(sandbox_default, nosandbox)
        self._schema = self._llm_schema()
        problem = _schema_problem(self._schema)
        if problem:
            raise self._load_error(f"its schema is not a valid JSON schema: {problem}")
        self._validator = ArgumentsValidator(self._name, self._schema)

    def __repr__(self) -> str:
        return f"ShellTool({self._name!r}, {self.path!r}, sandboxed={self.sandbox is not None})"

    @property
    def name(self) -> str:
        return self._name

    @property
    def schema(self) -> dict[str, Any]:
        return self._schema

    @classmethod
    async def load(
        cls,
        path: str | os.PathLike[str],
        *,
        sandbox_default: SandboxSpec | bool | Mapping[str, Any] | None = None,
        nosandbox: bool | None = None,
        call_timeout: float | None = DEFAULT_TIMEOUT,
        max_output: int = DEFAULT_MAX_OUTPUT,
        cwd: str | os.PathLike[str] | None = None,
    ) -> ShellTool:
        """Run ``path --schema`` and build the tool from what it prints.

        Discovery runs in the default sandbox (no network, no writes outside a private
        ``/tmp``, credentials hidden) unless sandboxing is disabled, is killed after
        :data:`SCHEMA_TIMEOUT` seconds and may print at most 1 MiB. Raises
        :class:`~pollytool.errors.ToolLoadError` naming the script and the problem (missing,
        not executable, failing, no JSON object, no ``title``, a bad ``sandbox`` value…), and
        :class:`~pollytool.errors.SandboxUnavailableError` when a sandbox is needed and none
        works.
        """
        real = await anyio.to_thread.run_sync(_executable, os.fspath(path))
        disabled = sandboxing_disabled(nosandbox)
        command = await sandboxed_command(
            None if disabled else SandboxSpec(), [real, "--schema"], cwd=cwd
        )
        result = await run_command(
            command.argv,
            env=command.env,
            cwd=command.cwd,
            time_limit=SCHEMA_TIMEOUT,
            max_output=SCHEMA_MAX_OUTPUT,
        )
        schema = _parse_schema(real, result)
        tool = cls(
            real,
            schema,
            sandbox_default=sandbox_default,
            nosandbox=disabled,
            call_timeout=call_timeout,
            max_output=max_output,
            cwd=cwd,
        )
        if tool.sandbox is not None:
            try:
                await check_sandbox(tool.sandbox)
            except SandboxSpecError as exc:
                raise tool._load_error(str(exc)) from exc
        return tool

    async def execute(self, args: dict[str, Any]) -> str | ToolOutput:
        """Run ``script --execute '<json>'`` with *args* (checked against the schema first)."""
        self._validator.validate(args)
        try:
            payload = json.dumps(args, sort_keys=True, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ToolArgumentsError(
                f"arguments for tool {self._name!r} cannot be encoded as JSON: {exc}",
                tool_name=self._name,
            ) from exc
        if len(payload.encode()) > MAX_ARGUMENT_BYTES:
            raise ToolArgumentsError(
                f"arguments for tool {self._name!r} are longer than the "
                f"{MAX_ARGUMENT_BYTES + 1} bytes a command-line argument can hold",
                tool_name=self._name,
            )
        command = await sandboxed_command(
            self.sandbox, [self.path, "--execute", payload], cwd=self.cwd
        )
        result = await run_command(
            command.argv,
            env=command.env,
            cwd=command.cwd,
            time_limit=self.call_timeout,
            max_output=self.max_output,
        )
        if result.timed_out:
            partial = result.stdout.strip()
            raise ToolTimeoutError(
                f"tool {self._name!r} did not finish within {self.call_timeout:g}s; it was killed "
                "with every process it started"
                + (f". Output so far:\n{partial}" if partial else ""),
                tool_name=self._name,
            )
        if result.returncode != 0:
            return _failure(self._name, result)
        return result.stdout.strip()

    def _effective_sandbox(
        self,
        sandbox_default: SandboxSpec | bool | Mapping[str, Any] | None,
        nosandbox: bool | None,
    ) -> SandboxSpec | None:
        try:
            return effective_sandbox(
                self.raw_schema.get("sandbox"), sandbox_default, subject=f"shell tool {self.path}",
                logger=logger, nosandbox=nosandbox, may_opt_out=False,
            )  # fmt: skip
        except SandboxSpecError as exc:
            raise self._load_error(str(exc)) from exc

    def _llm_schema(self) -> dict[str, Any]:
        schema = {k: v for k, v in self.raw_schema.items() if k not in _PRIVATE_KEYS}
        if self.sandbox is not None:
            schema["description"] = str(schema.get("description") or "") + _SANDBOXED_SUFFIX
        return schema

    def _load_error(self, problem: str) -> ToolLoadError:
        return ToolLoadError(
            f"shell tool {self.path}: {problem}", tool_name=self._name, source=self.path
        )


async def load_shell_tools(
    paths: Iterable[str | os.PathLike[str]],
    *,
    sandbox_default: SandboxSpec | bool | Mapping[str, Any] | None = None,
    nosandbox: bool | None = None,
    call_timeout: float | None = DEFAULT_TIMEOUT,
    max_output: int = DEFAULT_MAX_OUTPUT,
    cwd: str | os.PathLike[str] | None = None,
) -> list[ShellTool]:
    """Load every script of *paths* concurrently (see :meth:`ShellTool.load` for the
    options), in the order given.

    Nothing is skipped silently: if any script fails, one
    :class:`~pollytool.errors.ToolLoadError` lists every failure (``failures`` holds one
    error per script). :class:`~pollytool.errors.SandboxUnavailableError` is raised once, up
    front, when sandboxing is on and no backend works.
    """
    targets = [os.fspath(p) for p in paths]
    disabled = sandboxing_disabled(nosandbox)
    if not disabled and targets:
        await check_sandbox()
    results: list[ShellTool | ToolLoadError | None] = [None] * len(targets)
    limiter = anyio.CapacityLimiter(LOAD_CONCURRENCY)

    async def load_one(index: int, path: str) -> None:
        async with limiter:
            try:
                results[index] = await ShellTool.load(
                    path,
                    sandbox_default=sandbox_default,
                    nosandbox=disabled,
                    call_timeout=call_timeout,
                    max_output=max_output,
                    cwd=cwd,
                )
            except ToolLoadError as exc:
                results[index] = exc

    async with anyio.create_task_group() as tg:
        for index, path in enumerate(targets):
            tg.start_soon(load_one, index, path)
    failures = tuple(r for r in results if isinstance(r, ToolLoadError))
    if failures:
        listing = "\n".join(f"- {failure}" for failure in failures)
        raise ToolLoadError(
            f"{len(failures)} of {len(targets)} shell tools could not be loaded:\n{listing}",
            failures=failures,
        )
    return [r for r in results if isinstance(r, ShellTool)]


def _executable(path: str) -> str:
    path = os.path.abspath(path)
    if not os.path.exists(path):
        raise ToolLoadError(f"shell tool {path}: no such file", source=path)
    if not os.path.isfile(path):
        raise ToolLoadError(f"shell tool {path}: not a regular file", source=path)
    if not os.access(path, os.X_OK):
        raise ToolLoadError(
            f"shell tool {path}: not executable (run: chmod +x {path})", source=path
        )
    return path


def _parse_schema(path: str, result: CommandResult) -> dict[str, Any]:
    def fail(problem: str) -> ToolLoadError:
        return ToolLoadError(f"shell tool {path}: {problem}", source=path)

    if result.timed_out:
        raise fail(f"'--schema' did not finish within {SCHEMA_TIMEOUT:g}s")
    if result.returncode != 0:
        detail = result.stderr.strip() or result.stdout.strip() or "no output"
        raise fail(f"'--schema' failed with exit status {result.returncode}: {detail}")
    try:
        schema = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise fail(f"'--schema' did not print JSON ({exc}): {result.stdout[:200]!r}") from None
    if not isinstance(schema, dict):
        raise fail(f"'--schema' printed {type(schema).__name__}, not a JSON object")
    return schema


def _schema_name(path: str, schema: dict[str, Any]) -> str:
    title = schema.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ToolLoadError(
            f"shell tool {path}: its schema has no 'title' (the tool's name)", source=path
        )
    kind = schema.get("type", "object")
    if kind != "object":
        raise ToolLoadError(
            f"shell tool {path}: its schema's type must be 'object', got {kind!r}",
            tool_name=title,
            source=path,
        )
    return title


def _schema_problem(schema: dict[str, Any]) -> str:
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import Draft202012Validator, validator_for

    try:
        validator_for(schema, default=Draft202012Validator).check_schema(schema)
    except SchemaError as exc:
        return exc.message
    return ""


def _failure(name: str, result: CommandResult) -> ToolOutput:
    stdout, stderr = result.stdout.strip(), result.stderr.strip()
    status = result.returncode if result.returncode is not None else "unknown"
    parts = [f"tool {name!r} failed with exit status {status}"]
    if stdout:
        parts.append(stdout)
    if stderr:
        parts.append(f"stderr:\n{stderr}")
    return ToolOutput(
        "\n".join(parts),
        is_error=True,
        data={"exit_code": result.returncode, "stdout": stdout, "stderr": stderr},
    )
