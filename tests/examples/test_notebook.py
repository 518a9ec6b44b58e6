"""The notebook example, executed cell by cell in a real Jupyter kernel (nbclient), with
top-level ``await`` and ``async for``, against the loopback provider server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from tests.examples._support import EXAMPLES, cassette_text, provider_env, replay
from tests.fakes.loopback import LoopbackServer

pytestmark = pytest.mark.anyio

NOTEBOOK = EXAMPLES / "notebook" / "pollytool.ipynb"


@pytest.fixture
def anyio_backend() -> str:
    """nbclient drives the kernel with asyncio (pyzmq's asyncio sockets)."""
    return "asyncio"


def _output_text(cell: Any) -> str:
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "execute_result":
            parts.append(output.data["text/plain"])
        elif output.output_type == "error":
            raise AssertionError("\n".join(output.traceback))
    return "".join(parts)


async def test_notebook_runs_with_top_level_await(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in provider_env(loopback).items():
        monkeypatch.setenv(name, value)  # the kernel inherits this environment
    replay(loopback, "openai/chat__stream_text", "openai/chat__stream_text",
           "openai/chat__stream_json_schema")  # fmt: skip
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook, timeout=60, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    await client.async_execute()

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    outputs = [_output_text(cell) for cell in code]
    text = cassette_text("openai/chat__stream_text")
    assert outputs[1] == text + "\n"
    assert outputs[2].startswith(text + "\nUsage(input_tokens=")
    assert outputs[3] == (
        "Book(title='THE NAME OF THE WIND', author=Author(first_name='Patrick', "
        "last_name='Rothfuss'), rating=7)"
    )
    structured = loopback.requests[2].json()
    assert structured["response_format"]["json_schema"]["name"] == "Book"
    assert len(loopback.requests) == 3
