"""CompletionBuilder: fluent request building and execution."""

from __future__ import annotations

import dataclasses

import pytest

from pollytool.errors import MaxIterationsError, SchemaError
from pollytool.llm.builder import CompletionBuilder
from pollytool.messages import ChatMessage, ImageURLPart, MessageRole
from pollytool.providers.fake import FakeLLM, text, tool_call
from pollytool.schema import Schema
from pollytool.thinking import Thinking, ThinkingLevel
from pollytool.tools import ToolRegistry, tool

pytestmark = pytest.mark.anyio


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@dataclasses.dataclass
class UserInfo:
    name: str
    age: int


class Catalog:
    def runtime_system_prompt(self, base: str) -> str:
        return f"{base} + skills"


def test_defaults_leave_provider_settings_unset() -> None:
    req = CompletionBuilder("openai/gpt-5.4").with_user_message("Hi").build()
    assert req.model == "openai/gpt-5.4"
    assert req.messages == [ChatMessage.user("Hi")]
    assert (req.temperature, req.max_tokens, req.timeout, req.response_schema) == (None,) * 4
    assert list(req.tools) == []


def test_system_prompt_is_set_once_and_replaced() -> None:
    builder = (
        CompletionBuilder("m")
        .with_user_message("Q")
        .with_system_prompt("first")
        .with_system_prompt("second")
    )
    assert builder.build().messages == [ChatMessage.system("second"), ChatMessage.user("Q")]


def test_messages_keep_their_order_and_parts() -> None:
    image = ImageURLPart("https://example.com/cat.png")
    req = (
        CompletionBuilder("m")
        .with_user_message("What is this?", image)
        .with_assistant_message("A cat.")
        .with_message(ChatMessage.user("Sure?"))
        .build()
    )
    assert [m.role for m in req.messages] == ["user", "assistant", "user"]
    assert req.messages[0].parts == [image]


def test_history_goes_before_added_messages_and_after_the_system_prompt() -> None:
    history = [ChatMessage.user("old question"), ChatMessage.assistant("old answer")]
    req = (
        CompletionBuilder("m")
        .with_system_prompt("sys")
        .with_user_message("new question")
        .with_history(history)
        .build()
    )
    assert [m.content for m in req.messages] == [
        "sys",
        "old question",
        "old answer",
        "new question",
    ]
    assert len(history) == 2


def test_a_system_message_in_history_never_duplicates_the_prompt() -> None:
    history = [ChatMessage.system("from history"), ChatMessage.user("old")]
    adopted = CompletionBuilder("m").with_history(history).build().messages
    assert [(m.role, m.content) for m in adopted] == [
        (MessageRole.SYSTEM, "from history"), (MessageRole.USER, "old"),
    ]  # fmt: skip
    explicit_first = CompletionBuilder("m").with_system_prompt("mine").with_history(history)
    explicit_last = CompletionBuilder("m").with_history(history).with_system_prompt("mine")
    for builder in (explicit_first, explicit_last):
        roles = [(m.role, m.content) for m in builder.build().messages]
        assert roles == [(MessageRole.SYSTEM, "mine"), (MessageRole.USER, "old")]
    assert history[0] == ChatMessage.system("from history")


def test_settings_are_applied() -> None:
    catalog = Catalog()
    req = (
        CompletionBuilder("m")
        .with_temperature(0.8)
        .with_max_tokens(500)
        .with_timeout(30)
        .with_tools(ToolRegistry([add]))
        .with_schema(UserInfo)
        .with_skills(catalog)
        .with_thinking("high")
        .with_provider_options(api="chat")
        .build()
    )
    assert (req.temperature, req.max_tokens, req.timeout) == (0.8, 500, 30)
    assert list(req.tools) == [add]
    assert isinstance(req.response_schema, Schema)
    assert req.response_schema.python_type is UserInfo
    assert req.skills is catalog
    assert req.thinking == Thinking.level(ThinkingLevel.HIGH)
    assert req.provider_options == {"api": "chat"}
    assert CompletionBuilder("m").with_thinking(Thinking.off()).build().thinking == Thinking.off()


def test_bad_values_fail_clearly() -> None:
    with pytest.raises(SchemaError):
        CompletionBuilder("m").with_schema(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_tokens"):
        CompletionBuilder("m").with_max_tokens(0).build()


def test_build_returns_an_independent_copy() -> None:
    builder = CompletionBuilder("m").with_user_message("one").with_provider_options(a=1)
    first = builder.build()
    first.messages.append(ChatMessage.user("mutated"))
    first.provider_options["b"] = 2
    builder.with_user_message("two")
    second = builder.build()
    assert [m.content for m in second.messages] == ["one", "two"]
    assert second.provider_options == {"a": 1}
    assert [m.content for m in first.messages] == ["one", "mutated"]


async def test_execute_returns_the_text() -> None:
    fake = FakeLLM("Python is a language.")
    builder = CompletionBuilder("m").with_system_prompt("Be brief").with_user_message("Python?")
    assert await builder.execute(fake) == "Python is a language."
    assert fake.requests[0].messages[0] == ChatMessage.system("Be brief")


async def test_execute_streaming_calls_back_per_chunk() -> None:
    chunks: list[str] = []
    fake = FakeLLM([text("an old pond", chunk_size=3)])
    whole = (
        await CompletionBuilder("m")
        .with_user_message("Haiku")
        .execute_streaming(fake, chunks.append)
    )
    assert chunks == ["an ", "old", " po", "nd"]
    assert whole == "an old pond"


async def test_execute_with_tools_runs_the_agent_loop() -> None:
    fake = FakeLLM([tool_call("add", {"a": 2, "b": 2}, id="c1")], "It is 4.")
    answer = (
        await CompletionBuilder("m")
        .with_user_message("2+2?")
        .execute_with_tools(fake, ToolRegistry([add]))
    )
    assert answer.content == "It is 4."
    assert list(fake.requests[0].tools) == [add]  # the registry's tools, as none were set
    second_turn = fake.requests[1].messages
    assert [m.role for m in second_turn] == ["user", "assistant", "tool"]  # one assistant turn
    assert second_turn[2].content == "4"


async def test_execute_with_tools_passes_agent_options() -> None:
    fake = FakeLLM(*[[tool_call("add", {"a": 1, "b": 1})] for _ in range(3)])
    builder = CompletionBuilder("m").with_user_message("loop")
    with pytest.raises(MaxIterationsError):
        await builder.execute_with_tools(fake, ToolRegistry([add]), max_iterations=2)
    assert len(fake.requests) == 2
