"""Session stores: file-store append cost at 100 vs 10,000 messages and loading 10,000
messages; appends per second with 8 concurrent writers for every store.

Appending must cost the same whatever the history's length (one line and one fsync, never a
rewrite), so the figure is the ratio of the median append time to a 10,000-message session to
that to a 100-message one. Loading is compared with the least any JSON Lines reader has to do:
read the file and ``json.loads`` every line. Each pair is sampled alternately, so background
load on the machine affects both sides alike.

Throughput: 8 tasks in one process append ordinary messages at once, each to its own session
(a service's many conversations) and all to one session (contention on one log); the figure
is messages stored per second of wall time, each a durable write where the store offers one
(file: fsync; SQLite: WAL with ``synchronous=FULL``; Redis: in memory, as Redis is set up).
Redis runs in a throw-away ``redis-server`` on loopback; without one that row says so.

Run: ``python -m benchmarks.sessions``.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

from pollytool.messages import ChatMessage, ChatMessageToolCall
from pollytool.sessions import FileSessionStore, SessionStore
from tests.sessions._redis_server import redis_server
from tests.sessions._stores import KINDS, open_store

SMALL, LARGE = 100, 10_000
APPEND_SAMPLES = 51
LOAD_RUNS = 9
APPEND_TARGET = 1.5  # append at 10,000 messages vs at 100
LOAD_TARGET = 4.0  # load through the store vs read + json.loads per line
WRITERS = 8
APPENDS_PER_WRITER = 100


def _conversation(count: int) -> list[ChatMessage]:
    """A realistic mix: questions, tool calls with results, and answers."""
    pattern = [
        ChatMessage.user("Please look up the weather in Paris and summarise it. " * 3),
        ChatMessage.assistant(
            "", [ChatMessageToolCall("call_1", "weather", '{"city": "Paris", "days": 3}')]
        ),
        ChatMessage.tool_result("call_1", '{"forecast": ["sun", "rain", "cloud"]}' * 4),
        ChatMessage.assistant("Sunny today, rain tomorrow, then clouds. " * 5),
    ]
    return [pattern[i % len(pattern)] for i in range(count)]


async def _seconds(action: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await action()
    return time.perf_counter() - start


async def _paired_medians(
    first: Callable[[], Awaitable[Any]], second: Callable[[], Awaitable[Any]], runs: int
) -> tuple[float, float]:
    """Median seconds of each action, sampled alternately so that background load on the
    machine affects both alike."""
    a: list[float] = []
    b: list[float] = []
    for _ in range(runs):
        a.append(await _seconds(first))
        b.append(await _seconds(second))
    return statistics.median(a), statistics.median(b)


def _raw_load(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


async def _measure(directory: Path) -> list[dict[str, Any]]:
    store = FileSessionStore(directory)
    short = await store.get("short")
    await short.add_messages(_conversation(SMALL))
    long = await store.get("long")
    await long.add_messages(_conversation(LARGE))
    message = ChatMessage.user("one more message of ordinary length " * 4)
    small, large = await _paired_medians(
        lambda: short.add_message(message), lambda: long.add_message(message), APPEND_SAMPLES
    )
    size = len(await long.get_history(full=True))

    async def raw() -> None:
        await anyio.to_thread.run_sync(_raw_load, long.path)

    load, baseline = await _paired_medians(lambda: long.get_history(full=True), raw, LOAD_RUNS)
    return [
        _row(f"sessions: append at message {SMALL:,}", small, None, None),
        _row(f"sessions: append at message {LARGE:,}", large, small, APPEND_TARGET),
        _row(f"sessions: load {size:,} messages", load, baseline, LOAD_TARGET),
    ]


def _row(name: str, seconds: float, baseline: float | None, target: float | None) -> dict[str, Any]:
    return {
        "name": name,
        "value_ms": round(seconds * 1000, 3),
        "baseline_ms": None if baseline is None else round(baseline * 1000, 3),
        "ratio": None if baseline is None else round(seconds / baseline, 3),
        "target": target,
    }


async def _appends_per_second(store: SessionStore, *, shared: bool) -> float:
    """Messages stored per second by :data:`WRITERS` concurrent tasks."""
    names = ["shared"] * WRITERS if shared else [f"writer-{w}" for w in range(WRITERS)]
    sessions = [await store.get(name) for name in names]
    message = ChatMessage.user("one more message of ordinary length " * 4)

    async def write(session: Any) -> None:
        for _ in range(APPENDS_PER_WRITER):
            await session.add_message(message)

    start = time.perf_counter()
    async with anyio.create_task_group() as tasks:
        for session in sessions:
            tasks.start_soon(write, session)
    seconds = time.perf_counter() - start
    stored = sum({s.name: len(await s.get_history()) for s in sessions}.values())
    assert stored == WRITERS * APPENDS_PER_WRITER, stored
    return WRITERS * APPENDS_PER_WRITER / seconds


async def _throughput(kind: str, location: str) -> list[dict[str, Any]]:
    rows = []
    for shared in (False, True):
        async with open_store(kind, location) as store:
            rate = await _appends_per_second(store, shared=shared)
        layout = "1 session" if shared else f"{WRITERS} sessions"
        rows.append({"name": f"sessions: {kind}, {WRITERS} writers, {layout}",
                     "appends_per_s": round(rate)})  # fmt: skip
    return rows


def _throughput_rows(directory: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for kind in KINDS:
        if kind == "redis":
            try:
                with redis_server() as url:
                    rows += anyio.run(_throughput, kind, f"{url} bench:")
            except FileNotFoundError as missing:
                rows.append({"name": f"sessions: redis ({missing})"})
            continue
        location = str(directory / kind / ("sessions.db" if kind == "sqlite" else ""))
        rows += anyio.run(_throughput, kind, location)
    return rows


def run() -> list[dict[str, Any]]:
    """Measure and return one row per figure (``name``, then ``value_ms``, ``baseline_ms``,
    ``ratio``, ``target`` (a row passes when ``ratio <= target``), or ``appends_per_s``)."""
    with tempfile.TemporaryDirectory(prefix="pollytool-bench-") as directory:
        rows = anyio.run(_measure, Path(directory))
        return rows + _throughput_rows(Path(directory))


def _line(row: dict[str, Any]) -> str:
    if "appends_per_s" in row:
        return f"{row['name']:<48} {row['appends_per_s']:>10,} appends/s"
    if "value_ms" not in row:
        return str(row["name"])
    line = f"{row['name']:<48} {row['value_ms']:>10.3f} ms"
    if row["ratio"] is not None:
        line += f"  baseline {row['baseline_ms']:.3f} ms  ratio {row['ratio']:.2f}"
        line += f" (target {row['target']})"
    return line


if __name__ == "__main__":
    for row in run():
        print(_line(row))
