"""Seed sections "Builder Pattern for Complex Requests", "Automatic Tool Handling" and
"Tool Integration" (the Tool interface, the WeatherTool, using tools with the LLM)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

from pollytool import ChatMessage, CompletionRequest, EventType, MessageRole, MultiPass
from pollytool.errors import ToolExecutionError
from pollytool.llm import CompletionBuilder
from pollytool.skills import load_catalog
from pollytool.tools import Tool, ToolRegistry
from tests.examples._support import EXAMPLES, cassette_text, chat_stream, replay
from tests.fakes.loopback import LoopbackServer

pytestmark = pytest.mark.anyio


class WeatherTool:
    """Example Tool Implementation: the seed's ``WeatherTool``, a class with a schema and an
    async ``execute`` (the ``Tool`` protocol; ``get_schema()`` is the seed's alias)."""

    name = "get_weather"
    schema: ClassVar[dict[str, Any]] = {
        "title": "get_weather",
        "description": "Get the current weather for a location",
        "type": "object",
        "properties": {
            "location": {
                "type": "string",
                "description": "The city and state, e.g. San Francisco, CA",
            },
        },
        "required": ["location"],
    }

    def get_schema(self) -> dict[str, Any]:
        return self.schema

    async def execute(self, args: dict[str, Any]) -> str:
        location = args.get("location")
        if not isinstance(location, str):
            raise ToolExecutionError("location is required", tool_name=self.name)
        return f"The weather in {location} is sunny and 72°F"


async def test_tool_interface_and_example_tool() -> None:
    """Defining Tools / Example Tool Implementation."""
    weather = WeatherTool()
    assert isinstance(weather, Tool)
    assert weather.get_schema()["title"] == "get_weather"
    assert await weather.execute({"location": "Boston, MA"}) == (
        "The weather in Boston, MA is sunny and 72°F"
    )
    with pytest.raises(ToolExecutionError, match="location is required"):
        await weather.execute({})


async def test_builder_execute_and_streaming(router: MultiPass, loopback: LoopbackServer) -> None:
    """Builder Pattern: ``Execute`` and ``ExecuteStreaming``."""
    replay(loopback, "openai/chat__stream_text", "openai/chat__stream_text")
    result = await (
        CompletionBuilder("openai/gpt-5.4")
        .with_system_prompt("You are a helpful assistant")
        .with_user_message("Tell me about Go")
        .with_temperature(0.8)
        .with_max_tokens(500)
        .execute(router)
    )
    chunks: list[str] = []
    streamed = await (
        CompletionBuilder("openai/gpt-5.4")
        .with_system_prompt("You are a creative writer")
        .with_user_message("Write a haiku")
        .execute_streaming(router, chunks.append)
    )
    expected = cassette_text("openai/chat__stream_text")
    assert result == streamed == "".join(chunks) == expected
    first, second = (r.json() for r in loopback.requests)
    assert first["temperature"] == 0.8 and first["max_tokens"] == 500
    assert first["messages"][0] == {"role": "system", "content": "You are a helpful assistant"}
    assert second["messages"][1] == {"role": "user", "content": "Write a haiku"}


async def test_automatic_tool_handling(router: MultiPass, loopback: LoopbackServer) -> None:
    """Automatic Tool Handling: ``ExecuteWithTools`` calls the weather tool and returns the
    final response."""
    loopback.add("POST", "/v1/chat/completions",
                 chat_stream(tool_calls=[("get_weather", {"location": "New York, NY"})]),
                 chat_stream("It is sunny and 72°F in NYC."))  # fmt: skip
    registry = ToolRegistry([WeatherTool()])
    response = await (
        CompletionBuilder("openai/gpt-5.4")
        .with_user_message("What's the weather in NYC?")
        .with_tools(registry.all())
        .execute_with_tools(router, registry)
    )
    assert response.content == "It is sunny and 72°F in NYC."
    follow_up = loopback.requests[1].json()["messages"]
    assert follow_up[-1] == {
        "role": "tool",
        "tool_call_id": "call_0",
        "content": "The weather in New York, NY is sunny and 72°F",
    }


async def test_builder_with_skills(router: MultiPass, loopback: LoopbackServer) -> None:
    """Skills are also supported on the builder: the catalog extends the system prompt."""
    replay(loopback, "openai/chat__stream_text")
    catalog = load_catalog([EXAMPLES / "skills" / "skills"])
    result = await (
        CompletionBuilder("openai/gpt-5.4")
        .with_system_prompt("You are a helpful assistant")
        .with_skills(catalog)
        .with_user_message("Tell me about Go")
        .execute(router)
    )
    assert result == cassette_text("openai/chat__stream_text")
    system = loopback.requests[0].json()["messages"][0]
    assert system["role"] == "system"
    assert system["content"].startswith("You are a helpful assistant")
    assert "word-stats" in system["content"] and "Counts the words" in system["content"]


async def test_using_tools_with_the_llm_by_hand(
    router: MultiPass, loopback: LoopbackServer
) -> None:
    """Using Tools with LLM: the caller runs the tool calls of the ``complete`` event and
    continues the conversation with the results."""
    loopback.add("POST", "/v1/chat/completions",
                 chat_stream(tool_calls=[("get_weather", {"location": "San Francisco, CA"})]),
                 chat_stream("Sunny and 72°F in San Francisco."))  # fmt: skip
    registry = ToolRegistry([WeatherTool()])
    messages = [ChatMessage(MessageRole.USER, "What's the weather in San Francisco?")]
    req = CompletionRequest("openai/gpt-5.4", messages, tools=registry.all())
    answer = None
    while answer is None:
        async for event in router.chat_completion_stream(req, processor=None):
            if event.type == EventType.COMPLETE and event.message.tool_calls:
                messages.append(event.message)
                for tool_call in event.message.tool_calls:
                    tool = registry.get(tool_call.name)
                    assert tool is not None
                    result = await tool.execute(tool_call.args)
                    messages.append(ChatMessage.tool_result(tool_call.id, str(result)))
                req.messages = messages
            elif event.type == EventType.COMPLETE:
                answer = event.message.content
            elif event.type == EventType.ERROR:
                raise event.error
    assert answer == "Sunny and 72°F in San Francisco."
    first, second = (r.json() for r in loopback.requests)
    assert first["tools"][0]["function"]["name"] == "get_weather"
    assert second["messages"][-1]["content"] == "The weather in San Francisco, CA is sunny and 72°F"


async def test_skills_directory_is_optional(tmp_path: Path) -> None:
    """``LoadCatalog`` returns nil when no skills are found."""
    assert load_catalog([tmp_path]) is None
