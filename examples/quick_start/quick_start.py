"""Quick start: a one-line completion, then a streamed one.

    export POLLYTOOL_OPENAIKEY=sk-...
    python examples/quick_start/quick_start.py
    python examples/quick_start/quick_start.py --model anthropic/claude-sonnet-4-6

Keys come from ``POLLYTOOL_<PROVIDER>KEY``; ``POLLYTOOL_<PROVIDER>_BASEURL`` points a provider
at another endpoint (an OpenAI-compatible local server, a proxy, a test server).
"""

from __future__ import annotations

import argparse
import asyncio

from pollytool.llm import quick_complete, shared_client, stream_complete


def print_chunk(chunk: str) -> None:
    print(chunk, end="", flush=True)


async def main(model: str) -> None:
    # Simple completion: the reply's text, or the typed error raised.
    joke = await quick_complete(model, "Tell me a joke", 500)
    print(joke)

    # Streaming completion: each piece of text as it arrives.
    print("\nWriting a story:")
    await stream_complete(model, "Write a short story", 500, print_chunk)
    print()

    # The helpers share one router (one connection pool per provider); release it.
    await shared_client().aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="openai/gpt-5.4")
    asyncio.run(main(parser.parse_args().model))
