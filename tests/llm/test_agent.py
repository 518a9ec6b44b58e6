"""The Agent's loop: turns, messages, stop reasons, usage, iterations and its event stream."""

from __future__ import annotations

import pytest

from pollytool.errors import (
    ConfigurationError,
    ContentFilterError,
    MaxIterationsError,
    RateLimitError,
    ResponseError,
)
from pollytool.events import (
    CompleteEvent,
    ContentEvent,
    ErrorEvent,
    StreamEvent,
    ToolCallEvent,
    ToolResultEvent,
)
from pollytool.llm.agent import Agent, AgentResult
from pollytool.messages import ChatMessage, MessageRole, StopReason, Usage
from pollytool.providers.fake import FakeLLM, fail, stop, text, tool_call, usage
from pollytool.request import CompletionRequest
from pollytool.tools import ToolRegistry, tool

pytestmark = pytest.mark.anyio


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
async def shout(text: str) -> str:
    """Upper-case a text."""
    return text.upper()


def _req(prompt: str = "Go", **fields: object) -> CompletionRequest:
    return CompletionRequest("fake", [ChatMessage.user(prompt)], **fields)  # type: ignore[arg-type]


async def test_a_reply_without_tool_calls_ends_the_loop() -> None:
    fake = FakeLLM([text("Hello"), usage(3, 4)])
    result = await Agent(fake, ToolRegistry([add])).run(_req())
    assert isinstance(result, AgentResult)
    assert result.message.content == "Hello"
    assert result.text == "Hello"
    assert result.new_messages == [result.message]
    assert result.iterations == 1
    assert result.usage == Usage(3, 4)
    assert result.truncated is False


async def test_registry_tools_are_sent_and_calls_answered_in_order() -> None:
    fake = FakeLLM(
        [
            tool_call("add", {"a": 2, "b": 3}, id="c1"),
            tool_call("shout", {"text": "hi"}, id="c2"),
            usage(10, 5),
        ],
        [text("5 and HI"), usage(20, 7)],
    )
    registry = ToolRegistry([add, shout])
    history = [ChatMessage.system("Be brief."), ChatMessage.user("Go")]
    result = await Agent(fake, registry).run(CompletionRequest("fake", history))

    assert list(fake.requests[0].tools) == [add, shout]
    assistant, first, second, answer = result.new_messages
    assert assistant.role == MessageRole.ASSISTANT
    assert assistant.content == ""  # never None, even when the model only called tools
    assert [c.id for c in assistant.tool_calls] == ["c1", "c2"]
    assert (first.role, first.tool_call_id, first.tool_name, first.content) == (
        MessageRole.TOOL, "c1", "add", "5",
    )  # fmt: skip
    assert (second.tool_call_id, second.tool_name, second.content) == ("c2", "shout", "HI")
    assert not first.is_error and not second.is_error
    assert answer is result.message and answer.content == "5 and HI"
    assert fake.requests[1].messages == [*history, assistant, first, second]
    assert history == [ChatMessage.system("Be brief."), ChatMessage.user("Go")]  # unchanged
    assert result.iterations == 2
    assert result.usage == Usage(30, 12)


async def test_request_tools_replace_the_registry_for_that_run() -> None:
    fake = FakeLLM([tool_call("add", {"a": 1, "b": 1}, id="c1")], "done")
    result = await Agent(fake, ToolRegistry([add])).run(_req(tools=[shout]))
    assert list(fake.requests[0].tools) == [shout]
    tool_message = result.new_messages[1]
    assert tool_message.is_error
    assert "tool 'add' does not exist; available tools: shout" in tool_message.content


async def test_tools_registered_during_a_run_are_offered_next_turn() -> None:
    registry = ToolRegistry()

    @tool
    def enable() -> str:
        """Enable the add tool."""
        registry.register(add)
        return "enabled"

    registry.register(enable)
    fake = FakeLLM([tool_call("enable", id="c1")], [tool_call("add", {"a": 1, "b": 2})], "3")
    result = await Agent(fake, registry).run(_req())
    assert [t.name for t in fake.requests[0].tools] == ["enable"]
    assert [t.name for t in fake.requests[1].tools] == ["enable", "add"]
    assert result.new_messages[3].content == "3"


async def test_a_forced_tool_choice_applies_to_the_first_turn_only() -> None:
    fake = FakeLLM([tool_call("add", {"a": 1, "b": 2})], "3")
    await Agent(fake, ToolRegistry([add])).run(_req(tool_choice="required"))
    assert [r.tool_choice for r in fake.requests] == ["required", None]


async def test_max_iterations_raises_with_the_partial_result() -> None:
    fake = FakeLLM(
        *[[tool_call("add", {"a": i, "b": 1}, id=f"c{i}"), usage(1, 1)] for i in range(5)]
    )
    with pytest.raises(MaxIterationsError, match="max_iterations=2") as info:
        await Agent(fake, ToolRegistry([add]), max_iterations=2).run(_req())
    partial = info.value.result
    assert isinstance(partial, AgentResult)
    assert partial.iterations == 2
    assert [m.role for m in partial.new_messages] == ["assistant", "tool", "assistant", "tool"]
    assert partial.new_messages[-1].content == "2"  # the last turn's tools still ran
    assert partial.message is partial.new_messages[2]
    assert partial.usage == Usage(2, 2)
    assert len(fake.requests) == 2


async def test_max_tokens_marks_the_result_truncated_and_runs_no_tools() -> None:
    ran: list[int] = []

    @tool
    def record(n: int) -> str:
        ran.append(n)
        return "ok"

    fake = FakeLLM([text("Partial"), tool_call("record", {"n": 1}), stop("max_tokens")])
    result = await Agent(fake, ToolRegistry([record])).run(_req())
    assert result.truncated is True
    assert result.message.stop_reason == StopReason.MAX_TOKENS
    assert result.iterations == 1
    assert ran == []


async def test_content_filter_raises() -> None:
    fake = FakeLLM([text("I can't"), stop("content_filter")])
    with pytest.raises(ContentFilterError):
        await Agent(fake).run(_req())


async def test_an_error_stop_raises_a_response_error() -> None:
    fake = FakeLLM([stop("error")])
    with pytest.raises(ResponseError, match="malformed"):
        await Agent(fake).run(_req())


async def test_provider_errors_raise_from_run() -> None:
    fake = FakeLLM([tool_call("add", {"a": 1, "b": 2})], [fail(RateLimitError("slow down"))])
    with pytest.raises(RateLimitError, match="slow down"):
        await Agent(fake, ToolRegistry([add])).run(_req())


async def test_stream_yields_model_events_then_tool_results_and_sets_result() -> None:
    fake = FakeLLM(
        [tool_call("add", {"a": 2, "b": 3}, id="c1"), tool_call("shout", {"text": "x"}, id="c2")],
        [text("Done", chunk_size=2)],
    )
    events: list[StreamEvent] = []
    async with Agent(fake, ToolRegistry([add, shout])).stream(_req()) as stream:
        async for event in stream:
            events.append(event)
    kinds = [str(e.type) for e in events]
    first_complete = kinds.index("complete")
    assert kinds[first_complete + 1 : first_complete + 3] == ["tool_result", "tool_result"]
    results = [e for e in events if isinstance(e, ToolResultEvent)]
    assert [(r.tool_call.id, r.result, r.is_error) for r in results] == [
        ("c1", "5", False),
        ("c2", "X", False),
    ]
    assert all(r.duration >= 0 for r in results)
    assert [e.content for e in events if isinstance(e, ContentEvent)] == ["Do", "ne"]
    assert kinds.count("complete") == 2 and kinds[-1] == "complete"
    assert stream.result is not None
    assert stream.result.message.content == "Done"
    assert stream.result.iterations == 2


async def test_stream_ends_with_the_provider_error_event() -> None:
    error = RateLimitError("slow down")
    fake = FakeLLM([text("Hi"), fail(error)])
    stream = Agent(fake).stream(_req())
    events = [e async for e in stream]
    assert isinstance(events[-1], ErrorEvent)
    assert events[-1].error is error
    assert not any(isinstance(e, CompleteEvent) for e in events)
    assert stream.result is None


async def test_stream_reports_max_iterations_as_a_final_error_event() -> None:
    fake = FakeLLM([tool_call("add", {"a": 1, "b": 1})], [tool_call("add", {"a": 1, "b": 1})])
    stream = Agent(fake, ToolRegistry([add]), max_iterations=1).stream(_req())
    events = [e async for e in stream]
    assert isinstance(events[-1], ErrorEvent)
    assert isinstance(events[-1].error, MaxIterationsError)
    assert events[-1].error.result is stream.result
    assert stream.result is not None and stream.result.iterations == 1


async def test_stream_collect_and_text_return_the_final_answer() -> None:
    agent = Agent(FakeLLM([tool_call("add", {"a": 1, "b": 1})], "two", [tool_call("add")], "2"),
                  ToolRegistry([add]))  # fmt: skip
    assert (await agent.stream(_req()).collect()).content == "two"
    assert await agent.stream(_req()).text() == "2"


async def test_leaving_the_stream_early_runs_no_tools_and_closes_the_call() -> None:
    ran: list[str] = []

    @tool
    def record() -> str:
        ran.append("ran")
        return "ok"

    fake = FakeLLM([tool_call("record"), text("after the call")], "unused")
    async with Agent(fake, ToolRegistry([record])).stream(_req()) as stream:
        async for event in stream:
            if isinstance(event, ToolCallEvent):
                break
    assert ran == []
    assert len(fake.requests) == 1
    assert stream.result is None
    assert [e async for e in stream] == []  # closed: nothing more comes


@pytest.mark.parametrize(
    "options",
    [{"max_iterations": 0}, {"tool_timeout": 0}, {"max_parallel_tools": 0}],
)
def test_invalid_settings_are_configuration_errors(options: dict[str, int]) -> None:
    with pytest.raises(ConfigurationError, match=next(iter(options))):
        Agent(FakeLLM(), **options)  # type: ignore[arg-type]
