"""The event-stream contract every client keeps, as assertions shared by all provider tests
(this module holds no tests): collecting a call's events, the rules they follow, and the
final message or the one error they end with."""

from __future__ import annotations

import traceback
from typing import Any

from pollytool.errors import PollyError
from pollytool.events import (
    CompleteEvent,
    ContentEvent,
    ErrorEvent,
    ReasoningEvent,
    StreamEvent,
    ToolCallDeltaEvent,
    ToolCallEvent,
    ToolCallStartEvent,
)
from pollytool.messages import ChatMessage
from pollytool.request import CompletionRequest
from pollytool.stream import LLM, EventStream

__all__ = [
    "check_event_rules",
    "collect",
    "final_message",
    "logged",
    "only_error",
    "reasoning_of",
    "text_of",
]


async def collect(client: LLM, req: CompletionRequest) -> list[StreamEvent]:
    """Every event of one call (the stream closed at the end)."""
    events = client.stream(req)
    stream = events if isinstance(events, EventStream) else EventStream(events)
    async with stream:
        return [event async for event in stream]


def check_event_rules(events: list[StreamEvent]) -> None:
    """The rules of :mod:`pollytool.events`: exactly one terminal event (``complete`` or
    ``error``), last; on success the text, reasoning and tool-call events add up to the final
    message, and each tool call goes start → its argument deltas → complete, with dense
    0-based indexes."""
    terminal = [e for e in events if isinstance(e, CompleteEvent | ErrorEvent)]
    assert len(terminal) == 1, events
    assert events[-1] is terminal[0], events
    if isinstance(terminal[0], ErrorEvent):
        assert isinstance(terminal[0].error, PollyError)
        return
    message = terminal[0].message
    assert text_of(events) == message.content
    assert reasoning_of(events) == message.reasoning
    positions: dict[int, list[tuple[int, str]]] = {}
    for position, event in enumerate(events):
        if isinstance(event, ToolCallStartEvent):
            positions.setdefault(event.index, []).append((position, "start"))
        elif isinstance(event, ToolCallDeltaEvent):
            positions.setdefault(event.index, []).append((position, "delta"))
        elif isinstance(event, ToolCallEvent):
            positions.setdefault(event.index, []).append((position, "done"))
    assert sorted(positions) == list(range(len(message.tool_calls)))
    for index, seen in positions.items():
        kinds = [kind for _, kind in seen]
        assert kinds[0] == "start" and kinds[-1] == "done", kinds
        assert kinds.count("start") == 1 and kinds.count("done") == 1, kinds
        start = next(e for e in events if isinstance(e, ToolCallStartEvent) and e.index == index)
        done = next(e for e in events if isinstance(e, ToolCallEvent) and e.index == index)
        deltas = "".join(
            e.arguments_delta
            for e in events
            if isinstance(e, ToolCallDeltaEvent) and e.index == index
        )
        assert (start.id, start.name) == (done.tool_call.id, done.tool_call.name)
        assert deltas == done.tool_call.arguments
        assert message.tool_calls[index] == done.tool_call


def final_message(events: list[StreamEvent]) -> ChatMessage:
    """The message of a successful call (the rules hold and it ended with ``complete``)."""
    check_event_rules(events)
    last = events[-1]
    assert isinstance(last, CompleteEvent), last
    return last.message


def only_error(events: list[StreamEvent]) -> Any:
    """The error of a failed call (the rules hold and it ended with one ``error``)."""
    check_event_rules(events)
    last = events[-1]
    assert isinstance(last, ErrorEvent), last
    return last.error


def text_of(events: list[StreamEvent]) -> str:
    return "".join(e.content for e in events if isinstance(e, ContentEvent))


def reasoning_of(events: list[StreamEvent]) -> str:
    return "".join(e.content for e in events if isinstance(e, ReasoningEvent))


def logged(error: BaseException) -> str:
    """What ``logging.exception`` would print for *error*: the whole chain, tracebacks too."""
    return "".join(traceback.format_exception(error))
