"""The LLM protocol and the event stream clients return."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Protocol, Self, runtime_checkable

from ._resource import AsyncResource
from .errors import ResponseError
from .events import CompleteEvent, ContentEvent, ErrorEvent, StreamEvent

if TYPE_CHECKING:
    from .messages import ChatMessage
    from .request import CompletionRequest

__all__ = ["LLM", "BaseLLM", "EventStream"]


class EventStream(AsyncResource, AsyncIterator[StreamEvent]):
    """The events of one model call.

    Iterate it with ``async for``. Use it as an async context manager to close the HTTP
    response at once when you stop early::

        async with client.stream(req) as events:
            async for event in events:
                if done_enough(event):
                    break   # the connection is released here, not at garbage collection

    :meth:`collect` and :meth:`text` consume the stream and return its result, raising the
    typed error instead of yielding it.
    """

    __slots__ = ("_events",)

    def __init__(self, events: AsyncIterator[StreamEvent]) -> None:
        self._events = events

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> StreamEvent:
        return await self._events.__anext__()

    async def aclose(self) -> None:
        """Stop the call and release its connection."""
        aclose = getattr(self._events, "aclose", None)
        if aclose is not None:
            await aclose()

    async def collect(self) -> ChatMessage:
        """Consume the stream and return the final assistant message; raise its error."""
        async with self:
            async for event in self:
                if isinstance(event, CompleteEvent):
                    return event.message
                if isinstance(event, ErrorEvent):
                    raise event.error
        raise ResponseError("the stream ended without a complete or error event")

    async def text(self) -> str:
        """Consume the stream and return the reply's text; raise its error."""
        chunks: list[str] = []
        async with self:
            async for event in self:
                if isinstance(event, ContentEvent):
                    chunks.append(event.content)
                elif isinstance(event, CompleteEvent):
                    return event.message.content or "".join(chunks)
                elif isinstance(event, ErrorEvent):
                    raise event.error
        raise ResponseError("the stream ended without a complete or error event")


@runtime_checkable
class LLM(Protocol):
    """Anything that turns a :class:`CompletionRequest` into a stream of events.

    Provider failures arrive as one ``error`` event, never as an exception out of ``stream``.
    """

    def stream(self, req: CompletionRequest) -> AsyncIterator[StreamEvent]: ...


class BaseLLM(AsyncResource):
    """Shared conveniences for clients: the seed-compatible alias and async-context use."""

    def stream(self, req: CompletionRequest) -> EventStream:  # pragma: no cover - abstract
        raise NotImplementedError

    def chat_completion_stream(self, req: CompletionRequest, processor: Any = None) -> EventStream:
        """Alias of :meth:`stream` with the seed's name; ``processor`` is accepted and unused
        (events are already normalised)."""
        del processor
        return self.stream(req)

    async def aclose(self) -> None:
        """Release connections. Clients can be used again afterwards."""
