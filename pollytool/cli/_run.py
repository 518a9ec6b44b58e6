"""One prompt, one answer: ``polly -p "..."`` (or the prompt on standard input)."""

from __future__ import annotations

import dataclasses
import json
import signal
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any, TypeVar

import anyio

from ..errors import ResponseError, SchemaError, SchemaValidationError
from ..events import ErrorEvent
from ..llm import Agent, AgentResult, MultiPass
from ..messages import ChatMessage, ChatMessageToolCall
from ..request import CompletionRequest
from ..schema import Schema
from ._attachments import load_attachments
from ._conversation import Conversation, open_conversation
from ._display import Display, summarize_call
from ._errors import EXIT_INTERRUPTED, EXIT_OK, UsageError
from ._logging import log
from ._options import Options
from ._terminal import Terminal
from ._tools import load_tools, tool_sources
from ._transcript import Transcript

__all__ = ["Interrupted", "ToolApprover", "load_schema", "run_prompt", "supervise"]

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


async def load_schema(path: str) -> Schema:
    """The ``--schema`` file as a :class:`~pollytool.schema.Schema`, checked to be a
    valid JSON Schema object; raises :class:`~pollytool.errors.SchemaError`."""
    try:
        text = await anyio.Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise SchemaError(f"cannot read --schema file {path!r}: {reason}") from None
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"--schema file {path!r} is not JSON: {exc}") from None
    if not isinstance(schema, dict):
        raise SchemaError(f"--schema file {path!r} must hold a JSON Schema object")
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError as BadSchema
    from jsonschema.validators import validator_for

    try:
        validator_for(schema, default=Draft202012Validator).check_schema(schema)
    except BadSchema as exc:
        raise SchemaError(
            f"--schema file {path!r} is not a valid JSON Schema: {exc.message}"
        ) from None
    return Schema.from_dict(schema)


def _repair_request(error: SchemaValidationError) -> ChatMessage:
    problems = "\n".join(f"- {problem}" for problem in error.errors) or f"- {error}"
    return ChatMessage.user(
        f"That reply does not match the required JSON schema:\n{problems}\n"
        "Reply again with only the corrected JSON."
    )


class _Run:
    """The state of one prompt's run."""

    def __init__(self, agent: Agent, display: Display, transcript: Transcript) -> None:
        self.agent = agent
        self.display = display
        self.transcript = transcript

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


async def run_prompt(opts: Options, prompt: str, display: Display) -> int:
    """Answer *prompt*: stream the reply to stdout, run tools, keep the exchange in the
    context. Returns the exit status."""
    attachments = await load_attachments(opts.files)
    parts = [part for attachment in attachments for part in attachment.parts()]
    if not prompt.strip() and not parts:
        raise UsageError("the prompt is empty")
    schema = await load_schema(opts.schema) if opts.schema else None
    terminal = Terminal.open() if opts.confirm else None
    if opts.confirm and terminal is None:
        raise UsageError("--confirm asks on the terminal before each tool call, but there is none")
    async with AsyncExitStack() as stack, open_conversation(opts, display) as conversation:
        if terminal is not None:
            stack.callback(terminal.close)
        sources = tool_sources(opts, conversation.metadata)
        registry = await load_tools(sources, opts, stack)
        if conversation.session is not None and (opts.tools or opts.mcp):
            await conversation.session.update_metadata(**sources.changes())
        client = MultiPass()
        stack.push_async_callback(client.aclose)
        settings = conversation.settings
        log.debug("settings: %s; tools: %s", settings, [tool.name for tool in registry.all()])
        agent = Agent(
            client, registry, max_iterations=settings.max_iterations,
            tool_timeout=settings.tool_timeout,
            approve=ToolApprover(terminal, display) if terminal is not None else None,
        )  # fmt: skip
        user = ChatMessage.user(prompt, *parts)
        req = CompletionRequest(
            settings.model, [*conversation.history, user], temperature=settings.temperature,
            max_tokens=settings.max_tokens, thinking=settings.thinking, response_schema=schema,
            timeout=opts.timeout or None, base_url=opts.base_url,
        )  # fmt: skip
        transcript = Transcript(user)
        return await _answer(_Run(agent, display, transcript), req, schema, conversation)


async def _answer(
    run: _Run, req: CompletionRequest, schema: Schema | None, conversation: Conversation
) -> int:
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
        return EXIT_INTERRUPTED
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
    return EXIT_OK
