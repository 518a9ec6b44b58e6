"""Tools the model can call: the protocol, Python function tools, the registry, shell and MCP
tools (:class:`MCPTool`; connect to servers with :mod:`pollytool.mcp`), and the skill runtime."""

from __future__ import annotations

from .base import BaseTool, Tool, ToolOutput, ToolSpec, tool_spec
from .function import FunctionTool, tool
from .mcp import MCPTool
from .registry import (
    NamespacedTool,
    ToolRegistry,
    namespaced_name,
    sanitize_tool_name,
    split_namespaced_name,
)
from .sandbox import SandboxSpec
from .shell import ShellTool, load_shell_tools
from .skill_runtime import SkillRuntime

__all__ = [
    "BaseTool",
    "FunctionTool",
    "MCPTool",
    "NamespacedTool",
    "SandboxSpec",
    "ShellTool",
    "SkillRuntime",
    "Tool",
    "ToolOutput",
    "ToolRegistry",
    "ToolSpec",
    "load_shell_tools",
    "namespaced_name",
    "sanitize_tool_name",
    "split_namespaced_name",
    "tool",
    "tool_spec",
]
