"""Tool-loop runner overhead: 50 parallel no-op tool calls in one turn.

The model is the scripted :class:`~pollytool.providers.fake.FakeLLM`: turn one asks for 50 calls
of a no-op tool, turn two answers. The baseline consumes the same two scripted turns without
the Agent; the difference, divided by 50, is what the Agent spends per tool call (argument
parsing and validation, the task group, the tool message). Measured for an async tool and for
a sync tool (which runs in a worker thread).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

__all__ = ["measure_toolloop"]

CALLS = 50
TARGET_US = 1000.0


async def measure_toolloop(runs: int) -> list[dict[str, Any]]:
    """Rows ``{what, per_call_us, target_us}``."""
    from pollytool import ChatMessage, CompletionRequest
    from pollytool.llm import Agent, ToolRegistry, tool
    from pollytool.providers.fake import FakeLLM, Step
    from pollytool.providers.fake import tool_call as call_step

    @tool
    async def noop_async(n: int) -> str:
        """Does nothing."""
        return "ok"

    @tool
    def noop_sync(n: int) -> str:
        """Does nothing, in a worker thread."""
        return "ok"

    def script(name: str) -> list[list[Step] | str]:
        return [[call_step(name, {"n": i}) for i in range(CALLS)], "done"]

    req = CompletionRequest("fake", [ChatMessage.user("go")])

    async def baseline(name: str) -> float:
        fake = FakeLLM(*script(name))
        start = time.process_time()
        for _ in range(2):
            await fake.stream(req).collect()
        return time.process_time() - start

    async def with_agent(name: str, registry: ToolRegistry) -> float:
        agent = Agent(FakeLLM(*script(name)), registry)
        start = time.process_time()
        result = await agent.run(req)
        elapsed = time.process_time() - start
        assert len(result.new_messages) == CALLS + 2, "every call got a result"
        return elapsed

    rows = []
    for name, fn in (("noop_async", noop_async), ("noop_sync", noop_sync)):
        registry = ToolRegistry([fn])
        await baseline(name)
        await with_agent(name, registry)
        base = statistics.median([await baseline(name) for _ in range(runs)])
        agent = statistics.median([await with_agent(name, registry) for _ in range(runs)])
        rows.append({
            "what": f"agent overhead per call ({name}, {CALLS} parallel)",
            "per_call_us": (agent - base) / CALLS * 1e6,
            "target_us": TARGET_US,
        })  # fmt: skip
    return rows
