"""Type-checked, not run: ``event.type == EventType.X`` narrows the event unions.

Model streams yield :data:`~pollytool.events.StreamEvent` (no ``tool_result``); the tool loop
yields :data:`~pollytool.events.AgentEvent`. ``# type: ignore[...]`` marks lines that must NOT
type-check (strict mode reports an unused ignore, so a line that starts to pass fails).
"""

from __future__ import annotations

from typing import Any, assert_never, assert_type

from pollytool import (
    AgentEvent,
    ChatMessage,
    ChatMessageToolCall,
    CompletionRequest,
    EventType,
    MultiPass,
    PollyError,
    ReasoningEvent,
    StreamEvent,
    ToolResultEvent,
    Usage,
)
from pollytool.llm import Agent, ToolRegistry


def model_events(event: StreamEvent) -> None:
    if event.type == EventType.CONTENT:
        assert_type(event.content, str)
    elif event.type == EventType.REASONING:
        assert_type(event, ReasoningEvent)
    elif event.type == EventType.TOOL_CALL_START:
        assert_type(event.name, str)
    elif event.type == EventType.TOOL_CALL_DELTA:
        assert_type(event.arguments_delta, str)
    elif event.type == EventType.TOOL_CALL:
        assert_type(event.tool_call, ChatMessageToolCall)
    elif event.type == EventType.USAGE:
        assert_type(event.usage, Usage)
    elif event.type == EventType.COMPLETE:
        assert_type(event.message, ChatMessage)
    elif event.type == EventType.ERROR:
        assert_type(event.error, PollyError)
    else:
        assert_never(event)  # a model stream has no tool results: every kind is handled


def agent_events(event: AgentEvent) -> None:
    if event.type == EventType.TOOL_RESULT:
        assert_type(event, ToolResultEvent)
        assert_type(event.result, str)
    elif event.type == EventType.CONTENT:
        assert_type(event.content, str)


def not_every_agent_event_is_handled(event: AgentEvent) -> None:
    if event.type == EventType.CONTENT or event.type == EventType.TOOL_RESULT:
        pass
    else:
        assert_never(event)  # type: ignore[arg-type]


def without_narrowing(event: StreamEvent) -> str:
    return event.content  # type: ignore[union-attr]


def serialised(event: AgentEvent) -> dict[str, Any]:
    return event.to_dict()


async def streams(request: CompletionRequest, registry: ToolRegistry) -> None:
    async with MultiPass() as client:
        async for event in client.stream(request):
            assert_type(event, StreamEvent)
        async with Agent(client, registry).stream(request) as events:
            async for agent_event in events:
                assert_type(agent_event, AgentEvent)
