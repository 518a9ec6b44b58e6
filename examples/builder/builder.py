"""The request builder: a one-shot reply, a streamed one, and a tool loop.

    python examples/builder/builder.py --model openai/gpt-5.4

Nothing is sent until an ``execute*`` method runs; ``build()`` returns the
``CompletionRequest`` the builder describes.
"""

from __future__ import annotations

import argparse
import asyncio

from pollytool import MultiPass
from pollytool.llm import CompletionBuilder, ToolRegistry, tool


@tool
def get_weather(location: str) -> str:
    """Get the current weather for a location.

    Args:
        location: The city and state, e.g. San Francisco, CA
    """
    return f"The weather in {location} is sunny and 72°F"


def print_chunk(chunk: str) -> None:
    print(chunk, end="", flush=True)


async def main(model: str) -> None:
    async with MultiPass() as client:
        result = await (
            CompletionBuilder(model)
            .with_system_prompt("You are a helpful assistant")
            .with_user_message("Tell me about Python")
            .with_temperature(0.8)
            .with_max_tokens(500)
            .execute(client)
        )
        print(result)

        print("\nA haiku:")
        await (
            CompletionBuilder(model)
            .with_system_prompt("You are a creative writer")
            .with_user_message("Write a haiku")
            .execute_streaming(client, print_chunk)
        )
        print()

        registry = ToolRegistry([get_weather])
        answer = await (
            CompletionBuilder(model)
            .with_user_message("What's the weather in NYC?")
            .with_tools(registry)
            .execute_with_tools(client, registry, max_iterations=5)
        )
        print(f"\nWith tools: {answer.content}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="openai/gpt-5.4")
    asyncio.run(main(parser.parse_args().model))
