"""The tool loop: call the model, run the tools it asks for, repeat until it answers.

::

    from pollytool.llm import Agent, CompletionRequest
    from pollytool.tools import ToolRegistry, tool

    @tool
    async def get_weather(city: str) -> str:
        \"\"\"Current weather for a city.\"\"\"
        return f"Sunny in {city}"

    agent = Agent(client, ToolRegistry([get_weather]), tool_timeout=30)
    result = await agent.run(CompletionRequest("openai/gpt-5.4", [ChatMessage.user("Paris?")]))
    print(result.message.content)
    history.extend(result.new_messages)    # the assistant turns and tool results

    async with agent.stream(req) as events:   # the same, event by event
        async for event in events:
            ...
    result = events.result
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Self, TypeAlias

import anyio

from .._resource import AsyncResource
from ..errors import (
    ConfigurationError,
    ContentFilterError,
    MaxIterationsError,
    PollyError,
    ResponseError,
    ToolError,
    ToolExecutionError,
    ToolNotFoundError,
    ToolTimeoutError,
    redact,
)
from ..events import (
    CompleteEvent,
    ErrorEvent,
    ToolCallEvent,
    ToolCallStartEvent,
    ToolResultEvent,
)
from ..messages import ChatMessage, ChatMessageToolCall, ImagePart, StopReason, Usage
from ..tools.base import tool_output
from ..tools.registry import ToolRegistry
from .helpers import open_stream

if TYPE_CHECKING:
    from ..events import AgentEvent, StreamEvent
    from ..request import CompletionRequest
    from ..stream import LLM
    from ..tools.base import Tool

__all__ = ["Agent", "AgentResult", "AgentStream", "Approver"]

#: ``approve(calls)`` returns the calls (or their ids) that may run; sync or async. The calls
#: of a turn always have distinct ids (duplicates sent by a model are renamed first).
Approver: TypeAlias = Callable[
    [list[ChatMessageToolCall]],
    Iterable[ChatMessageToolCall | str] | Awaitable[Iterable[ChatMessageToolCall | str]],
]


@dataclass(slots=True)
class AgentResult:
    """What a finished tool loop produced.

    Attributes:
        message: the last assistant message (the answer).
        new_messages: every message the loop added after the request's messages, in order:
            each assistant turn followed by one tool message per call. Append them to the
            history to continue the conversation.
        iterations: how many model calls were made.
        usage: token usage summed over all model calls.
        truncated: the last reply stopped at ``max_tokens``.
    """

    message: ChatMessage
    new_messages: list[ChatMessage]
    iterations: int
    usage: Usage = field(default_factory=Usage)
    truncated: bool = False

    @property
    def text(self) -> str:
        """The answer's text."""
        return self.message.text


class _RunState:
    __slots__ = ("result",)

    def __init__(self) -> None:
        self.result: AgentResult | None = None


class AgentStream(AsyncResource, AsyncIterator["AgentEvent"]):
    """The events of a tool loop (what :meth:`Agent.stream` returns), typed
    :data:`~pollytool.events.AgentEvent`.

    It yields every event of every model call (each call ends with its ``complete`` event)
    and, after each turn's tools ran, one ``tool_result`` event per call in call order. A
    failure ends it with one ``error`` event: the provider's own, or a
    :class:`~pollytool.errors.ContentFilterError`, :class:`~pollytool.errors.ResponseError`,
    :class:`~pollytool.errors.MaxIterationsError` or, when ``approve`` answers with
    something that is not a list of calls or ids, a
    :class:`~pollytool.errors.ConfigurationError`.

    When the loop has finished, :attr:`result` holds the :class:`AgentResult` (for
    ``MaxIterationsError`` the partial result, also on the error's ``result``). Use
    ``async with`` to stop the model call and the running tools at once when leaving early.
    """

    __slots__ = ("_events", "_state")

    def __init__(self, events: AsyncIterator[AgentEvent], state: _RunState) -> None:
        self._events = events
        self._state = state

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> AgentEvent:
        return await self._events.__anext__()

    async def aclose(self) -> None:
        """Stop the loop: the model call and any running tools."""
        aclose = getattr(self._events, "aclose", None)
        if aclose is not None:
            await aclose()

    @property
    def result(self) -> AgentResult | None:
        """The loop's result once it has ended; ``None`` before, or after a failure other
        than ``max_iterations``."""
        return self._state.result

    async def run(self) -> AgentResult:
        """Consume the events and return the result; raise the failure's typed error."""
        async with self:
            async for event in self:
                if isinstance(event, ErrorEvent):
                    raise event.error
        if self._state.result is None:
            raise ResponseError("the tool loop ended without a result")
        return self._state.result

    async def collect(self) -> ChatMessage:
        """Consume the events and return the final assistant message."""
        return (await self.run()).message

    async def text(self) -> str:
        """Consume the events and return the final answer's text."""
        return (await self.run()).text


@dataclass(frozen=True, slots=True)
class _Outcome:
    text: str
    is_error: bool
    duration: float
    images: list[tuple[bytes, str]] = field(default_factory=list)


class Agent:
    """Runs tool loops. It keeps no state between runs: reuse it, share it, run several
    requests at once.

    Args:
        client: any :class:`~pollytool.stream.LLM` (``MultiPass``, a provider client…).
        registry: the tools to offer and run. A request with its own ``tools`` offers those
            instead (and its calls are run from them). Tools are read again before each
            model call, so tools registered mid-run are offered on the next turn.
        max_iterations: most model calls per run; reaching it raises
            :class:`~pollytool.errors.MaxIterationsError` carrying the partial result.
        tool_timeout: seconds each tool call may take; ``None`` for no limit.
        max_parallel_tools: most tool calls of one turn running at once; ``None`` for all.
        approve: called with each turn's tool calls before they run; returns the calls (or
            their ids) that may run, the others are answered "denied". Sync or async. The
            calls it sees always have distinct ids: a model sending one id twice gets the
            second renamed (``"id_1"``) in every event and message before approval, so a
            denied call can never run under an approved call's id. An answer that is not a
            list of this turn's calls or ids (``None``, a bare string, an unknown id) ends the
            run with a :class:`~pollytool.errors.ConfigurationError`.

    Behaviour: each model turn becomes one assistant message (content ``""`` when the model
    only called tools), followed by one tool message per call in call order. The calls of a
    turn run concurrently. Problems with a call (unknown tool, arguments that are not JSON or
    do not match the schema, the tool raising, timing out or being denied) become an error
    tool message the model reads, and the loop goes on. A tool may return any value: text
    and :class:`~pollytool.tools.ToolOutput` as they are, image bytes as an image, other
    values as JSON (see :func:`~pollytool.tools.base.tool_output`). A forced ``tool_choice``
    (``"required"`` or a tool name) applies to the first turn only, so the loop can end.
    A ``max_tokens`` stop ends the loop with ``truncated=True``; a content-filter stop raises
    :class:`~pollytool.errors.ContentFilterError`. Cancelling the caller (or leaving the
    stream early) cancels running tools; tools started with ``anyio.open_process`` have
    their processes killed.
    """

    def __init__(
        self,
        client: LLM,
        registry: ToolRegistry | None = None,
        *,
        max_iterations: int = 50,
        tool_timeout: float | None = None,
        max_parallel_tools: int | None = None,
        approve: Approver | None = None,
    ) -> None:
        if max_iterations < 1:
            raise ConfigurationError(f"max_iterations must be at least 1, got {max_iterations}")
        if tool_timeout is not None and tool_timeout <= 0:
            raise ConfigurationError(f"tool_timeout must be positive, got {tool_timeout}")
        if max_parallel_tools is not None and max_parallel_tools < 1:
            raise ConfigurationError(
                f"max_parallel_tools must be at least 1, got {max_parallel_tools}"
            )
        self.client = client
        self.registry = registry if registry is not None else ToolRegistry()
        self.max_iterations = max_iterations
        self.tool_timeout = tool_timeout
        self.max_parallel_tools = max_parallel_tools
        self.approve = approve

    def __repr__(self) -> str:
        return f"Agent({self.client!r}, {self.registry!r}, max_iterations={self.max_iterations})"

    def stream(self, req: CompletionRequest) -> AgentStream:
        """Run the loop for *req*, yielding its events (see :class:`AgentStream`)."""
        state = _RunState()
        return AgentStream(self._loop(req, state), state)

    async def run(self, req: CompletionRequest) -> AgentResult:
        """Run the loop for *req* and return its result; failures raise their typed error."""
        return await self.stream(req).run()

    # ------------------------------------------------------------------ the loop

    async def _loop(self, req: CompletionRequest, state: _RunState) -> AsyncIterator[AgentEvent]:
        new_messages: list[ChatMessage] = []
        usage = Usage()
        tool_choice = req.tool_choice
        iteration = 0
        while True:
            iteration += 1
            tools = list(req.tools) or self.registry.all()
            turn = dataclasses.replace(
                req, messages=[*req.messages, *new_messages], tools=tools, tool_choice=tool_choice
            )
            message: ChatMessage | None = None
            ids = _UniqueCallIds()
            async with open_stream(self.client, turn) as events:
                async for raw_event in events:
                    event = ids.apply(raw_event)
                    yield event
                    if isinstance(event, CompleteEvent):
                        message = event.message
                    elif isinstance(event, ErrorEvent):
                        return
            if message is None:
                yield ErrorEvent(ResponseError("the model's stream ended without a result"))
                return
            new_messages.append(message)
            if message.usage is not None:
                usage += message.usage
            if (error := _stop_error(message)) is not None:
                yield ErrorEvent(error)
                return
            truncated = message.stop_reason == StopReason.MAX_TOKENS
            if truncated or not message.tool_calls:
                state.result = AgentResult(message, new_messages, iteration, usage, truncated)
                return
            try:
                allowed = await self._approved(message.tool_calls)
            except ConfigurationError as exc:
                yield ErrorEvent(exc)
                return
            outcomes = await self._run_tools(message.tool_calls, tools, allowed)
            for call, outcome in zip(message.tool_calls, outcomes, strict=True):
                new_messages.append(_tool_message(call, outcome))
            for call, outcome in zip(message.tool_calls, outcomes, strict=True):
                yield ToolResultEvent(call, outcome.text, outcome.is_error, outcome.duration)
            if iteration == self.max_iterations:
                state.result = AgentResult(message, new_messages, iteration, usage)
                yield ErrorEvent(
                    MaxIterationsError(
                        f"the tool loop reached max_iterations={iteration} while the model "
                        "was still calling tools",
                        result=state.result,
                    )
                )
                return
            if tool_choice not in (None, "auto", "none"):
                tool_choice = None

    # ------------------------------------------------------------------ tools

    async def _run_tools(
        self, calls: Sequence[ChatMessageToolCall], tools: Sequence[Tool], allowed: set[int]
    ) -> list[_Outcome]:
        """Run the calls of one turn concurrently (those at the *allowed* positions; the
        others are denied); outcomes in call order."""
        by_name = {t.name: t for t in tools}
        limiter = (
            anyio.CapacityLimiter(self.max_parallel_tools) if self.max_parallel_tools else None
        )
        outcomes: list[_Outcome] = [_Outcome("", True, 0.0)] * len(calls)

        async def run_one(position: int, call: ChatMessageToolCall) -> None:
            start = anyio.current_time()
            images: list[tuple[bytes, str]] = []
            if position not in allowed:
                text, is_error = "the user denied this tool call", True
            elif limiter is None:
                text, is_error, images = await self._call(call, by_name)
            else:
                async with limiter:
                    text, is_error, images = await self._call(call, by_name)
            outcomes[position] = _Outcome(text, is_error, anyio.current_time() - start, images)

        async with anyio.create_task_group() as tg:
            for position, call in enumerate(calls):
                tg.start_soon(run_one, position, call)
        return outcomes

    async def _approved(self, calls: Sequence[ChatMessageToolCall]) -> set[int]:
        """The positions of the calls ``approve`` allows (all of them without an approver)."""
        if self.approve is None:
            return set(range(len(calls)))
        answer: object = self.approve(list(calls))
        if inspect.isawaitable(answer):
            answer = await answer
        if isinstance(answer, str | bytes | ChatMessageToolCall) or not isinstance(
            answer, Iterable
        ):
            raise ConfigurationError(
                f"approve returned {'None' if answer is None else 'a ' + type(answer).__name__}"
                "; it must return a list of the calls (or their ids) that may run, [] to deny "
                "them all"
            )
        by_identity = {id(call): position for position, call in enumerate(calls)}
        by_id = {call.id: position for position, call in enumerate(calls)}
        allowed: set[int] = set()
        for item in answer:
            if isinstance(item, ChatMessageToolCall):
                position = by_identity.get(id(item), by_id.get(item.id))
            elif isinstance(item, str):
                position = by_id.get(item)
            else:
                raise ConfigurationError(
                    f"approve must return tool calls or tool-call ids, got {item!r}"
                )
            if position is None:
                item_id = item.id if isinstance(item, ChatMessageToolCall) else item
                raise ConfigurationError(
                    f"approve returned {item_id!r}, which is not the id of one of this turn's calls"
                )
            allowed.add(position)
        return allowed

    async def _call(
        self, call: ChatMessageToolCall, tools: dict[str, Tool]
    ) -> tuple[str, bool, list[tuple[bytes, str]]]:
        """Run one call; every failure becomes an error text for the model."""
        tool = tools.get(call.name)
        if tool is None:
            available = ", ".join(tools) or "none"
            error: ToolError = ToolNotFoundError(
                f"tool {call.name!r} does not exist; available tools: {available}",
                tool_name=call.name,
            )
            return str(error), True, []
        try:
            args = call.args
            with anyio.move_on_after(self.tool_timeout) as scope:
                output = tool_output(await tool.execute(args))
            if scope.cancelled_caught:
                error = ToolTimeoutError(
                    f"tool {call.name!r} did not finish within {self.tool_timeout:g}s and was "
                    "cancelled",
                    tool_name=call.name,
                )
                return str(error), True, []
        except ToolError as exc:
            return redact(str(exc)), True, []
        except Exception as exc:
            error = ToolExecutionError(
                f"tool {call.name!r} failed: {type(exc).__name__}: {exc}", tool_name=call.name
            )
            return redact(str(error)), True, []
        if isinstance(output, str):
            return output, False, []
        return output.text, output.is_error, list(output.images)


class _UniqueCallIds:
    """Gives every tool call of one model turn an id no other call of the turn has.

    A model (or a hostile server) may send two calls with one id; approval, results and the
    next request all match calls by id, so a duplicate is renamed (``"dup"`` → ``"dup_1"``)
    in every event of the turn before anything else sees it. The first call with an id keeps
    it; a call without an id gets ``call_<position>``.
    """

    __slots__ = ("_by_position", "_taken")

    def __init__(self) -> None:
        self._by_position: dict[int, str] = {}
        self._taken: set[str] = set()

    def id_for(self, position: int, raw: str) -> str:
        assigned = self._by_position.get(position)
        if assigned is not None:
            return assigned
        unique, attempt = raw, position
        while not unique or unique in self._taken:
            unique = f"{raw or 'call'}_{attempt}"
            attempt += 1
        self._taken.add(unique)
        self._by_position[position] = unique
        return unique

    def _call(self, position: int, call: ChatMessageToolCall) -> ChatMessageToolCall:
        unique = self.id_for(position, call.id)
        return call if unique == call.id else dataclasses.replace(call, id=unique)

    def apply(self, event: StreamEvent) -> StreamEvent:
        """*event* with the turn's unique ids (itself when nothing changes)."""
        if isinstance(event, ToolCallStartEvent):
            unique = self.id_for(event.index, event.id)
            if unique != event.id:
                return ToolCallStartEvent(event.index, unique, event.name)
        elif isinstance(event, ToolCallEvent):
            call = self._call(event.index, event.tool_call)
            if call is not event.tool_call:
                return ToolCallEvent(call, event.index)
        elif isinstance(event, CompleteEvent) and event.message.tool_calls:
            old = event.message.tool_calls
            calls = [self._call(position, call) for position, call in enumerate(old)]
            if any(new is not was for new, was in zip(calls, old, strict=True)):
                return CompleteEvent(dataclasses.replace(event.message, tool_calls=calls))
        return event


def _stop_error(message: ChatMessage) -> PollyError | None:
    if message.stop_reason == StopReason.CONTENT_FILTER:
        return ContentFilterError("the provider's content filter blocked the reply")
    if message.stop_reason == StopReason.ERROR:
        return ResponseError("the model stopped with an error (malformed output)")
    return None


def _tool_message(call: ChatMessageToolCall, outcome: _Outcome) -> ChatMessage:
    message = ChatMessage.tool_result(
        call.id, outcome.text, tool_name=call.name, is_error=outcome.is_error
    )
    message.parts.extend(ImagePart(data, mime) for data, mime in outcome.images)
    return message
