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

Type checkers narrow on ``type``: after ``event.type == EventType.CONTENT`` the event is a
:class:`ContentEvent` (each class declares its ``type`` as a ``Literal``). A model's stream
yields :data:`StreamEvent`; the tool loop (``Agent.stream``) yields :data:`AgentEvent`, which
adds :class:`ToolResultEvent`.

Rules: a successful stream ends with exactly one ``complete`` event; a failed one ends with
exactly one ``error`` event and no ``complete``.

``event.to_dict()`` gives a JSON-safe dict (``{"type": "content", "content": "Hi"}``) for
services that forward events, e.g. as server-sent events; an error becomes its class name,
message, provider, status, ``retry_after``, code and request id, never the raw server body.

(The classes are frozen dataclasses without ``__slots__`` on purpose: ``type`` then lives on the
class and construction sets only the event's own fields, which matters at thousands of events
per second.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeAlias

from .errors import PollyError, redact

if TYPE_CHECKING:
    from .messages import ChatMessage, ChatMessageToolCall, Usage

__all__ = [
    "AgentEvent",
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


class _Event:
    """What every event shares: :meth:`to_dict`."""

    __slots__ = ()

    type: EventType
    __dataclass_fields__: ClassVar[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """The event as a JSON-safe dict: ``type`` and each field (messages, tool calls and
        usage as their own ``to_dict()``; an error as a safe summary, see the module)."""
        out: dict[str, Any] = {"type": self.type.value}
        for name in self.__dataclass_fields__:
            if name != "type":
                out[name] = _json_value(getattr(self, name))
        return out


def _json_value(value: Any) -> Any:
    if isinstance(value, PollyError):
        return _error_dict(value)
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if to_dict is not None else value


def _error_dict(error: PollyError) -> dict[str, Any]:
    """What a client may see of an error: no raw body, no secrets."""
    return {
        "type": type(error).__name__,
        "message": redact(error.message),
        "provider": getattr(error, "provider", None) or None,
        "status": getattr(error, "status_code", None),
        "retry_after": getattr(error, "retry_after", None),
        "code": getattr(error, "code", None),
        "request_id": getattr(error, "request_id", None),
    }


@dataclass(frozen=True)
class ContentEvent(_Event):
    """A piece of the reply's text."""

    content: str
    type: Literal[EventType.CONTENT] = field(default=EventType.CONTENT, init=False, repr=False)


@dataclass(frozen=True)
class ReasoningEvent(_Event):
    """A piece of the model's visible reasoning (thinking text or reasoning summary)."""

    content: str
    type: Literal[EventType.REASONING] = field(default=EventType.REASONING, init=False, repr=False)


@dataclass(frozen=True)
class ToolCallStartEvent(_Event):
    """A tool call begins. ``index`` is its 0-based position among this response's calls."""

    index: int
    id: str
    name: str
    type: Literal[EventType.TOOL_CALL_START] = field(
        default=EventType.TOOL_CALL_START, init=False, repr=False
    )


@dataclass(frozen=True)
class ToolCallDeltaEvent(_Event):
    """More argument JSON for the tool call at ``index``."""

    index: int
    arguments_delta: str
    type: Literal[EventType.TOOL_CALL_DELTA] = field(
        default=EventType.TOOL_CALL_DELTA, init=False, repr=False
    )


@dataclass(frozen=True)
class ToolCallEvent(_Event):
    """A tool call is complete: ``tool_call.arguments`` is the whole JSON text."""

    tool_call: ChatMessageToolCall
    index: int = 0
    type: Literal[EventType.TOOL_CALL] = field(default=EventType.TOOL_CALL, init=False, repr=False)


@dataclass(frozen=True)
class UsageEvent(_Event):
    """Token usage as the provider reported it (cumulative for this response)."""

    usage: Usage
    type: Literal[EventType.USAGE] = field(default=EventType.USAGE, init=False, repr=False)


@dataclass(frozen=True)
class CompleteEvent(_Event):
    """The response finished; ``message`` is the whole assistant message."""

    message: ChatMessage
    type: Literal[EventType.COMPLETE] = field(default=EventType.COMPLETE, init=False, repr=False)


@dataclass(frozen=True)
class ErrorEvent(_Event):
    """The response failed; always the last event of its stream."""

    error: PollyError
    type: Literal[EventType.ERROR] = field(default=EventType.ERROR, init=False, repr=False)


@dataclass(frozen=True)
class ToolResultEvent(_Event):
    """A tool ran (emitted by the tool loop, not by providers)."""

    tool_call: ChatMessageToolCall
    result: str
    is_error: bool = False
    duration: float = 0.0
    type: Literal[EventType.TOOL_RESULT] = field(
        default=EventType.TOOL_RESULT, init=False, repr=False
    )


#: What a model's stream yields (``client.stream(req)``).
StreamEvent: TypeAlias = (
    ContentEvent
    | ReasoningEvent
    | ToolCallStartEvent
    | ToolCallDeltaEvent
    | ToolCallEvent
    | UsageEvent
    | CompleteEvent
    | ErrorEvent
)
#: What the tool loop yields (``agent.stream(req)``): the model's events and tool results.
AgentEvent: TypeAlias = StreamEvent | ToolResultEvent
