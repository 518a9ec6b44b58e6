"""Many concurrent streams in one process: all complete, event-loop lag, memory per stream.

Each measurement runs in a fresh interpreter (``python -m benchmarks.concurrency URL N MODE``)
so its memory is its own: MODE ``raw`` runs N concurrent streams with the raw openai SDK,
``pollytool`` with pollytool's OpenAI client (Chat Completions path). Memory per stream is the
highest resident set size seen while the streams run (sampled by the ticker) minus the size
just before they start, divided by N. The ticker also records how late a 5 ms sleep wakes up
(event-loop lag) while the streams run; with hundreds of streams parsing at once on one core
this measures saturation, and is compared with the raw SDK's.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import anyio

from benchmarks.streams import MODEL

__all__ = ["measure_concurrency"]

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss_kb() -> float:
    """The current resident set size in KiB (Linux ``/proc/self/statm``)."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * _PAGE / 1024


async def _run(url: str, n: int, mode: str) -> dict[str, Any]:
    import openai

    from pollytool import ChatMessage, CompletionRequest, ContentEvent, ErrorEvent
    from pollytool.llm import OpenAIClient

    raw = openai.AsyncOpenAI(api_key="sk-bench", base_url=url + "/v1", max_retries=0)
    polly = OpenAIClient(api_key="sk-bench", base_url=url + "/v1", max_retries=0)
    req = CompletionRequest(MODEL, [ChatMessage.user("hi")], provider_options={"api": "chat"})
    done = 0
    events = 0
    lags: list[float] = []
    finished = anyio.Event()
    rss_before = _rss_kb()
    rss_peak = rss_before

    async def ticker() -> None:
        nonlocal rss_peak
        while not finished.is_set():
            start = time.perf_counter()
            await anyio.sleep(0.005)
            lags.append(time.perf_counter() - start - 0.005)
            rss_peak = max(rss_peak, _rss_kb())

    async def one_raw() -> None:
        nonlocal done, events
        stream = await raw.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True
        )
        async for _ in stream:
            events += 1
        done += 1

    async def one_polly() -> None:
        nonlocal done, events
        async for event in polly.stream(req):
            if isinstance(event, ContentEvent):
                events += 1
            elif isinstance(event, ErrorEvent):
                raise event.error
        done += 1

    start = time.perf_counter()
    async with anyio.create_task_group() as tg:
        tg.start_soon(ticker)
        async with anyio.create_task_group() as streams:
            for _ in range(n):
                streams.start_soon(one_raw if mode == "raw" else one_polly)
        finished.set()
    wall = time.perf_counter() - start
    await raw.close()
    await polly.aclose()
    lags.sort()
    return {
        "completed": done,
        "events": events,
        "wall_s": wall,
        "p99_lag_ms": lags[int(len(lags) * 0.99) - 1] * 1000 if lags else 0.0,
        "rss_growth_kb": rss_peak - rss_before,
    }


def _subprocess(url: str, n: int, mode: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.concurrency", url, str(n), mode],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def measure_concurrency(url: str, n: int, runs: int) -> list[dict[str, Any]]:
    """Rows for the concurrency table."""
    rows = []
    for mode in ("raw", "pollytool"):
        results = [_subprocess(url, n, mode) for _ in range(runs)]
        rows.append({
            "contender": "raw SDK" if mode == "raw" else "pollytool",
            "streams": n,
            "completed": min(r["completed"] for r in results),
            "wall_s": statistics.median(r["wall_s"] for r in results),
            "p99_lag_ms": statistics.median(r["p99_lag_ms"] for r in results),
            "rss_per_stream_kb": statistics.median(r["rss_growth_kb"] / n for r in results),
        })  # fmt: skip
    return rows


if __name__ == "__main__":
    print(json.dumps(anyio.run(_run, sys.argv[1], int(sys.argv[2]), sys.argv[3])))
