"""The Agent against hostile or careless input: duplicate tool-call ids cannot slip a denied
call through approval, approvers that answer wrongly get a clear error, and a tool returning
something other than text fails (or is converted) on its own, never the whole run."""

from __future__ import annotations

import re
from typing import Any

import pytest

from pollytool.errors import ConfigurationError
from pollytool.events import (
    AgentEvent,
    CompleteEvent,
    ErrorEvent,
    ToolCallEvent,
    ToolCallStartEvent,
    ToolResultEvent,
)
from pollytool.llm.agent import Agent
from pollytool.messages import ChatMessage, ChatMessageToolCall, ImagePart, MessageRole
from pollytool.providers.fake import FakeLLM, tool_call
from pollytool.request import CompletionRequest
from pollytool.tools import ToolOutput, ToolRegistry, tool

pytestmark = pytest.mark.anyio

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def _req() -> CompletionRequest:
    return CompletionRequest("fake", [ChatMessage.user("Go")])


class _Recorder:
    """Two tools, ``read`` and ``delete``, that record every run."""

    def __init__(self) -> None:
        self.ran: list[str] = []

        @tool
        def read(path: str) -> str:
            """Read a file."""
            self.ran.append(f"read {path}")
            return "contents"

        @tool
        def delete(path: str) -> str:
            """Delete a file."""
            self.ran.append(f"delete {path}")
            return "deleted"

        self.registry = ToolRegistry([read, delete])


def _same_id_twice() -> list[Any]:
    return [
        tool_call("delete", {"path": "/"}, id="dup"),
        tool_call("read", {"path": "notes"}, id="dup"),
    ]


# --------------------------------------------------------------------------- duplicate ids


@pytest.mark.parametrize("answer", ["calls", "ids"])
async def test_a_denied_call_sharing_an_id_with_an_approved_one_never_runs(answer: str) -> None:
    tools = _Recorder()
    seen: list[list[ChatMessageToolCall]] = []

    def approve(calls: list[ChatMessageToolCall]) -> list[Any]:
        seen.append(calls)
        reads = [c for c in calls if c.name == "read"]
        return reads if answer == "calls" else [c.id for c in reads]

    fake = FakeLLM(_same_id_twice(), "done")
    result = await Agent(fake, tools.registry, approve=approve).run(_req())

    assert tools.ran == ["read notes"]
    [calls] = seen
    assert len({c.id for c in calls}) == 2  # the approver already sees distinct ids
    assistant, denied, allowed = result.new_messages[:3]
    assert [c.id for c in assistant.tool_calls] == [c.id for c in calls]
    assert (denied.tool_call_id, denied.is_error) == (calls[0].id, True)
    assert "denied" in denied.content
    assert (allowed.tool_call_id, allowed.content) == (calls[1].id, "contents")


async def test_duplicate_ids_are_made_unique_in_every_event_of_the_turn() -> None:
    tools = _Recorder()
    fake = FakeLLM(
        [*_same_id_twice(), tool_call("read", {"path": "b"}, id="dup_1"),
         tool_call("read", {"path": "c"}, id="")],
        "done",
    )  # fmt: skip
    events: list[AgentEvent] = [e async for e in Agent(fake, tools.registry).stream(_req())]

    starts = [e.id for e in events if isinstance(e, ToolCallStartEvent)]
    finished = [e.tool_call.id for e in events if isinstance(e, ToolCallEvent)]
    complete = next(e for e in events if isinstance(e, CompleteEvent))
    results = [e.tool_call.id for e in events if isinstance(e, ToolResultEvent)]
    assert len(set(starts)) == 4 and all(starts)
    assert starts[0] == "dup"  # the first keeps its id
    assert finished == starts == [c.id for c in complete.message.tool_calls] == results
    # the next request answers each call exactly once, under the ids the model was shown
    sent = fake.requests[1].messages
    answered = [m.tool_call_id for m in sent if m.role == MessageRole.TOOL]
    assert answered == starts
    assert [c.id for c in sent[1].tool_calls] == starts


# --------------------------------------------------------------------------- approver answers


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (None, "approve returned None"),
        ("dup", "approve returned a str"),
        (True, "approve returned a bool"),
        (["no-such-id"], "returned 'no-such-id', which is not the id of one of this turn's calls"),
    ],
    ids=["none", "bare-string", "bool", "unknown-id"],
)
async def test_an_approver_answering_wrongly_gets_a_clear_error(answer: Any, expected: str) -> None:
    tools = _Recorder()
    fake = FakeLLM(_same_id_twice(), "done")
    agent = Agent(fake, tools.registry, approve=lambda calls: answer)
    stream = agent.stream(_req())
    events = [e async for e in stream]
    assert isinstance(events[-1], ErrorEvent)
    assert isinstance(events[-1].error, ConfigurationError)
    assert expected in str(events[-1].error)
    assert tools.ran == []
    agent = Agent(FakeLLM(_same_id_twice()), tools.registry, approve=lambda c: answer)
    with pytest.raises(ConfigurationError, match=re.escape(expected)):
        await agent.run(_req())


# --------------------------------------------------------------------------- tool outputs


class _Returns:
    """A hand-written Tool-protocol tool returning whatever it was given."""

    def __init__(self, value: Any) -> None:
        self.value = value
        self.name = "produce"
        self.schema = {"title": "produce", "description": "Produce a value.", "type": "object"}

    async def execute(self, args: dict[str, Any]) -> Any:
        return self.value


@tool
def fine() -> str:
    """Works."""
    return "fine"


async def _run_with(value: Any) -> list[ChatMessage]:
    fake = FakeLLM([tool_call("produce", id="p"), tool_call("fine", id="f")], "done")
    result = await Agent(fake, ToolRegistry([_Returns(value), fine])).run(_req())
    assert result.message.content == "done"
    produced, sibling = result.new_messages[1:3]
    assert (sibling.content, sibling.is_error) == ("fine", False)
    return [produced]


async def test_image_bytes_from_a_tool_become_an_image() -> None:
    [message] = await _run_with(PNG)
    assert message.is_error is False
    assert message.parts == [ImagePart(PNG, "image/png")]
    assert "image/png" in message.content


async def test_text_bytes_from_a_tool_become_text() -> None:
    [message] = await _run_with("naïve".encode())
    assert (message.content, message.is_error) == ("naïve", False)


async def test_other_binary_bytes_fail_that_call_only() -> None:
    [message] = await _run_with(b"\xff\xfe\x00\x01binary")
    assert message.is_error is True
    assert "returned 10 bytes of binary data" in message.content


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (bytearray(b"abc"), "abc"),
        ({"n": 1, "raw": b"\x00\x01"}, '"n"'),
        (object(), "object object at"),
        (ToolOutput(b"hi"), "hi"),  # type: ignore[arg-type]
    ],
    ids=["bytearray", "dict-with-bytes", "opaque", "tooloutput-bytes-text"],
)
async def test_non_text_values_never_kill_the_run(value: Any, expected: str) -> None:
    [message] = await _run_with(value)
    assert expected in message.content
