"""CompletionRequest checks its fields when it is made: a clear TypeError or
ConfigurationError naming the field, before anything is sent."""

from __future__ import annotations

import re
from typing import Any

import pytest

from pollytool.errors import ConfigurationError, InvalidModelError
from pollytool.messages import ChatMessage
from pollytool.request import CompletionRequest
from pollytool.tools.function import tool

HI = [ChatMessage.user("hi")]


@tool
def weather(city: str) -> str:
    """The weather in a city."""
    return city


def fails(error: type[Exception], says: str, model: Any = "m", **fields: Any) -> None:
    with pytest.raises(error, match=re.escape(says)):
        CompletionRequest(model, **fields)


@pytest.mark.parametrize(
    ("messages", "says"),
    [
        ({"role": "user", "content": "hi"}, "messages must be a list of ChatMessage, got dict"),
        ("hi", "messages must be a list of ChatMessage, got str"),
        (ChatMessage.user("hi"), "got a single ChatMessage, put it in a list"),
        ([ChatMessage.user("hi"), {"role": "user"}], "messages[1] must be a ChatMessage, got dict"),
        (["hi"], "messages[0] must be a ChatMessage, got str"),
    ],
    ids=["dict", "str", "single-message", "dict-in-list", "str-in-list"],
)
def test_messages_must_be_a_list_of_messages(messages: Any, says: str) -> None:
    fails(TypeError, says, messages=messages)


def test_a_tuple_of_messages_becomes_a_list() -> None:
    req = CompletionRequest("m", (ChatMessage.user("a"),))  # type: ignore[arg-type]
    assert req.messages == [ChatMessage.user("a")]


def test_message_content_must_be_text() -> None:
    message = ChatMessage.user("hi")
    message.content = b"raw"  # type: ignore[assignment]
    fails(TypeError, "messages[0].content must be str, got bytes", messages=[message])
    with pytest.raises(TypeError, match="content must be str, got int"):
        ChatMessage.user(42)  # type: ignore[arg-type]


def test_a_role_this_version_cannot_send() -> None:
    message = ChatMessage.from_dict({"role": "developer", "content": "x"})
    fails(ConfigurationError, "messages[0].role 'developer' is not one", messages=[message])


@pytest.mark.parametrize(
    ("value", "error", "says"),
    [
        (-0.1, ConfigurationError, "temperature must be between 0 and 2, got -0.1"),
        (2.5, ConfigurationError, "temperature must be between 0 and 2, got 2.5"),
        (float("nan"), ConfigurationError, "temperature must be between 0 and 2"),
        ("0.7", TypeError, "temperature must be a number, got str"),
        (True, TypeError, "temperature must be a number, got bool"),
    ],
)
def test_temperature(value: Any, error: type[Exception], says: str) -> None:
    fails(error, says, messages=HI, temperature=value)


def test_bounds_that_still_work() -> None:
    assert CompletionRequest("m", HI, temperature=0).temperature == 0
    assert CompletionRequest("m", HI, temperature=2).temperature == 2


@pytest.mark.parametrize(
    ("model", "error", "says"),
    [
        ("", InvalidModelError, "CompletionRequest.model is empty"),
        ("   ", InvalidModelError, "CompletionRequest.model is empty"),
        ("openai/", InvalidModelError, "has an empty model name after the provider prefix"),
        (None, TypeError, "model must be a model name (str), got NoneType"),
    ],
)
def test_model(model: Any, error: type[Exception], says: str) -> None:
    fails(error, says, model=model, messages=HI)


def test_tools_must_be_tools() -> None:
    fails(TypeError, "tools[1] is not a tool", messages=HI, tools=[weather, {"name": "x"}])
    fails(TypeError, "tools must be a list of tools, got dict", messages=HI,
          tools={"weather": weather})  # fmt: skip


@pytest.mark.parametrize(
    ("choice", "error", "says"),
    [
        ("any", ConfigurationError, "tool_choice 'any' is not auto, none, required or the name"),
        ("wether", ConfigurationError, "of one of the request's tools (weather)"),
        ("", ConfigurationError, "tool_choice '' is not"),
        (1, TypeError, "tool_choice must be"),
    ],
)
def test_tool_choice(choice: Any, error: type[Exception], says: str) -> None:
    fails(error, says, messages=HI, tools=[weather], tool_choice=choice)


def test_tool_choice_for_tools_added_later() -> None:
    """Without tools (an Agent adds its registry's), a tool name cannot be checked yet."""
    assert CompletionRequest("m", HI, tool_choice="weather").tool_choice == "weather"
    assert CompletionRequest("m", HI, tools=[weather], tool_choice="weather").tools == [weather]


@pytest.mark.parametrize(
    ("fields", "error", "says"),
    [
        ({"max_tokens": 0}, ConfigurationError, "max_tokens must be a positive number, got 0"),
        ({"max_tokens": 1.5}, TypeError, "max_tokens must be an int, got float"),
        ({"timeout": -1}, ConfigurationError, "timeout must be a positive number of seconds"),
        ({"timeout": "30"}, TypeError, "timeout must be a number, got str"),
        ({"provider_options": [("a", 1)]}, TypeError, "provider_options must be a dict"),
    ],
)
def test_other_fields(fields: dict[str, Any], error: type[Exception], says: str) -> None:
    fails(error, says, messages=HI, **fields)
