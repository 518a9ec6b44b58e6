"""Run by the multi-process test: append messages to one session once told to start.

Usage: ``python -m tests.sessions._append_worker DIRECTORY NAME WORKER COUNT``. Prints
``ready`` and waits for a line on stdin so that every worker starts at the same moment.
"""

from __future__ import annotations

import sys

import anyio

from pollytool.messages import ChatMessage
from pollytool.sessions import FileSessionStore


async def main(directory: str, name: str, worker: str, count: int) -> None:
    store = FileSessionStore(directory)
    session = await store.get(name)
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range(count):
        await session.add_message(ChatMessage.user(f"{worker}:{i}"))


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
