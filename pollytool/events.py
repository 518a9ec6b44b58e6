"""The normalised stream events every provider produces.

``client.stream(req)`` yields these. Each is a small frozen dataclass with a ``type`` field, so
both styles work::

    async for event in client.stream(req):
        if event.type == EventType.CONTENT:
            print(event.content, end="")

    async for event in client.stream(req):
        match event:
            case ContentEvent(content=text):
                print(text, end="")
            case CompleteEvent(message=message):
                history.append(message)
            case ErrorEvent(error=error):
                raise error

Rules: a successful stream ends with exactly one ``complete`` event; a failed one ends with
exactly one ``error`` event and no ``complete``.

(The classes are frozen dataclasses without ``__slots__`` on purpose: ``type`` then lives on the
class and construction sets one attribute, which matters at thousands of events per second.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from .errors import PollyError
    from .messages import ChatMessage, ChatMessageToolCall, Usage

__all__ = [
    "CompleteEvent",
    "ContentEvent",
    "ErrorEvent",
    "EventType",
    "ReasoningEvent",
    "StreamEvent",
    "ToolCallDeltaEvent",
    "ToolCallEvent",
    "ToolCallStartEvent",
    "ToolResultEvent",
    "UsageEvent",
]


class EventType(StrEnum):
    """The kind of a :data:`StreamEvent`."""

    CONTENT = "content"
    REASONING = "reasoning"
    TOOL_CALL_START = "tool_call_start"
    TOOL_CALL_DELTA = "tool_call_delta"
    TOOL_CALL = "tool_call"
    USAGE = "usage"
    COMPLETE = "complete"
    ERROR = "error"
    TOOL_RESULT = "tool_result"


@dataclass(frozen=True)
class ContentEvent:
    """A piece of the reply's text."""

    content: str
    type: EventType = field(default=EventType.CONTENT, init=False, repr=False)


@dataclass(frozen=True)
class ReasoningEvent:
    """A piece of the model's visible reasoning (thinking text or reasoning summary)."""

    content: str
    type: EventType = field(default=EventType.REASONING, init=False, repr=False)


@dataclass(frozen=True)
class ToolCallStartEvent:
    """A tool call begins. ``index`` is its 0-based position among this response's calls."""

    index: int
    id: str
    name: str
    type: EventType = field(default=EventType.TOOL_CALL_START, init=False, repr=False)


@dataclass(frozen=True)
class ToolCallDeltaEvent:
    """More argument JSON for the tool call at ``index``."""

    index: int
    arguments_delta: str
    type: EventType = field(default=EventType.TOOL_CALL_DELTA, init=False, repr=False)


@dataclass(frozen=True)
class ToolCallEvent:
    """A tool call is complete: ``tool_call.arguments`` is the whole JSON text."""

    tool_call: ChatMessageToolCall
    index: int = 0
    type: EventType = field(default=EventType.TOOL_CALL, init=False, repr=False)


@dataclass(frozen=True)
class UsageEvent:
    """Token usage as the provider reported it (cumulative for this response)."""

    usage: Usage
    type: EventType = field(default=EventType.USAGE, init=False, repr=False)


@dataclass(frozen=True)
class CompleteEvent:
    """The response finished; ``message`` is the whole assistant message."""

    message: ChatMessage
    type: EventType = field(default=EventType.COMPLETE, init=False, repr=False)


@dataclass(frozen=True)
class ErrorEvent:
    """The response failed; always the last event of its stream."""

    error: PollyError
    type: EventType = field(default=EventType.ERROR, init=False, repr=False)


@dataclass(frozen=True)
class ToolResultEvent:
    """A tool ran (emitted by the tool loop, not by providers)."""

    tool_call: ChatMessageToolCall
    result: str
    is_error: bool = False
    duration: float = 0.0
    type: EventType = field(default=EventType.TOOL_RESULT, init=False, repr=False)


StreamEvent: TypeAlias = (
    ContentEvent
    | ReasoningEvent
    | ToolCallStartEvent
    | ToolCallDeltaEvent
    | ToolCallEvent
    | UsageEvent
    | CompleteEvent
    | ErrorEvent
    | ToolResultEvent
)
