"""Run by the multi-process test: append messages to one session once told to start.

Usage: ``python -m tests.sessions._append_worker KIND LOCATION NAME WORKER COUNT`` (see
:func:`tests.sessions._stores.open_store`). Prints ``ready`` and waits for a line on stdin so
that every worker starts at the same moment. Runs on asyncio (every store supports it).
"""

from __future__ import annotations

import sys

import anyio

from pollytool.messages import ChatMessage
from tests.sessions._stores import open_store


async def main(kind: str, location: str, name: str, worker: str, count: int) -> None:
    async with open_store(kind, location) as store:
        session = await store.get(name)
        print("ready", flush=True)
        await anyio.to_thread.run_sync(sys.stdin.readline)
        for i in range(count):
            await session.add_message(ChatMessage.user(f"{worker}:{i}"))


if __name__ == "__main__":
    kind, location, name, worker, count = sys.argv[1:]
    anyio.run(main, kind, location, name, worker, int(count))
