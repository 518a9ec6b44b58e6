"""Tools the model can call: the protocol, Python function tools, shell tools, MCP tools."""

from __future__ import annotations

from .base import Tool, ToolOutput, ToolSpec, tool_spec

__all__ = ["Tool", "ToolOutput", "ToolSpec", "tool_spec"]
