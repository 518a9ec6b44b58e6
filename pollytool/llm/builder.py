"""``CompletionBuilder``: build a request step by step and run it.

::

    text = await (
        CompletionBuilder("openai/gpt-5.4")
        .with_system_prompt("You are a helpful assistant")
        .with_user_message("Tell me about Python")
        .with_temperature(0.8)
        .with_max_tokens(500)
        .execute(client)
    )

    answer = await (
        CompletionBuilder("openai/gpt-5.4")
        .with_user_message("What's the weather in NYC?")
        .execute_with_tools(client, registry)
    )
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Self

from ..messages import ChatMessage, ContentPart, MessageRole
from ..request import CompletionRequest, SkillPrompt
from ..schema import Schema
from ..thinking import Thinking
from .agent import Agent
from .helpers import ChunkCallback, feed_chunks, open_stream, shared_client

if TYPE_CHECKING:
    from ..stream import LLM
    from ..tools.base import Tool
    from ..tools.registry import ToolRegistry

__all__ = ["CompletionBuilder"]


class CompletionBuilder:
    """A fluent way to build a :class:`~pollytool.request.CompletionRequest`.

    Every ``with_*`` method changes the builder and returns it. Nothing is sent until an
    ``execute*`` method runs; :meth:`build` returns a new request each time, so a builder can
    serve as a template. Temperature and max tokens are not set unless you set them (the
    provider's defaults apply). The ``execute*`` methods take any
    :class:`~pollytool.stream.LLM`; without one they use the helpers' shared
    ``MultiPass`` (see :func:`~pollytool.llm.helpers.shared_client`).
    """

    def __init__(self, model: str) -> None:
        self._request = CompletionRequest(model)
        self._system: ChatMessage | None = None

    def __repr__(self) -> str:
        return (
            f"CompletionBuilder({self._request.model!r}, "
            f"messages={len(self._request.messages) + (self._system is not None)})"
        )

    # ------------------------------------------------------------------ messages

    def with_system_prompt(self, prompt: str) -> Self:
        """Set the system prompt, replacing any earlier one (there is only ever one)."""
        self._system = ChatMessage.system(prompt)
        return self

    def with_user_message(self, content: str, *parts: ContentPart) -> Self:
        """Append a user message, with optional images or files after the text."""
        self._request.messages.append(ChatMessage.user(content, *parts))
        return self

    def with_assistant_message(self, content: str) -> Self:
        """Append an assistant message (for few-shot examples)."""
        self._request.messages.append(ChatMessage.assistant(content))
        return self

    def with_message(self, message: ChatMessage) -> Self:
        """Append any message; a system message is treated as :meth:`with_system_prompt`."""
        if message.role == MessageRole.SYSTEM:
            self._system = message
        else:
            self._request.messages.append(message)
        return self

    def with_history(self, history: Sequence[ChatMessage]) -> Self:
        """Put *history* before the messages added so far (after the system prompt).

        A system message at the start of *history* becomes the system prompt unless one was
        set with :meth:`with_system_prompt`, which always wins. *history* is not changed.
        """
        messages = list(history)
        if messages and messages[0].role == MessageRole.SYSTEM:
            first = messages.pop(0)
            if self._system is None:
                self._system = first
        self._request.messages[:0] = messages
        return self

    # ------------------------------------------------------------------ settings

    def with_temperature(self, temperature: float) -> Self:
        """Sampling temperature."""
        self._request.temperature = temperature
        return self

    def with_max_tokens(self, max_tokens: int) -> Self:
        """The most tokens to generate."""
        self._request.max_tokens = max_tokens
        return self

    def with_timeout(self, seconds: float) -> Self:
        """A deadline for the whole call, in seconds."""
        self._request.timeout = seconds
        return self

    def with_tools(self, tools: Iterable[Tool] | ToolRegistry) -> Self:
        """The tools the model may call (a list of tools or a registry)."""
        self._request.tools = list(tools)
        return self

    def with_schema(self, schema: Schema | type | dict[str, Any]) -> Self:
        """Ask for JSON output following *schema* (a :class:`~pollytool.schema.Schema`,
        a Pydantic model, dataclass, TypedDict or JSON-schema dict)."""
        self._request.response_schema = Schema.from_type(schema)
        return self

    def with_skills(self, skills: SkillPrompt | None) -> Self:
        """A skill catalog whose instructions extend the system prompt."""
        self._request.skills = skills
        return self

    def with_thinking(self, thinking: Thinking | str | int) -> Self:
        """How much the model should think: a :class:`~pollytool.thinking.Thinking`, a
        level (``"high"``), ``"dynamic"``, ``"off"`` or a token budget."""
        self._request.thinking = Thinking.parse(thinking)
        return self

    def with_provider_options(self, **options: Any) -> Self:
        """Provider-specific settings (merged into ``provider_options``)."""
        self._request.provider_options.update(options)
        return self

    # ------------------------------------------------------------------ results

    def build(self) -> CompletionRequest:
        """A new request from the builder's state (later changes to the builder do not
        affect it). Invalid values (a negative timeout…) raise here."""
        system = [self._system] if self._system is not None else []
        return dataclasses.replace(
            self._request,
            messages=[*system, *self._request.messages],
            tools=list(self._request.tools),
            provider_options=dict(self._request.provider_options),
        )

    async def execute(self, client: LLM | None = None) -> str:
        """Send the request and return the reply's text."""
        return await open_stream(client, self.build()).text()

    async def execute_streaming(self, client: LLM | None, on_chunk: ChunkCallback) -> str:
        """Send the request, call ``on_chunk`` with each piece of text as it arrives, and
        return the whole text."""
        return await feed_chunks(open_stream(client, self.build()), on_chunk)

    async def execute_with_tools(
        self, client: LLM | None, registry: ToolRegistry, **agent_options: Any
    ) -> ChatMessage:
        """Run the tool loop (:class:`~pollytool.llm.agent.Agent`) and return the final
        assistant message. Without :meth:`with_tools`, the registry's tools are offered.
        *agent_options* go to the agent (``max_iterations``, ``tool_timeout``, ``approve``…).
        """
        agent = Agent(client or shared_client(), registry, **agent_options)
        return (await agent.run(self.build())).message
