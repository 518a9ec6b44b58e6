"""A shell script as a sandboxed tool: the seed's weather.sh, driven by the tool loop.

    python examples/weather_shell_tool/weather_shell_tool.py --model openai/gpt-5.4

Without ``--model`` a scripted fake model asks for the weather in two cities, then answers,
so the example runs without a key. The script's schema says ``"sandbox": true``, so on Linux
it runs under bubblewrap (install it: ``apt-get install bubblewrap``); set
``POLLYTOOL_NOSANDBOX=true`` to run it without a sandbox.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from pollytool import ChatMessage, CompletionRequest, MultiPass, ToolResultEvent
from pollytool.llm import Agent, ToolRegistry
from pollytool.providers.fake import FakeLLM, text, tool_call
from pollytool.tools import load_shell_tools

WEATHER = Path(__file__).with_name("weather.sh")


def scripted_model() -> FakeLLM:
    return FakeLLM(
        [
            tool_call("weather__get_weather", {"location": "San Francisco, CA"}),
            tool_call("weather__get_weather", {"location": "New York, NY", "units": "celsius"}),
        ],
        [text("San Francisco is 65°F and foggy; New York is 7°C and partly cloudy.")],
    )


async def main(model: str | None) -> None:
    registry = ToolRegistry()
    for shell_tool in await load_shell_tools([WEATHER]):
        published = registry.register(shell_tool, namespace=shell_tool.namespace)
        print(f"loaded {published.name}: {published.schema['description']}")
    client = MultiPass() if model else MultiPass(clients={"fake": scripted_model()})
    agent = Agent(client, registry, tool_timeout=30, max_iterations=10)
    req = CompletionRequest(
        model or "fake/scripted",
        [ChatMessage.user("What's the weather in San Francisco and New York?")],
    )
    async with agent.stream(req) as events:
        async for event in events:
            if isinstance(event, ToolResultEvent):
                print(f"  -> {event.tool_call.name}({event.tool_call.arguments}) = {event.result}")
    result = events.result
    assert result is not None
    print(result.text)
    await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model")
    asyncio.run(main(parser.parse_args().model))
