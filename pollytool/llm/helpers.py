"""One-call helpers: a completion, a streamed completion, a turn of a conversation.

::

    from pollytool.llm import quick_complete, stream_complete, stream_text

    joke = await quick_complete("openai/gpt-5.4", "Tell me a joke", 500)
    await stream_complete("anthropic/claude-opus-4-7", "Write a story", 2000, lambda s: print(s))
    async with stream_text("gemini/gemini-3.1-pro-preview", "Write a haiku") as chunks:
        async for chunk in chunks:
            print(chunk, end="")

Each helper takes an optional ``client`` (any :class:`~pollytool.stream.LLM`: a
``MultiPass``, a direct provider client, a ``FakeLLM``). Without one, all helpers share one
:class:`~pollytool.llm.router.MultiPass` made on first use (see :func:`shared_client`); it
reads the ``POLLYTOOL_*`` environment variables for every request, and a service calling the
helpers repeatedly reuses its connections. Extra keyword arguments become :class:`~pollytool.request.CompletionRequest`
fields (``temperature=0.2``, ``timeout=30``, ``thinking="high"``…). Failures raise the typed
:mod:`pollytool.errors` exception.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Self

from .._resource import AsyncResource
from ..errors import ResponseError
from ..events import CompleteEvent, ContentEvent, ErrorEvent
from ..messages import ChatMessage
from ..request import CompletionRequest
from ..stream import EventStream

if TYPE_CHECKING:
    from ..stream import LLM
    from .router import MultiPass

__all__ = [
    "ChunkCallback",
    "TextStream",
    "chat_with_history",
    "feed_chunks",
    "open_stream",
    "quick_complete",
    "shared_client",
    "stream_complete",
    "stream_text",
]

#: Receives each piece of reply text; may be a plain function or a coroutine function.
ChunkCallback = Callable[[str], Awaitable[None] | None]


@functools.cache
def shared_client() -> MultiPass:
    """The :class:`~pollytool.llm.router.MultiPass` helpers use when given no client.

    Made once, on first use; it reads keys and base URLs from the ``POLLYTOOL_*`` environment
    variables for every request (a changed variable applies to the next call) and keeps one
    connection pool per provider and event loop. Call ``await shared_client().aclose()`` to release them.
    """
    from .router import MultiPass

    return MultiPass()


def open_stream(client: LLM | None, req: CompletionRequest) -> EventStream:
    """``client.stream(req)`` as an :class:`EventStream` (the shared client when ``None``)."""
    events = (client or shared_client()).stream(req)
    return events if isinstance(events, EventStream) else EventStream(events)


def _prompt(
    model: str, prompt: str, max_tokens: int | None, fields: dict[str, Any]
) -> CompletionRequest:
    return CompletionRequest(model, [ChatMessage.user(prompt)], max_tokens=max_tokens, **fields)


async def quick_complete(
    model: str,
    prompt: str,
    max_tokens: int | None = None,
    *,
    client: LLM | None = None,
    **request_fields: Any,
) -> str:
    """Send *prompt* as one user message and return the reply's text."""
    return await open_stream(client, _prompt(model, prompt, max_tokens, request_fields)).text()


async def stream_complete(
    model: str,
    prompt: str,
    max_tokens: int | None = None,
    on_chunk: ChunkCallback | None = None,
    *,
    client: LLM | None = None,
    **request_fields: Any,
) -> str:
    """Like :func:`quick_complete`, calling ``on_chunk(text)`` for each piece of the reply
    as it arrives (awaited when it is a coroutine function). Returns the whole text.

    The order is the seed's, ``stream_complete(model, prompt, max_tokens, on_chunk)``;
    ``on_chunk`` is required (pass ``max_tokens=None`` or name it: ``on_chunk=print``).
    """
    if callable(max_tokens):
        raise TypeError(
            "stream_complete takes stream_complete(model, prompt, max_tokens, on_chunk): the "
            "third argument is max_tokens; pass the callback fourth or as on_chunk=..."
        )
    if on_chunk is None:
        raise TypeError("stream_complete: on_chunk is required (a function taking each chunk)")
    req = _prompt(model, prompt, max_tokens, request_fields)
    return await feed_chunks(open_stream(client, req), on_chunk)


async def feed_chunks(events: EventStream, on_chunk: ChunkCallback) -> str:
    """Call ``on_chunk`` with each piece of reply text of *events* (awaited when it returns an
    awaitable) and return the reply's whole text; a failure raises its typed error."""
    async with events:
        async for event in events:
            if isinstance(event, ContentEvent):
                pending = on_chunk(event.content)
                if inspect.isawaitable(pending):
                    await pending
            elif isinstance(event, CompleteEvent):
                return event.message.content
            elif isinstance(event, ErrorEvent):
                raise event.error
    raise ResponseError("the stream ended without a complete or error event")


def stream_text(
    model: str,
    prompt: str,
    max_tokens: int | None = None,
    *,
    client: LLM | None = None,
    **request_fields: Any,
) -> TextStream:
    """The reply to *prompt* as an async iterator of text pieces (see :class:`TextStream`)."""
    return TextStream(open_stream(client, _prompt(model, prompt, max_tokens, request_fields)))


class TextStream(AsyncResource, AsyncIterator[str]):
    """The text pieces of one reply. A failure raises its typed error from the iteration.

    Use ``async with`` to release the connection at once when stopping early::

        async with stream_text(model, prompt) as chunks:
            async for chunk in chunks:
                ...
    """

    __slots__ = ("_events",)

    def __init__(self, events: EventStream) -> None:
        self._events = events

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> str:
        async for event in self._events:
            if isinstance(event, ContentEvent):
                return event.content
            if isinstance(event, ErrorEvent):
                await self._events.aclose()
                raise event.error
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Stop the call and release its connection."""
        await self._events.aclose()


async def chat_with_history(
    model: str,
    history: Sequence[ChatMessage],
    new_message: str | ChatMessage,
    max_tokens: int | None = None,
    *,
    client: LLM | None = None,
    **request_fields: Any,
) -> ChatMessage:
    """Send *history* plus *new_message* (text becomes a user message) and return the
    assistant's reply message. *history* is never changed: append the new message and the
    reply yourself to continue the conversation."""
    message = new_message if isinstance(new_message, ChatMessage) else ChatMessage.user(new_message)
    req = CompletionRequest(model, [*history, message], max_tokens=max_tokens, **request_fields)
    return await open_stream(client, req).collect()
