"""Stream a reply, event by event.

    python examples/stream_chat.py "Why is the sky blue?" --model anthropic/claude-sonnet-4-6

Keys come from POLLYTOOL_<PROVIDER>KEY. The default model ``fake/echo`` needs no key: it
echoes the prompt, which makes this example runnable anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from pollytool import ChatMessage, CompletionRequest, EventType, MultiPass, PollyError


async def main(prompt: str, model: str) -> None:
    async with MultiPass() as client:
        req = CompletionRequest(
            model, [ChatMessage.system("Be terse."), ChatMessage.user(prompt)], thinking="low"
        )
        async for event in client.stream(req):
            if event.type == EventType.REASONING:
                print(f"[thinking] {event.content}", flush=True)
            elif event.type == EventType.CONTENT:
                print(event.content, end="", flush=True)
            elif event.type == EventType.COMPLETE:
                print(f"\n(stop: {event.message.stop_reason}, usage: {event.message.usage})")
            elif event.type == EventType.ERROR:
                raise event.error


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("prompt")
    parser.add_argument("--model", default="fake/echo")
    args = parser.parse_args()
    try:
        asyncio.run(main(args.prompt, args.model))
    except PollyError as exc:
        sys.exit(f"error: {exc}")
