"""Structured output: a reply parsed into your type, repaired once when it does not match.

::

    from pydantic import BaseModel
    from pollytool.llm.structured import structured_complete, structured_stream

    class City(BaseModel):
        name: str
        population: int | None = None

    city = await structured_complete("openai/gpt-5.4", "The largest city in France?", City)

    async with structured_stream("anthropic/claude-opus-4-7", "Describe Lyon", City) as partials:
        async for partial in partials:
            print(partial)        # dicts growing as the reply streams, then the City instance

Type checkers see the requested type: ``structured_complete(..., City)`` is a ``City``, a
dataclass or TypedDict gives that type, and a JSON-schema dict (or a :class:`Schema`) gives
``Any`` (the JSON value).

The schema is sent in each provider's dialect and the reply is validated against the original
schema (see :class:`~pollytool.schema.Schema`). When the reply is not valid JSON or does not
match, :func:`structured_complete` asks the model again with the problems listed; if that fails
too it raises :class:`~pollytool.errors.SchemaValidationError` with the problems and the text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from types import UnionType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, cast, overload

from .._resource import AsyncResource
from ..errors import ResponseError, SchemaValidationError
from ..events import CompleteEvent, ContentEvent, ErrorEvent
from ..messages import ChatMessage
from ..request import CompletionRequest
from ..schema import MAX_REPLY_DEPTH, Schema
from ._partial_json import PartialJSON, parse_partial_json
from .helpers import open_stream

if TYPE_CHECKING:
    from ..stream import LLM, EventStream

__all__ = [
    "StructuredStream",
    "parse_partial_json",
    "repair_message",
    "structured_complete",
    "structured_stream",
]

Prompt = str | ChatMessage | Sequence[ChatMessage]
T = TypeVar("T")


def _messages(prompt: Prompt) -> list[ChatMessage]:
    if isinstance(prompt, str):
        return [ChatMessage.user(prompt)]
    if isinstance(prompt, ChatMessage):
        return [prompt]
    return list(prompt)


def repair_message(error: SchemaValidationError) -> ChatMessage:
    """The user message that asks the model to fix a reply that failed validation."""
    problems = "\n".join(f"- {e}" for e in error.errors) or f"- {error}"
    return ChatMessage.user(
        "Your previous reply does not match the required JSON schema:\n"
        f"{problems}\n"
        "Reply again with only the corrected JSON, following the schema exactly."
    )


@overload
async def structured_complete(
    model: str,
    prompt_or_messages: Prompt,
    schema_or_type: type[T],
    max_tokens: int | None = None,
    *,
    client: LLM | None = None,
    max_retries: int = 1,
    **request_fields: Any,
) -> T: ...


@overload
async def structured_complete(
    model: str,
    prompt_or_messages: Prompt,
    schema_or_type: Schema | dict[str, Any] | UnionType,
    max_tokens: int | None = None,
    *,
    client: LLM | None = None,
    max_retries: int = 1,
    **request_fields: Any,
) -> Any: ...


async def structured_complete(
    model: str,
    prompt_or_messages: Prompt,
    schema_or_type: Any,
    max_tokens: int | None = None,
    *,
    client: LLM | None = None,
    max_retries: int = 1,
    **request_fields: Any,
) -> Any:
    """Ask *model* for a reply following *schema_or_type* and return it parsed.

    The order is the seed's: ``structured_complete(model, prompt, schema, max_tokens)``.
    *schema_or_type* is a :class:`Schema`, a JSON-schema dict, a Pydantic model, a dataclass or
    a TypedDict; the result is an instance of that type (a dict for dict schemas).
    *prompt_or_messages* is a user prompt or the messages to send (never modified).

    When a reply is not valid JSON or does not match, the bad reply and a user message listing
    the problems are added to the conversation and the model is asked again, up to
    *max_retries* times. Raises :class:`~pollytool.errors.SchemaValidationError` (with
    ``errors`` and ``raw``, the last reply's text) when no reply matches, or the typed
    :mod:`pollytool.errors` exception when a call fails. *client* defaults to the shared
    router (:func:`~pollytool.llm.helpers.shared_client`); extra keyword arguments are
    :class:`~pollytool.request.CompletionRequest` fields.
    """
    schema = Schema.from_type(schema_or_type)
    messages = _messages(prompt_or_messages)
    attempt = 1
    while True:
        req = CompletionRequest(
            model, messages, max_tokens=max_tokens, response_schema=schema, **request_fields
        )
        reply = await open_stream(client, req).collect()
        try:
            return schema.parse(reply.text)
        except SchemaValidationError as exc:
            if attempt > max_retries:
                raise SchemaValidationError(
                    f"{exc} (after {attempt} attempt{'s' if attempt > 1 else ''})",
                    errors=exc.errors,
                    raw=exc.raw,
                ) from None
            messages = [*messages, ChatMessage.assistant(reply.text), repair_message(exc)]
        attempt += 1


@overload
def structured_stream(
    model: str,
    prompt_or_messages: Prompt,
    schema_or_type: type[T],
    max_tokens: int | None = None,
    *,
    client: LLM | None = None,
    **request_fields: Any,
) -> StructuredStream[T]: ...


@overload
def structured_stream(
    model: str,
    prompt_or_messages: Prompt,
    schema_or_type: Schema | dict[str, Any] | UnionType,
    max_tokens: int | None = None,
    *,
    client: LLM | None = None,
    **request_fields: Any,
) -> StructuredStream[Any]: ...


def structured_stream(
    model: str,
    prompt_or_messages: Prompt,
    schema_or_type: Any,
    max_tokens: int | None = None,
    *,
    client: LLM | None = None,
    **request_fields: Any,
) -> StructuredStream[Any]:
    """Stream a structured reply: partial values as it arrives, then the validated result.

    Arguments as for :func:`structured_complete` (a stream is not repaired: a reply that does
    not match raises :class:`~pollytool.errors.SchemaValidationError` at the end). See
    :class:`StructuredStream`.
    """
    schema = Schema.from_type(schema_or_type)
    req = CompletionRequest(
        model,
        _messages(prompt_or_messages),
        max_tokens=max_tokens,
        response_schema=schema,
        **request_fields,
    )
    return StructuredStream(open_stream(client, req), schema)


class StructuredStream(AsyncResource, AsyncIterator[Any], Generic[T]):
    """Progressively parsed values of one structured reply.

    Each item is the reply so far, parsed best-effort into plain JSON values (dicts, lists…;
    an unfinished string shows what has arrived of it); an item is yielded only when it
    changed. The last item is the validated result as the schema's type (a Pydantic model,
    a dataclass…), also available as :attr:`result`. Failures raise their typed error.
    Use ``async with`` to release the connection when stopping early.

    The reply is parsed incrementally, each character once. While it is small every piece
    that changes the value yields an item; for a large reply items are spaced out so the
    total work stays proportional to the reply's size. Treat the partial values as
    read-only: their completed parts are shared from one item to the next.
    """

    __slots__ = ("_chunks", "_done", "_events", "_finished", "_parser", "_schema", "result")

    def __init__(self, events: EventStream, schema: Schema) -> None:
        self._events = events
        self._schema = schema
        self._parser = PartialJSON(MAX_REPLY_DEPTH)
        self._chunks: list[str] = []
        self._done = False
        self._finished = False
        #: The validated result, once the stream has ended.
        self.result: T | None = None

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Any:
        if self._done:
            raise StopAsyncIteration
        async for event in self._events:
            if isinstance(event, ContentEvent):
                self._chunks.append(event.content)
                self._parser.feed(event.content)
                if self._parser.ready() and (partial := self._parser.snapshot()) is not None:
                    return partial
            elif isinstance(event, CompleteEvent):
                self._done = True
                self.result = self._schema.parse(event.message.text or "".join(self._chunks))
                self._finished = True
                return self.result
            elif isinstance(event, ErrorEvent):
                self._done = True
                await self._events.aclose()
                raise event.error
        self._done = True
        raise ResponseError("the stream ended without a complete or error event")

    async def final(self) -> T:
        """Consume the rest of the stream and return the validated result."""
        async with self:
            async for _ in self:
                pass
        if not self._finished:
            raise ResponseError("the structured stream ended before its reply was complete")
        return cast("T", self.result)

    async def aclose(self) -> None:
        """Stop the call and release its connection."""
        self._done = True
        await self._events.aclose()
