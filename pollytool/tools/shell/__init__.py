"""Shell scripts as tools: the ``--schema`` / ``--execute <json>`` protocol, run in the sandbox
their schema (or the caller) asks for.

::

    from pollytool.tools import ToolRegistry
    from pollytool.tools.shell import load_shell_tools

    registry = ToolRegistry()
    for tool in await load_shell_tools(["./weather.sh", "./calculator.sh"]):
        registry.register(tool, namespace=tool.namespace)     # weather__get_weather, ...

:func:`run_command` is the process runner they use (timeout, output cap, no process left
behind); the skills' ``bash`` tool and others can reuse it with
:func:`~pollytool.tools.sandbox.sandboxed_command`.
"""

from __future__ import annotations

from ._process import CommandResult, run_command
from ._tool import (
    DEFAULT_MAX_OUTPUT,
    DEFAULT_TIMEOUT,
    SCHEMA_TIMEOUT,
    ShellTool,
    load_shell_tools,
)

__all__ = [
    "DEFAULT_MAX_OUTPUT",
    "DEFAULT_TIMEOUT",
    "SCHEMA_TIMEOUT",
    "CommandResult",
    "ShellTool",
    "load_shell_tools",
    "run_command",
]
