"""Import and first-request cost, each in fresh interpreters, against baselines.

* ``import pollytool`` vs ``python -c pass`` (and ``import litellm`` when installed): process
  wall time and the number of modules loaded.
* first request: a fresh process that imports, builds a client and completes one small
  streamed request to the loopback server, pollytool vs the raw ``openai`` SDK.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from typing import Any

__all__ = ["measure_startup"]

_HEAVY = ("openai", "anthropic", "google.genai", "ollama", "mcp")

_IMPORT_PROBE = """
import sys, time, json
t = time.perf_counter()
{statement}
elapsed = time.perf_counter() - t
heavy = [m for m in {heavy!r} if m in sys.modules]
print(json.dumps({{"import_s": elapsed, "modules": len(sys.modules), "heavy": heavy}}))
"""

_FIRST_RAW = """
import asyncio, openai
async def main():
    client = openai.AsyncOpenAI(api_key="sk-bench", base_url="{url}/v1", max_retries=0)
    stream = await client.chat.completions.create(
        model="bench-model", messages=[{{"role": "user", "content": "hi"}}], stream=True)
    async for _ in stream:
        pass
asyncio.run(main())
"""

_FIRST_POLLY = """
import asyncio
from pollytool import ChatMessage, CompletionRequest
from pollytool.llm import OpenAIClient
async def main():
    client = OpenAIClient(api_key="sk-bench", base_url="{url}/v1", max_retries=0)
    req = CompletionRequest("bench-model", [ChatMessage.user("hi")])
    async for _ in client.stream(req):
        pass
asyncio.run(main())
"""


def _wall(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - start


def _probe(statement: str) -> dict[str, Any]:
    code = _IMPORT_PROBE.format(statement=statement, heavy=_HEAVY)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def _median_wall(code: str, runs: int) -> float:
    _wall(code)  # warm the file-system cache
    return statistics.median(_wall(code) for _ in range(runs))


def measure_startup(base_url: str, runs: int) -> list[dict[str, Any]]:
    """Rows for the startup table (times in ms)."""
    baseline = _median_wall("pass", runs)
    rows: list[dict[str, Any]] = []
    statements = {"pollytool": "import pollytool", "openai SDK": "import openai"}
    try:
        import importlib.util

        if importlib.util.find_spec("litellm") is not None:
            statements["LiteLLM"] = "import litellm"
    except ImportError:
        pass
    for name, statement in statements.items():
        wall = _median_wall(statement, runs)
        probe = _probe(statement)
        rows.append({
            "what": f"{statement}",
            "contender": name,
            "added_ms": (wall - baseline) * 1000,
            "modules": probe["modules"],
            "vendor_modules": ",".join(probe["heavy"]) or "-",
        })  # fmt: skip
    raw = _median_wall(_FIRST_RAW.format(url=base_url), runs)
    polly = _median_wall(_FIRST_POLLY.format(url=base_url), runs)
    rows.append(
        {
            "what": "first streamed request (fresh process)",
            "contender": "raw SDK",
            "added_ms": (raw - baseline) * 1000,
            "modules": None,
            "vendor_modules": "-",
        }
    )
    rows.append({"what": "first streamed request (fresh process)", "contender": "pollytool",
                 "added_ms": (polly - baseline) * 1000, "modules": None, "vendor_modules": "-",
                 "ratio": polly / raw if raw else None})  # fmt: skip
    return rows
