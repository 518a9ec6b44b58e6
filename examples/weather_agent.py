"""A tool loop: the model calls Python functions until it can answer.

    python examples/weather_agent.py --model openai/gpt-5.4

Without ``--model`` a scripted fake model plays both turns (it asks for the weather in two
cities at once, then answers), so the example runs without a key. A failure (a missing key, a
provider error) ends the example with its message.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from pollytool import ChatMessage, CompletionRequest, EventType, MultiPass, PollyError
from pollytool.llm import Agent, ToolRegistry, tool
from pollytool.providers.fake import FakeLLM, text, tool_call


@tool
async def get_weather(city: str, unit: str = "celsius") -> str:
    """Current weather for a city.

    Args:
        city: The city name, e.g. "Paris".
        unit: "celsius" or "fahrenheit".
    """
    degrees = {"Paris": 18, "Tokyo": 24}.get(city, 20)
    return f"{degrees}° {unit}, clear skies in {city}"


def scripted_model() -> FakeLLM:
    return FakeLLM(
        [tool_call("get_weather", {"city": "Paris"}), tool_call("get_weather", {"city": "Tokyo"})],
        [text("Paris is 18 °C and Tokyo 24 °C, both clear.")],
    )


async def main(model: str | None) -> None:
    clients = {} if model else {"fake": scripted_model()}
    async with MultiPass(clients=clients) as client:
        agent = Agent(client, ToolRegistry([get_weather]), tool_timeout=30, max_iterations=10)
        req = CompletionRequest(
            model or "fake/scripted", [ChatMessage.user("Weather in Paris and Tokyo?")]
        )
        async with agent.stream(req) as events:
            async for event in events:
                if event.type == EventType.TOOL_RESULT:
                    call = event.tool_call
                    print(f"  -> {call.name}({call.arguments}) = {event.result}")
                elif event.type == EventType.ERROR:
                    raise event.error
        result = await events.run()  # the loop's result (the events are all consumed)
    print(result.text)
    print(f"({result.iterations} model calls, {len(result.new_messages)} new messages)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model")
    try:
        asyncio.run(main(parser.parse_args().model))
    except PollyError as exc:
        sys.exit(f"error: {exc}")
