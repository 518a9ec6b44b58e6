"""A conversation that survives restarts, stored in a session file.

    python examples/persistent_chat.py "Remember the number 7" --session demo
    python examples/persistent_chat.py "Which number?" --session demo --model openai/gpt-5.4

Sessions live under ``~/.pollytool/contexts`` (``--store`` picks another directory). The default
model ``fake/echo`` echoes, so the example runs without a key. A turn is stored only with its
answer: when the call fails, the session stays as it was.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from pollytool import ChatMessage, CompletionRequest, FileSessionStore, MultiPass, PollyError


async def main(prompt: str, session_name: str, model: str, store_path: str | None) -> None:
    store = FileSessionStore(store_path) if store_path else FileSessionStore()
    async with store.session(session_name) as session, MultiPass() as client:
        question = ChatMessage.user(prompt)
        history = [*await session.get_history(), question]
        reply = await client.stream(CompletionRequest(model, history)).collect()
        await session.add_messages([question, reply])  # the question only with its answer
        print(reply.content)
        print(f"({len(await session.get_history())} messages in session {session_name!r})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("prompt")
    parser.add_argument("--session", default="example")
    parser.add_argument("--model", default="fake/echo")
    parser.add_argument("--store")
    args = parser.parse_args()
    try:
        asyncio.run(main(args.prompt, args.session, args.model, args.store))
    except PollyError as exc:
        sys.exit(f"error: {exc}")
