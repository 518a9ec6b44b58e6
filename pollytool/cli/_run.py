"""One prompt, one answer: ``polly -p "..."`` (or the prompt on standard input)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import anyio

from ..errors import SchemaError
from ..llm import Agent, MultiPass
from ..messages import ChatMessage
from ..request import CompletionRequest
from ..schema import Schema
from ..tools import ToolRegistry
from ..tools.skill_runtime import SkillRuntime
from ._attachments import load_attachments
from ._conversation import Conversation, open_conversation
from ._display import Display
from ._errors import EXIT_INTERRUPTED, EXIT_OK, UsageError
from ._logging import log
from ._options import Options
from ._skills import load_skills
from ._terminal import Terminal
from ._tools import load_tools, tool_sources
from ._turn import ToolApprover, take_turn

__all__ = ["Runtime", "build_request", "load_schema", "open_agent", "run_prompt"]


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


@dataclass(frozen=True, slots=True)
class Runtime:
    """What answers a conversation: the tool loop and the skills (for the system prompt)."""

    agent: Agent
    skills: SkillRuntime | None = None


@asynccontextmanager
async def open_agent(
    opts: Options, conversation: Conversation, display: Display
) -> AsyncIterator[Runtime]:
    """The tool loop for *conversation*: its tools (from the command line, else remembered
    by the context, which then remembers the new ones), its skills, the router,
    ``--confirm``. Tool servers and processes stop when the block ends."""
    terminal = Terminal.open() if opts.confirm else None
    if opts.confirm and terminal is None:
        raise UsageError("--confirm asks on the terminal before each tool call, but there is none")
    async with AsyncExitStack() as stack:
        if terminal is not None:
            stack.callback(terminal.close)
        sources = tool_sources(opts, conversation.metadata)
        settings = conversation.settings
        registry: ToolRegistry = await load_tools(
            sources, nosandbox=opts.no_sandbox, tool_timeout=settings.tool_timeout, stack=stack
        )
        if conversation.session is not None and (opts.tools or opts.mcp):
            await conversation.session.update_metadata(**sources.changes())
        skills = await load_skills(opts, conversation.metadata, conversation.session, registry)
        client = MultiPass()
        stack.push_async_callback(client.aclose)
        log.debug("settings: %s; tools: %s", settings, [tool.name for tool in registry.all()])
        agent = Agent(
            client, registry, max_iterations=settings.max_iterations,
            tool_timeout=settings.tool_timeout,
            approve=ToolApprover(terminal, display) if terminal is not None else None,
        )  # fmt: skip
        yield Runtime(agent, skills)


def build_request(
    opts: Options,
    conversation: Conversation,
    runtime: Runtime,
    history: list[ChatMessage],
    user: ChatMessage,
    *,
    schema: Schema | None = None,
) -> CompletionRequest:
    """The request for *user*'s message after *history*, with the conversation's settings."""
    settings = conversation.settings
    return CompletionRequest(
        settings.model, [*history, user], temperature=settings.temperature,
        max_tokens=settings.max_tokens, thinking=settings.thinking, response_schema=schema,
        timeout=opts.timeout or None, base_url=opts.base_url, skills=runtime.skills,
    )  # fmt: skip


async def run_prompt(opts: Options, prompt: str, display: Display) -> int:
    """Answer *prompt*: stream the reply to stdout, run tools, keep the exchange in the
    context. Returns the exit status."""
    attachments = await load_attachments(opts.files)
    parts = [part for attachment in attachments for part in attachment.parts()]
    if not prompt.strip() and not parts:
        raise UsageError("the prompt is empty")
    schema = await load_schema(opts.schema) if opts.schema else None
    async with (
        open_conversation(opts, display) as conversation,
        open_agent(opts, conversation, display) as runtime,
    ):
        user = ChatMessage.user(prompt, *parts)
        req = build_request(opts, conversation, runtime, conversation.history, user, schema=schema)
        outcome = await take_turn(runtime.agent, display, req, conversation, schema)
    return EXIT_INTERRUPTED if outcome.interrupted else EXIT_OK
