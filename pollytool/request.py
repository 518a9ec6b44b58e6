"""The request every client takes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from .errors import ConfigurationError, InvalidModelError
from .messages import ChatMessage, MessageRole, UnknownPart
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

    Every field is checked when the request is made: a mistake (a string or a dict as
    ``messages``, a message that is not in a list, a temperature outside 0-2, an empty model,
    a ``tool_choice`` naming none of the tools, something that is not a tool in ``tools``,
    non-text ``content``) raises :class:`TypeError` or
    :class:`~pollytool.errors.ConfigurationError` naming the field, before anything is sent.

    Attributes:
        model: ``"provider/model"`` for the router (``MultiPass``), the bare model name for a
            direct client.
        messages: the conversation so far.
        temperature: sampling temperature from 0 to 2; ``None`` sends nothing (the provider's
            default).
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
        """Check every field (see :func:`_check`) and convert ``thinking`` and
        ``response_schema``. Mistakes raise here, naming the field, not at send time."""
        _check_model(self.model)
        messages: Any = self.messages
        if messages.__class__ is not list:
            self.messages = messages = _message_list(messages)
        for message in messages:  # the hot path: plain messages pass with three checks
            if (
                message.__class__ is not ChatMessage
                or message.role.__class__ is not MessageRole
                or message.content.__class__ is not str
                or (message.parts and _has_unknown(message.parts))
            ):
                _check_messages(messages)
                break
        if self.temperature is not None:
            _check_temperature(self.temperature)
        if self.max_tokens is not None:
            _check_positive("max_tokens", self.max_tokens, integer=True)
        if self.timeout is not None:
            _check_positive("timeout", self.timeout, integer=False)
        if self.tools:
            _check_tools(self.tools)
        if self.tool_choice is not None:
            _check_tool_choice(self.tool_choice, self.tools)
        if self.provider_options.__class__ is not dict:
            _check_type("provider_options", self.provider_options, (dict,), "a dict")
        thinking: Any = self.thinking  # strings, ints and None are parsed
        if not isinstance(thinking, Thinking):
            self.thinking = Thinking.parse(thinking)
        schema: Any = self.response_schema  # Python types and dicts are converted
        if schema is not None and not isinstance(schema, Schema):
            self.response_schema = Schema.from_type(schema)

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


# --------------------------------------------------------------------------- checks

_TOOL_CHOICES = ("auto", "none", "required")


def _check_type(name: str, value: object, classes: tuple[type, ...], what: str) -> None:
    if not isinstance(value, classes) or (isinstance(value, bool) and bool not in classes):
        raise TypeError(f"CompletionRequest.{name} must be {what}, got {type(value).__name__}")


def _check_model(model: object) -> None:
    _check_type("model", model, (str,), "a model name (str)")
    assert isinstance(model, str)
    if not model.strip():
        raise InvalidModelError("CompletionRequest.model is empty; name a model")
    provider, sep, name = model.partition("/")
    if sep and provider.strip() and not name.strip():
        raise InvalidModelError(
            f"CompletionRequest.model {model!r} has an empty model name after the provider "
            f"prefix; write it as '{provider}/<model>'"
        )


def _message_list(messages: object) -> list[ChatMessage]:
    if isinstance(messages, ChatMessage):
        raise TypeError(
            "CompletionRequest.messages must be a list of ChatMessage; got a single "
            "ChatMessage, put it in a list: [message]"
        )
    if isinstance(messages, str | bytes | Mapping) or not isinstance(messages, Sequence):
        raise TypeError(
            "CompletionRequest.messages must be a list of ChatMessage, got "
            f"{type(messages).__name__} (for a prompt: [ChatMessage.user(text)])"
        )
    return list(messages)


def _check_messages(messages: list[ChatMessage]) -> None:
    for index, message in enumerate(messages):
        field_name = f"CompletionRequest.messages[{index}]"
        if not isinstance(message, ChatMessage):
            raise TypeError(f"{field_name} must be a ChatMessage, got {type(message).__name__}")
        if not isinstance(message.role, MessageRole):
            valid = ", ".join(role.value for role in MessageRole)
            raise ConfigurationError(
                f"{field_name}.role {message.role!r} is not one this version of pollytool can "
                f"send ({valid}); it was probably written by a newer version"
            )
        if not isinstance(message.content, str):
            raise TypeError(
                f"{field_name}.content must be str, got {type(message.content).__name__}"
            )
        unknown = next((p for p in message.parts if isinstance(p, UnknownPart)), None)
        if unknown is not None:
            raise ConfigurationError(
                f"{field_name} has a {unknown.type!r} part, which this version of pollytool "
                "cannot send; it was probably written by a newer version"
            )


def _has_unknown(parts: list[Any]) -> bool:
    return any(isinstance(part, UnknownPart) for part in parts)


def _check_temperature(value: object) -> None:
    _check_type("temperature", value, (int, float), "a number")
    assert isinstance(value, int | float)
    if not 0 <= value <= 2:
        raise ConfigurationError(
            f"CompletionRequest.temperature must be between 0 and 2, got {value!r}"
        )


def _check_positive(name: str, value: object, *, integer: bool) -> None:
    classes: tuple[type, ...] = (int,) if integer else (int, float)
    _check_type(name, value, classes, "an int" if integer else "a number")
    assert isinstance(value, int | float)
    if not value > 0:
        unit = "" if integer else " of seconds"
        raise ConfigurationError(f"CompletionRequest.{name} must be a positive number{unit}, "
                                 f"got {value!r}")  # fmt: skip


def _check_tools(tools: object) -> None:
    if isinstance(tools, str | bytes | Mapping) or not isinstance(tools, Sequence):
        raise TypeError(
            f"CompletionRequest.tools must be a list of tools, got {type(tools).__name__}"
        )
    for index, tool in enumerate(tools):
        if not (
            isinstance(getattr(tool, "name", None), str)
            and callable(getattr(tool, "execute", None))
            and hasattr(tool, "schema")
        ):
            raise TypeError(
                f"CompletionRequest.tools[{index}] is not a tool (a name, a schema and an "
                f"async execute method; decorate a function with @tool), got "
                f"{type(tool).__name__}"
            )


def _check_tool_choice(choice: object, tools: Sequence[Tool]) -> None:
    _check_type("tool_choice", choice, (str,), '"auto", "none", "required" or a tool name')
    if choice in _TOOL_CHOICES:
        return
    names = [tool.name for tool in tools]
    if not choice or (names and choice not in names):
        raise ConfigurationError(
            f"CompletionRequest.tool_choice {choice!r} is not auto, none, required or the name "
            f"of one of the request's tools ({', '.join(names) or 'none'})"
        )
