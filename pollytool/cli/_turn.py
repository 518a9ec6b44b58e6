"""One turn of a conversation: the user's message, the tool loop shown as it runs, the
exchange kept in the conversation whatever happens (see :mod:`._transcript`)."""

from __future__ import annotations

import dataclasses
import json
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio

from ..errors import ResponseError, SchemaValidationError
from ..events import ErrorEvent
from ..llm import Agent, AgentResult
from ..messages import ChatMessage, ChatMessageToolCall, Usage
from ..request import CompletionRequest
from ..schema import Schema
from ._conversation import Conversation
from ._display import Display, summarize_call
from ._terminal import Terminal
from ._transcript import Transcript

__all__ = ["Interrupted", "ToolApprover", "TurnOutcome", "supervise", "take_turn"]

_T = TypeVar("_T")


class Interrupted(Exception):
    """Ctrl-C (SIGINT) or SIGTERM arrived while a model or a tool was at work."""


async def supervise(work: Callable[[], Awaitable[_T]], display: Display) -> _T:
    """Run *work* with the spinner turning. SIGINT (Ctrl-C) or SIGTERM cancels it and raises
    :class:`Interrupted`, so the caller can keep what was done before reporting it; an error
    of *work* is raised as it is."""
    interrupted = False
    failure: Exception | None = None
    outcome: list[_T] = []
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with anyio.create_task_group() as tasks:

            async def watch() -> None:
                nonlocal interrupted
                async for _ in signals:
                    interrupted = True
                    tasks.cancel_scope.cancel()
                    return

            tasks.start_soon(watch)
            tasks.start_soon(display.animate)
            try:
                outcome.append(await work())
            except Exception as exc:  # raised below, outside the task group (not in a group)
                failure = exc
            finally:
                tasks.cancel_scope.cancel()
    display.pause()
    if failure is not None:
        raise failure
    if interrupted or not outcome:
        raise Interrupted
    return outcome[0]


class ToolApprover:
    """``--confirm``: asks on the terminal before each tool call: yes, no, or all (yes to
    this and every later call of the run)."""

    def __init__(self, terminal: Terminal, display: Display) -> None:
        self._terminal = terminal
        self._display = display
        self._all = False

    async def __call__(self, calls: list[ChatMessageToolCall]) -> list[str]:
        approved: list[str] = []
        for call in calls:
            if not self._all:
                self._display.pause()
                answer = await self._terminal.ask(f"Run {summarize_call(call)}? [y/N/a] ")
                self._all = answer.lower() in ("a", "all")
                if not (self._all or answer.lower() in ("y", "yes")):
                    continue
            approved.append(call.id)
        return approved


def _repair_request(error: SchemaValidationError) -> ChatMessage:
    problems = "\n".join(f"- {problem}" for problem in error.errors) or f"- {error}"
    return ChatMessage.user(
        f"That reply does not match the required JSON schema:\n{problems}\n"
        "Reply again with only the corrected JSON."
    )


class _Turn:
    """The state of one turn."""

    def __init__(self, agent: Agent, display: Display, transcript: Transcript) -> None:
        self.agent = agent
        self.display = display
        self.transcript = transcript
        self.usage = Usage()

    async def loop(self, req: CompletionRequest, *, stream_answer: bool) -> AgentResult:
        """One tool loop, shown as it goes; its messages join the transcript."""
        self.display.status("waiting for the model")
        async with self.agent.stream(req) as events:
            async for event in events:
                self.transcript.observe(event)
                self.display.show(event, stream_answer=stream_answer)
                if isinstance(event, ErrorEvent):
                    raise event.error
        if events.result is None:
            raise ResponseError("the tool loop ended without a result")
        self.transcript.commit(events.result)
        self.usage += events.result.usage
        return events.result

    async def structured(self, req: CompletionRequest, schema: Schema) -> tuple[Any, bool]:
        """The validated JSON answer (asking once more with the problems when the first
        reply does not match), and whether a reply was truncated."""
        result = await self.loop(req, stream_answer=False)
        try:
            return schema.validate(result.text), result.truncated
        except SchemaValidationError as exc:
            if result.truncated:
                raise
            repair = _repair_request(exc)
            self.transcript.add(repair)
        retry = dataclasses.replace(req, messages=[*req.messages, *self.transcript.messages[1:]])
        result = await self.loop(retry, stream_answer=False)
        return schema.validate(result.text), result.truncated


@dataclass(slots=True)
class TurnOutcome:
    """How a turn ended: ``interrupted`` by Ctrl-C or not, and the tokens it used."""

    interrupted: bool = False
    usage: Usage = field(default_factory=Usage)


async def take_turn(
    agent: Agent,
    display: Display,
    req: CompletionRequest,
    conversation: Conversation,
    schema: Schema | None = None,
) -> TurnOutcome:
    """Answer the last message of *req* (the user's new message): run the tool loop with
    the answer shown as it streams (or, with *schema*, printed as validated JSON at the end),
    and append the exchange to *conversation*. A failure is raised after what was done has
    been kept; Ctrl-C ends the turn with ``interrupted=True``.
    """
    run = _Turn(agent, display, Transcript(req.messages[-1]))
    display = run.display
    try:
        if schema is None:
            result = await supervise(lambda: run.loop(req, stream_answer=True), display)
            value, truncated = None, result.truncated
        else:
            value, truncated = await supervise(lambda: run.structured(req, schema), display)
    except Interrupted:
        await conversation.save(run.transcript.salvage(interrupted=True))
        display.end_answer()
        display.notice("Interrupted.")
        return TurnOutcome(interrupted=True, usage=run.usage)
    except Exception:
        display.end_answer()
        await conversation.save(run.transcript.salvage(interrupted=False))
        raise
    await conversation.save(run.transcript.messages)
    if schema is not None:
        display.answer(json.dumps(value, indent=2, ensure_ascii=False))
    display.end_answer()
    if truncated:
        limit = f"{req.max_tokens} tokens" if req.max_tokens else "the model's default limit"
        display.warning(f"response truncated at {limit}; use --maxtokens to allow more")
    return TurnOutcome(usage=run.usage)
