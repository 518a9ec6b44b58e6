"""Nothing blocks the event loop: the first request through a provider imports its vendor SDK
and builds its client in a worker thread.

Each provider is checked in a fresh interpreter (so its SDK is not imported yet) that runs a
ticker task (``sleep(0.001)`` then count) next to the first request through the router.
Import hooks note, around the execution of the SDK's top module and around the construction
of its client, which thread did the work and the ticker's count before and after. On the event
loop's own thread the ticker could not advance while that work ran; so the test asserts the
work ran on another thread *and* the ticker advanced meanwhile, with no timing threshold.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: harness -> (SDK top module, its client class)
SDKS = {
    "openai-chat": ("openai", "AsyncOpenAI"),
    "anthropic": ("anthropic", "AsyncAnthropic"),
    "gemini": ("google.genai", "Client"),
    "ollama": ("ollama", "AsyncClient"),
}

SCRIPT = r"""
import importlib.abc, importlib.util, json, sys, threading
import anyio

HARNESS, MODULE, CLASS = sys.argv[1:4]
ticks = 0
seen = {}


def watched(name, work):
    def run(*args, **kwargs):
        before = ticks
        try:
            return work(*args, **kwargs)
        finally:
            seen.setdefault(name, (threading.current_thread().name, before, ticks))
    return run


class Watch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        execute = spec.loader.exec_module

        def exec_module(module):
            watched("import", execute)(module)
            cls = getattr(module, CLASS)
            cls.__init__ = watched("client", cls.__init__)

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, Watch())

from pollytool import ChatMessage, CompletionRequest, MultiPass
from tests.fakes.loopback import LoopbackServer
from tests.providers._harness import HARNESSES


async def main():
    global ticks
    harness = HARNESSES[HARNESS]
    provider = HARNESS.split("-")[0]

    async def ticker():
        global ticks
        while True:
            await anyio.sleep(0.001)
            ticks += 1

    async with LoopbackServer() as server, anyio.create_task_group() as tg:
        server.always("POST", harness.path(), lambda _: harness.reply("ok"))
        tg.start_soon(ticker)
        router = MultiPass({provider: harness.key},
                           base_urls={provider: harness.base_url(server.url)}, env={})
        req = harness.request()
        req.model = f"{provider}/{req.model}"
        async with router:
            text = await router.stream(req).text()
        tg.cancel_scope.cancel()
    print(json.dumps({"text": text, "loop": threading.current_thread().name, **seen}))


anyio.run(main)
"""


@pytest.mark.parametrize("harness", list(SDKS))
def test_the_first_request_does_not_stall_the_loop(harness: str) -> None:
    module, cls = SDKS[harness]
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, harness, module, cls],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["text"] == "ok"
    for work in ("import", "client"):
        thread, before, after = result[work]
        assert thread != result["loop"], f"{work} ran on the event loop's thread"
        assert after > before, f"the event loop did not tick during the {work}"
