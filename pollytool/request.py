"""The request every client takes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from .errors import ConfigurationError
from .messages import ChatMessage, MessageRole
from .schema import Schema
from .thinking import Thinking

if TYPE_CHECKING:
    from .tools.base import Tool

__all__ = ["CompletionRequest", "SkillPrompt", "ToolChoice"]

ToolChoice = Literal["auto", "none", "required"] | str


@runtime_checkable
class SkillPrompt(Protocol):
    """What a request needs from a skill catalog: a way to extend the system prompt."""

    def runtime_system_prompt(self, base: str) -> str: ...


@dataclass(slots=True)
class CompletionRequest:
    """One call to a model.

    Attributes:
        model: ``"provider/model"`` for the router (``MultiPass``), the bare model name for a
            direct client.
        messages: the conversation so far.
        temperature: sampling temperature; ``None`` sends nothing (the provider's default).
        max_tokens: the most tokens to generate; ``None`` lets the adapter choose (Anthropic
            requires a value and gets a sensible default).
        tools: tools the model may call.
        response_schema: ask for JSON output following this schema. A Pydantic model,
            dataclass, TypedDict or JSON-schema dict is turned into a :class:`Schema`.
        timeout: seconds for the whole call, from request to last event; ``None`` leaves only
            the client's own connect/read timeouts.
        base_url: send the request to this endpoint instead of the client's.
        api_key: use this key instead of the client's or the router's (never printed).
        skills: a skill catalog whose instructions are added to the system prompt.
        thinking: how much to think; a :class:`Thinking`, or anything
            :meth:`Thinking.parse` reads (``"high"``, ``12000``, ``"off"``…).
        stream: stream the reply (``True``) or fetch it in one piece; the events are the same.
        tool_choice: ``None`` (provider default), ``"auto"``, ``"none"``, ``"required"`` or the
            name of a tool to force.
        provider_options: provider-specific settings passed through to the adapter
            (for example ``{"api": "chat"}`` for OpenAI or ``{"num_ctx": 8192}`` for Ollama).
    """

    model: str
    messages: list[ChatMessage] = field(default_factory=list)
    temperature: float | None = None
    max_tokens: int | None = None
    tools: Sequence[Tool] = ()
    response_schema: Schema | None = None
    timeout: float | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    skills: SkillPrompt | None = None
    thinking: Thinking = field(default_factory=Thinking.default)
    stream: bool = True
    tool_choice: ToolChoice | None = None
    provider_options: dict[str, Any] = field(default_factory=dict)

    if TYPE_CHECKING:
        # What type checkers see: the fields above, except that ``thinking`` and
        # ``response_schema`` also take what ``__post_init__`` converts (at run time the
        # dataclass's own ``__init__`` is used).
        def __init__(  # noqa: PLR0917 - mirrors the dataclass fields, in order
            self,
            model: str,
            messages: list[ChatMessage] = ...,
            temperature: float | None = None,
            max_tokens: int | None = None,
            tools: Sequence[Tool] = (),
            response_schema: Schema | dict[str, Any] | type | None = None,
            timeout: float | None = None,
            base_url: str | None = None,
            api_key: str | None = None,
            skills: SkillPrompt | None = None,
            thinking: Thinking | str | int | None = None,
            stream: bool = True,
            tool_choice: ToolChoice | None = None,
            provider_options: dict[str, Any] = ...,
        ) -> None: ...

    def __post_init__(self) -> None:
        thinking: Any = self.thinking  # strings, ints and None are parsed
        if not isinstance(thinking, Thinking):
            self.thinking = Thinking.parse(thinking)
        schema: Any = self.response_schema  # Python types and dicts are converted
        if schema is not None and not isinstance(schema, Schema):
            self.response_schema = Schema.from_type(schema)
        if self.timeout is not None and self.timeout <= 0:
            raise ConfigurationError(
                f"timeout must be a positive number of seconds, got {self.timeout}"
            )
        if self.max_tokens is not None and self.max_tokens <= 0:
            raise ConfigurationError(f"max_tokens must be positive, got {self.max_tokens}")

    def resolved_messages(self) -> list[ChatMessage]:
        """The messages to send: with ``skills`` set, the first system message is extended
        with the skills' instructions (or one is prepended). Never changes ``messages``."""
        messages = list(self.messages)
        if self.skills is None:
            return messages
        if messages and messages[0].role == MessageRole.SYSTEM:
            first = messages[0]
            messages[0] = ChatMessage(
                MessageRole.SYSTEM, self.skills.runtime_system_prompt(first.content),
                parts=list(first.parts), metadata=dict(first.metadata),
            )  # fmt: skip
        else:
            messages.insert(0, ChatMessage.system(self.skills.runtime_system_prompt("")))
        return messages
