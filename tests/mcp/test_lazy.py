"""Importing pollytool, its tools and its MCP package loads no ``mcp`` SDK (checked in a fresh
interpreter); the SDK arrives with the first client."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ["mcp", "mcp_types", "httpx2"]


@pytest.mark.parametrize(
    "statement",
    [
        "import pollytool",
        "import pollytool.mcp",
        "import pollytool.tools",
        "from pollytool.tools import MCPTool",
        "from pollytool.mcp import MCPServerConfig, load_mcp_config, parse_mcp_spec",
        "from pollytool.mcp import MCPProgress, MCPLogMessage",
    ],
)
def test_no_mcp_sdk_is_imported(statement: str) -> None:
    code = f"{statement}\nimport sys\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_facade_exports_what_it_lists() -> None:
    import pollytool.mcp

    assert set(pollytool.mcp.__all__) == set(pollytool.mcp._EXPORTS)
    for name in pollytool.mcp.__all__:
        assert getattr(pollytool.mcp, name) is not None
    assert "MCPClient" in dir(pollytool.mcp)
