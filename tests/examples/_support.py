"""What the example and seed tests share: running an example against the loopback provider
server, the text a cassette recorded, and scripted OpenAI Chat Completions streams."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio

from tests.fakes.cassettes import load_cassette
from tests.fakes.loopback import LoopbackServer, Reply

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

#: A key the loopback server accepts; tests assert it never shows up in output.
SECRET = "sk-test-do-not-print-0123456789"


def provider_env(server: LoopbackServer) -> dict[str, str]:
    """``POLLYTOOL_*`` variables sending every provider to *server*."""
    return {
        "POLLYTOOL_OPENAIKEY": SECRET,
        "POLLYTOOL_OPENAI_BASEURL": server.url + "/v1",
        "POLLYTOOL_ANTHROPICKEY": SECRET,
        "POLLYTOOL_ANTHROPIC_BASEURL": server.url,
        "POLLYTOOL_GEMINIKEY": SECRET,
        "POLLYTOOL_GEMINI_BASEURL": server.url,
        "POLLYTOOL_OLLAMA_BASEURL": server.url,
    }


def clean_environ(home: Path, **overrides: str) -> dict[str, str]:
    """This process's environment without ``POLLYTOOL_*`` variables, with ``HOME`` at *home*
    and *overrides* added."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLLYTOOL_")}
    return {**env, "HOME": str(home), **overrides}


async def run_example(
    script: Path, *args: str, env: dict[str, str], check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    """Run *script* with this interpreter (not blocking the event loop, so a loopback server
    in this test keeps serving it)."""
    with anyio.fail_after(90):
        done = await anyio.run_process([sys.executable, str(script), *args], env=env, check=False)
    if check:
        assert done.returncode == 0, done.stderr.decode()
    return done


def load_example(path: Path) -> ModuleType:
    """Import an example file as a module (examples are not a package)."""
    name = "example_" + "_".join(path.relative_to(EXAMPLES).with_suffix("").parts)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- recorded replies


def replay(server: LoopbackServer, *cassette_ids: str, match_path: bool = True) -> None:
    """Queue the interactions of each cassette, in order (*match_path* ``False``: for any
    path, as when the model name in the URL differs from the recording's)."""
    for cassette_id in cassette_ids:
        server.replay(load_cassette(cassette_id), match_path=match_path)


def cassette_text(cassette_id: str, interaction: int = 0) -> str:
    """The reply text a cassette recorded (from its SSE or NDJSON body), so tests compare
    against the recording instead of a typed-in copy."""
    response = load_cassette(cassette_id)["interactions"][interaction]["response"]
    body: str = response["body"]
    if response.get("body_kind") == "ndjson":
        return "".join(json.loads(line)["message"].get("content", "") for line in body.splitlines())
    text = []
    for line in body.splitlines():
        if not line.startswith("data:") or line.strip() == "data: [DONE]":
            continue
        data = json.loads(line[5:])
        text.append(_sse_text(data))
    return "".join(text)


def _sse_text(data: dict[str, Any]) -> str:
    if "choices" in data:  # OpenAI Chat Completions
        return "".join(c["delta"].get("content") or "" for c in data["choices"])
    if data.get("type") == "content_block_delta":  # Anthropic
        return str(data["delta"].get("text", ""))
    if "candidates" in data:  # Gemini
        parts = data["candidates"][0].get("content", {}).get("parts", [])
        return "".join(p.get("text", "") for p in parts if not p.get("thought"))
    return ""


# --------------------------------------------------------------------------- scripted replies


def _chunk(delta: dict[str, Any] | None, finish: str | None = None, **more: Any) -> dict[str, Any]:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 0,
            "model": "scripted", "choices": choices, **more}  # fmt: skip


def chat_stream(text: str = "", tool_calls: Sequence[tuple[str, dict[str, Any]]] = ()) -> Reply:
    """A scripted OpenAI Chat Completions stream: *text* in two pieces, or tool calls
    ``(name, arguments)`` (ids ``call_0``, ``call_1``...), then usage and ``[DONE]``."""
    frames: list[tuple[str | None, Any] | str] = [(None, _chunk({"role": "assistant"}))]
    if text:
        half = len(text) // 2
        frames += [
            (None, _chunk({"content": text[:half]})),
            (None, _chunk({"content": text[half:]})),
        ]
    for index, (name, arguments) in enumerate(tool_calls):
        call = {"index": index, "id": f"call_{index}", "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)}}  # fmt: skip
        frames.append((None, _chunk({"tool_calls": [call]})))
    frames.append((None, _chunk({}, "tool_calls" if tool_calls else "stop")))
    usage = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
    frames += [(None, _chunk(None, usage=usage)), "data: [DONE]"]
    return Reply.sse(frames)


def chat_error(
    status: int, message: str, code: str, headers: dict[str, str] | None = None
) -> Reply:
    """A scripted OpenAI error reply."""
    body = {"error": {"message": message, "type": "invalid_request_error", "code": code}}
    return Reply.json(body, status=status, headers=headers)
