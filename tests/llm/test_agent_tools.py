"""The Agent running tools: concurrency, ordering, every error path, approval, cancellation."""

from __future__ import annotations

import os
from typing import Any

import anyio
import pytest

from pollytool.errors import ConfigurationError
from pollytool.events import ToolResultEvent
from pollytool.llm.agent import Agent, AgentResult
from pollytool.messages import ChatMessage, ChatMessageToolCall, ImagePart
from pollytool.providers.fake import FakeLLM, tool_call
from pollytool.request import CompletionRequest
from pollytool.tools import FunctionTool, ToolOutput, ToolRegistry, tool

pytestmark = pytest.mark.anyio


def _req() -> CompletionRequest:
    return CompletionRequest("fake", [ChatMessage.user("Go")])


def _sleepers(log: list[tuple[str, str]], seconds: float) -> list[FunctionTool[[], Any]]:
    def make(name: str) -> FunctionTool[[], Any]:
        async def sleeper() -> str:
            log.append(("start", name))
            await anyio.sleep(seconds)
            log.append(("end", name))
            return name

        return tool(name=name, description="Sleep a while.")(sleeper)

    return [make(name) for name in ("one", "two", "three")]


def _three_calls() -> list[Any]:
    return [tool_call(name, id=f"id_{name}") for name in ("one", "two", "three")]


async def test_calls_of_a_turn_overlap() -> None:
    log: list[tuple[str, str]] = []
    fake = FakeLLM(_three_calls(), "done")
    stream = Agent(fake, ToolRegistry(_sleepers(log, 0.3))).stream(_req())
    results = [e async for e in stream if isinstance(e, ToolResultEvent)]
    # every tool started before any finished: they ran at the same time
    assert {kind for kind, _ in log[:3]} == {"start"}
    assert {kind for kind, _ in log[3:]} == {"end"}
    assert [r.result for r in results] == ["one", "two", "three"]
    assert stream.result is not None and stream.result.message.content == "done"


async def test_max_parallel_tools_bounds_the_overlap() -> None:
    log: list[tuple[str, str]] = []
    fake = FakeLLM(_three_calls(), "done")
    await Agent(fake, ToolRegistry(_sleepers(log, 0.01)), max_parallel_tools=1).run(_req())
    assert [kind for kind, _ in log] == ["start", "end"] * 3


async def test_results_keep_call_order_whatever_order_tools_finish_in() -> None:
    finished: list[str] = []
    gates = {name: anyio.Event() for name in ("one", "two", "three")}
    waits_for = {"one": "two", "two": "three", "three": None}

    def make(name: str) -> FunctionTool[[], Any]:
        async def gated() -> str:
            before = waits_for[name]
            if before is not None:
                await gates[before].wait()
            finished.append(name)
            gates[name].set()
            return f"result of {name}"

        return tool(name=name)(gated)

    fake = FakeLLM(_three_calls(), "done")
    registry = ToolRegistry([make(n) for n in ("one", "two", "three")])
    result = await Agent(fake, registry).run(_req())
    assert finished == ["three", "two", "one"]
    tool_messages = result.new_messages[1:4]
    assert [m.tool_call_id for m in tool_messages] == ["id_one", "id_two", "id_three"]
    assert [m.content for m in tool_messages] == [
        "result of one",
        "result of two",
        "result of three",
    ]


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
async def boom() -> str:
    """Always fails."""
    raise RuntimeError("kaput sk-abcdefghijklmnopqrstuv")


@tool
async def slow() -> str:
    """Takes too long."""
    await anyio.sleep(30)
    return "late"


@tool
def soft_fail() -> ToolOutput:
    """Reports its own failure."""
    return ToolOutput("quota exhausted", is_error=True)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (tool_call("nope", id="c1"), "tool 'nope' does not exist; available tools: add, boom"),
        (tool_call("add", '{"a": 1,', id="c1"), "arguments of tool call 'add' are not valid JSON"),
        (tool_call("add", "[1, 2]", id="c1"), "must be a JSON object"),
        (tool_call("add", {"a": "one", "b": 2}, id="c1"), "a: 'one' is not of type 'integer'"),
        (tool_call("boom", id="c1"), "tool 'boom' failed: RuntimeError: kaput [REDACTED]"),
        (tool_call("slow", id="c1"), "tool 'slow' did not finish within 0.05s"),
        (tool_call("soft_fail", id="c1"), "quota exhausted"),
    ],
    ids=["unknown", "bad-json", "not-object", "schema", "exception", "timeout", "tool-output"],
)
async def test_each_failure_becomes_an_error_message_and_the_loop_goes_on(
    call: Any, expected: str
) -> None:
    fake = FakeLLM([call], "recovered")
    registry = ToolRegistry([add, boom, slow, soft_fail])
    result = await Agent(fake, registry, tool_timeout=0.05).run(_req())
    tool_message = result.new_messages[1]
    assert tool_message.is_error is True
    assert tool_message.tool_call_id == "c1"
    assert expected in tool_message.content
    assert result.message.content == "recovered"
    assert fake.requests[1].messages[-1] is tool_message


async def test_a_failing_call_does_not_disturb_its_siblings() -> None:
    fake = FakeLLM([tool_call("boom", id="c1"), tool_call("add", {"a": 1, "b": 2}, id="c2")], "ok")
    result = await Agent(fake, ToolRegistry([add, boom])).run(_req())
    failed, succeeded = result.new_messages[1:3]
    assert failed.is_error and "kaput" in failed.content
    assert (succeeded.is_error, succeeded.content) == (False, "3")


async def test_tool_output_images_travel_on_the_tool_message() -> None:
    @tool
    def snapshot() -> ToolOutput:
        return ToolOutput("a chart", images=[(b"\x89PNG", "image/png")])

    fake = FakeLLM([tool_call("snapshot")], "nice")
    result = await Agent(fake, ToolRegistry([snapshot])).run(_req())
    message = result.new_messages[1]
    assert message.content == "a chart"
    assert message.parts == [ImagePart(b"\x89PNG", "image/png")]


async def test_a_hand_written_tool_returning_data_gets_json_text() -> None:
    class Lookup:
        def __init__(self) -> None:
            self.name = "lookup"
            self.schema = {"title": "lookup", "description": "", "type": "object"}

        async def execute(self, args: dict[str, Any]) -> Any:
            return {"found": True}

    fake = FakeLLM([tool_call("lookup")], "ok")
    result = await Agent(fake, ToolRegistry([Lookup()])).run(_req())
    assert result.new_messages[1].content == '{"found": true}'


# --------------------------------------------------------------------------- approval


def _two_adds() -> list[Any]:
    return [
        tool_call("add", {"a": 1, "b": 1}, id="c1"),
        tool_call("add", {"a": 2, "b": 2}, id="c2"),
    ]


async def test_sync_approval_returning_ids() -> None:
    seen: list[list[ChatMessageToolCall]] = []

    def approve(calls: list[ChatMessageToolCall]) -> set[str]:
        seen.append(calls)
        return {"c2"}

    fake = FakeLLM(_two_adds(), "ok")
    result = await Agent(fake, ToolRegistry([add]), approve=approve).run(_req())
    assert [[c.id for c in calls] for calls in seen] == [["c1", "c2"]]
    denied, allowed = result.new_messages[1:3]
    assert denied.is_error and "denied" in denied.content
    assert (allowed.is_error, allowed.content) == (False, "4")


async def test_async_approval_returning_calls() -> None:
    async def approve(calls: list[ChatMessageToolCall]) -> list[ChatMessageToolCall]:
        await anyio.lowlevel.checkpoint()
        return [c for c in calls if c.id == "c1"]

    fake = FakeLLM(_two_adds(), "ok")
    result = await Agent(fake, ToolRegistry([add]), approve=approve).run(_req())
    allowed, denied = result.new_messages[1:3]
    assert (allowed.is_error, allowed.content) == (False, "2")
    assert denied.is_error and "denied" in denied.content


async def test_an_approval_answer_of_the_wrong_kind_is_an_error() -> None:
    fake = FakeLLM(_two_adds(), "ok")
    agent = Agent(fake, ToolRegistry([add]), approve=lambda calls: [True, False])  # type: ignore[list-item]
    with pytest.raises(ConfigurationError, match="approve must return"):
        await agent.run(_req())


# --------------------------------------------------------------------------- cancellation


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_cancelling_mid_tool_kills_its_subprocess() -> None:
    started = anyio.Event()
    pids: list[int] = []
    finished: list[str] = []

    @tool
    async def long_job() -> str:
        async with await anyio.open_process(["sleep", "30"]) as process:
            pids.append(process.pid)
            started.set()
            await process.wait()
        finished.append("job")
        return "done"

    fake = FakeLLM([tool_call("long_job")], "never reached")
    outcome: list[AgentResult] = []

    async def run() -> None:
        outcome.append(await Agent(fake, ToolRegistry([long_job])).run(_req()))

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        await started.wait()
        assert not _process_gone(pids[0])
        tg.cancel_scope.cancel()
    assert _process_gone(pids[0])
    assert finished == [] and outcome == []
    assert len(fake.requests) == 1


async def test_cancelling_a_stream_consumer_cancels_every_running_tool() -> None:
    running: list[str] = []
    cancelled: list[str] = []
    both_running = anyio.Event()

    @tool
    async def wait_forever() -> str:
        running.append("tool")
        if len(running) == 2:
            both_running.set()
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.append("tool")
        return "unreachable"

    fake = FakeLLM([tool_call("wait_forever"), tool_call("wait_forever")], "never")
    kinds: list[str] = []
    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as tg:

            async def cancel_when_running() -> None:
                await both_running.wait()
                scope.cancel()

            tg.start_soon(cancel_when_running)
            async with Agent(fake, ToolRegistry([wait_forever])).stream(_req()) as stream:
                async for event in stream:
                    kinds.append(event.type)
    assert scope.cancelled_caught
    assert cancelled == ["tool", "tool"]
    assert "tool_result" not in kinds
    assert stream.result is None
