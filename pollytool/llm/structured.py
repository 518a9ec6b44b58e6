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

The schema is sent in each provider's dialect and the reply is validated against the original
schema (see :class:`~pollytool.schema.Schema`). When the reply is not valid JSON or does not
match, :func:`structured_complete` asks the model again with the problems listed; if that fails
too it raises :class:`~pollytool.errors.SchemaValidationError` with the problems and the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

from .._resource import AsyncResource
from ..errors import SchemaValidationError
from ..events import CompleteEvent, ContentEvent, ErrorEvent
from ..messages import ChatMessage
from ..request import CompletionRequest
from ..schema import Schema
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


async def structured_complete(
    model: str,
    prompt_or_messages: Prompt,
    schema_or_type: Any,
    *,
    client: LLM | None = None,
    max_retries: int = 1,
    max_tokens: int | None = None,
    **request_fields: Any,
) -> Any:
    """Ask *model* for a reply following *schema_or_type* and return it parsed.

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


def structured_stream(
    model: str,
    prompt_or_messages: Prompt,
    schema_or_type: Any,
    *,
    client: LLM | None = None,
    max_tokens: int | None = None,
    **request_fields: Any,
) -> StructuredStream:
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


class StructuredStream(AsyncResource, AsyncIterator[Any]):
    """Progressively parsed values of one structured reply.

    Each item is the reply so far, parsed best-effort into plain JSON values (dicts, lists…;
    an unfinished string shows what has arrived of it); an item is yielded only when it
    changed. The last item is the validated result as the schema's type (a Pydantic model,
    a dataclass…), also available as :attr:`result`. Failures raise their typed error.
    Use ``async with`` to release the connection when stopping early.
    """

    __slots__ = ("_done", "_events", "_last", "_schema", "_text", "result")

    def __init__(self, events: EventStream, schema: Schema) -> None:
        self._events = events
        self._schema = schema
        self._text = ""
        self._last: Any = None
        self._done = False
        #: The validated result, once the stream has ended.
        self.result: Any = None

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Any:
        if self._done:
            raise StopAsyncIteration
        async for event in self._events:
            if isinstance(event, ContentEvent):
                self._text += event.content
                partial = parse_partial_json(self._text)
                if partial is not None and partial != self._last:
                    self._last = partial
                    return partial
            elif isinstance(event, CompleteEvent):
                self._done = True
                self.result = self._schema.parse(event.message.text or self._text)
                return self.result
            elif isinstance(event, ErrorEvent):
                self._done = True
                await self._events.aclose()
                raise event.error
        self._done = True
        raise StopAsyncIteration

    async def final(self) -> Any:
        """Consume the rest of the stream and return the validated result."""
        async with self:
            async for _ in self:
                pass
        return self.result

    async def aclose(self) -> None:
        """Stop the call and release its connection."""
        self._done = True
        await self._events.aclose()


# --------------------------------------------------------------------------- partial JSON

_LITERALS = ("true", "false", "null")
_TOKEN_END = frozenset(",]}: \t\r\n")
_OPEN_FENCE = re.compile(r"^\s*```[A-Za-z]*\s*")
_PARTIAL_ESCAPE = re.compile(r"(\\+)(u[0-9a-fA-F]{0,3})?$")


def _closers(stack: list[str]) -> str:
    return "".join("}" if c == "{" else "]" for c in reversed(stack))


def _trim_escape(text: str) -> str:
    """*text* (cut inside a string) without a trailing, unfinished escape sequence."""
    match = _PARTIAL_ESCAPE.search(text)
    if match and len(match.group(1)) % 2 == 1:
        return text[: match.start()] + match.group(1)[:-1]
    return text


@dataclass(slots=True)
class _Scan:
    """Where a cut-off JSON text stands: open containers, the last point it could be closed."""

    stack: list[str] = field(default_factory=list)
    expect_key: list[bool] = field(default_factory=list)
    safe_end: int = 0
    safe_stack: list[str] = field(default_factory=list)
    string_start: int | None = None
    string_is_key: bool = False
    token_start: int | None = None

    def mark_safe(self, end: int) -> None:
        self.safe_end, self.safe_stack = end, list(self.stack)

    def scan(self, text: str) -> None:
        i = 0
        while i < len(text):
            char = text[i]
            if self.string_start is not None:
                if char == "\\":
                    i += 2
                    continue
                if char == '"':
                    self.string_start = None
                    if not self.string_is_key:
                        self.mark_safe(i + 1)
            elif self.token_start is not None and char not in _TOKEN_END:
                pass
            elif not self.structural(char, i):
                return  # text after the document
            i += 1

    def structural(self, char: str, i: int) -> bool:
        """Take one character outside strings; ``False`` when the document has ended."""
        if self.token_start is not None:
            self.token_start = None
            self.mark_safe(i)
        stack = self.stack
        if not stack and self.safe_end and not char.isspace():
            return False  # a whole value has been read
        if char == '"':
            self.string_start = i
            self.string_is_key = bool(stack) and stack[-1] == "{" and self.expect_key[-1]
        elif char in "{[":
            stack.append(char)
            self.expect_key.append(char == "{")
            self.mark_safe(i + 1)
        elif char in "}]":
            if not stack:
                return False
            stack.pop()
            self.expect_key.pop()
            self.mark_safe(i + 1)
        elif char == "," and stack:
            self.expect_key[-1] = stack[-1] == "{"
        elif char == ":" and stack:
            self.expect_key[-1] = False
        elif not char.isspace() and char != "`":
            self.token_start = i
        return True


def parse_partial_json(text: str) -> Any:
    """The value of a JSON document cut off at any point, best effort; ``None`` when nothing
    usable has arrived yet.

    Open strings, arrays and objects are closed; an unfinished key or a key without its value
    is left out; an unfinished ``true``/``false``/``null`` is completed; an unfinished number
    is cut to the part that parses. A leading Markdown code fence is skipped.
    """
    text = _OPEN_FENCE.sub("", text, count=1)
    state = _Scan()
    state.scan(text)
    closers = _closers(state.stack)
    candidates: list[str] = []
    if state.string_start is not None and not state.string_is_key:
        candidates.append(_trim_escape(text) + '"' + closers)
    elif state.token_start is not None:
        head, token = text[: state.token_start], text[state.token_start :].rstrip("`")
        candidates += [head + lit + closers for lit in _LITERALS if lit.startswith(token)]
        candidates += [head + token + closers, head + token.rstrip(".eE+-") + closers]
    if state.safe_end:
        candidates.append(text[: state.safe_end] + _closers(state.safe_stack))
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError:
            continue
    return None
