"""Typed errors: wait and retry on a rate limit, trim the history when it is too long, and
stop with a clear message when the key is wrong.

    python examples/error_handling/error_handling.py --model openai/gpt-5.4

The vendor clients already retry rate limits and server errors a few times (honouring
``Retry-After``); this is what to do once they have given up. Every failure is a class of
:mod:`pollytool.errors` carrying ``provider``, ``status_code``, ``request_id`` and, for rate
limits, ``retry_after``: no string matching.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys

from pollytool import (
    AuthenticationError,
    ChatMessage,
    CompletionRequest,
    ContextLengthError,
    EventType,
    MultiPass,
    PollyError,
    RateLimitError,
)
from pollytool.stream import LLM

#: How many messages to keep (after the system prompt) when the context is too long.
KEEP_LAST = 5


def trimmed(messages: list[ChatMessage]) -> list[ChatMessage]:
    """The system prompt and the last KEEP_LAST messages."""
    system = [m for m in messages[:1] if m.role == "system"]
    return system + messages[len(system) :][-KEEP_LAST:]


async def stream_reply(client: LLM, req: CompletionRequest) -> ChatMessage:
    """Print the reply as it streams; raise the typed error of a failed call."""
    async for event in client.stream(req):
        if event.type == EventType.CONTENT:
            print(event.content, end="", flush=True)
        elif event.type == EventType.COMPLETE:
            print()
            return event.message
        elif event.type == EventType.ERROR:
            raise event.error
    raise RuntimeError("the stream ended without a result")


async def ask(client: LLM, req: CompletionRequest, attempts: int = 3) -> ChatMessage:
    for attempt in range(1, attempts + 1):
        try:
            return await stream_reply(client, req)
        except RateLimitError as error:
            wait = error.retry_after if error.retry_after is not None else 2.0**attempt
            print(f"[rate limited by {error.provider}; retrying in {wait:g}s]")
            await asyncio.sleep(wait)
        except ContextLengthError:
            print(f"[context too long; keeping the last {KEEP_LAST} messages]")
            req = dataclasses.replace(req, messages=trimmed(req.messages))
    raise SystemExit(f"gave up after {attempts} attempts")


async def main(model: str) -> int:
    history = [ChatMessage.system("You are terse.")]
    for n in range(20):
        history += [ChatMessage.user(f"Fact {n}?"), ChatMessage.assistant(f"Fact {n}.")]
    history.append(ChatMessage.user("Summarise the facts."))
    async with MultiPass() as client:
        try:
            await ask(client, CompletionRequest(model, history, max_tokens=300))
        except AuthenticationError as error:
            print(f"authentication failed, check the API key: {error}", file=sys.stderr)
            return 2
        except PollyError as error:  # any other failure, still typed
            print(f"{type(error).__name__}: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="openai/gpt-5.4")
    sys.exit(asyncio.run(main(parser.parse_args().model)))
