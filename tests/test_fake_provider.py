"""The scripted FakeLLM, and through it the event-stream contract every client keeps."""

from __future__ import annotations

import anyio
import pytest

from pollytool import ChatMessage, CompletionRequest, EventType, StopReason
from pollytool.errors import APITimeoutError, RateLimitError, ResponseError
from pollytool.events import (
    CompleteEvent,
    ContentEvent,
    ErrorEvent,
    ReasoningEvent,
    StreamEvent,
    ToolCallDeltaEvent,
    ToolCallEvent,
    ToolCallStartEvent,
    UsageEvent,
)
from pollytool.messages import Usage
from pollytool.providers.fake import (
    FakeLLM,
    delay,
    fail,
    metadata,
    reasoning,
    stop,
    text,
    tool_call,
    usage,
)

pytestmark = pytest.mark.anyio


def _req(**kw: object) -> CompletionRequest:
    return CompletionRequest("m", [ChatMessage.user("hi")], **kw)  # type: ignore[arg-type]


async def _events(fake: FakeLLM, **kw: object) -> list[StreamEvent]:
    return [e async for e in fake.stream(_req(**kw))]


async def test_scripted_turn_produces_every_event_kind_in_order() -> None:
    fake = FakeLLM(
        [
            reasoning("Think.", chunk_size=3),
            text("Hello", chunk_size=2),
            tool_call("get_weather", {"city": "Paris"}, id="call_a", chunk_size=5),
            tool_call("get_time", id="call_b"),
            usage(12, 34, reasoning_tokens=5),
            metadata(signature="sig"),
        ]
    )
    events = await _events(fake)
    kinds = [e.type for e in events]
    assert kinds == [
        "reasoning", "reasoning", "content", "content", "content",
        "tool_call_start", "tool_call_delta", "tool_call_delta", "tool_call_delta",
        "tool_call_delta", "tool_call", "tool_call_start", "tool_call_delta", "tool_call",
        "usage", "complete",
    ]  # fmt: skip
    assert "".join(e.content for e in events if isinstance(e, ReasoningEvent)) == "Think."
    starts = [e for e in events if isinstance(e, ToolCallStartEvent)]
    assert [(s.index, s.id, s.name) for s in starts] == [(0, "call_a", "get_weather"),
                                                         (1, "call_b", "get_time")]  # fmt: skip
    deltas = "".join(e.arguments_delta for e in events
                     if isinstance(e, ToolCallDeltaEvent) and e.index == 0)  # fmt: skip
    assert deltas == '{"city": "Paris"}'
    calls = [e for e in events if isinstance(e, ToolCallEvent)]
    assert calls[0].tool_call.args == {"city": "Paris"}
    assert calls[1].tool_call.arguments == "{}"
    final = events[-1]
    assert isinstance(final, CompleteEvent)
    message = final.message
    assert message.content == "Hello"
    assert message.reasoning == "Think."
    assert [c.id for c in message.tool_calls] == ["call_a", "call_b"]
    assert message.stop_reason is StopReason.TOOL_USE
    assert message.usage == Usage(12, 34, reasoning_tokens=5)
    assert message.provider_metadata == {"fake": {"signature": "sig"}}


async def test_turns_are_played_in_order_and_requests_recorded() -> None:
    fake = FakeLLM("first", lambda req: f"second saw {len(req.messages)}")
    assert await fake.stream(_req()).text() == "first"
    assert await fake.stream(_req()).text() == "second saw 1"
    assert len(fake.requests) == 2
    events = await _events(fake)
    assert len(events) == 1
    assert isinstance(events[0], ErrorEvent)
    assert isinstance(events[0].error, ResponseError)


async def test_failure_after_content_ends_with_one_error_and_no_complete() -> None:
    fake = FakeLLM([text("partial"), fail(RateLimitError("slow down", retry_after=2))])
    events = await _events(fake)
    assert [e.type for e in events] == [EventType.CONTENT, EventType.ERROR]
    error = events[-1].error  # type: ignore[union-attr]
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 2


async def test_collect_raises_the_typed_error() -> None:
    with pytest.raises(RateLimitError):
        await FakeLLM([fail(RateLimitError("x"))]).stream(_req()).collect()


async def test_stop_reason_and_raw_reason() -> None:
    events = await _events(FakeLLM([text("cut"), stop("max_tokens", "length")]))
    message = events[-1].message  # type: ignore[union-attr]
    assert message.stop_reason is StopReason.MAX_TOKENS
    assert message.raw_stop_reason == "length"


async def test_request_timeout_covers_the_whole_call() -> None:
    events = await _events(FakeLLM([text("a"), delay(5), text("b")]), timeout=0.05)
    assert [e.type for e in events] == ["content", "error"]
    assert isinstance(events[-1].error, APITimeoutError)  # type: ignore[union-attr]
    assert "0.05s timeout" in str(events[-1].error)  # type: ignore[union-attr]


async def test_breaking_out_early_closes_the_stream() -> None:
    closed = anyio.Event()

    class Tracking(FakeLLM):
        async def _open(self, vendor, call, body):  # type: ignore[no-untyped-def]
            steps = await super()._open(vendor, call, body)

            async def tracked():  # type: ignore[no-untyped-def]
                try:
                    async for step in steps:
                        yield step
                finally:
                    closed.set()

            return tracked()

    fake = Tracking([text("a"), text("b"), delay(10), text("c")])
    async with fake.stream(_req()) as events:
        async for event in events:
            assert isinstance(event, ContentEvent)
            break
    assert closed.is_set()


async def test_cancellation_propagates() -> None:
    fake = FakeLLM([text("a"), delay(10)])
    with anyio.move_on_after(0.05) as scope:
        async for _ in fake.stream(_req()):
            pass
    assert scope.cancelled_caught


async def test_seed_alias_and_usage_event() -> None:
    events = [e async for e in FakeLLM([usage(1, 2)]).chat_completion_stream(_req(), None)]
    assert isinstance(events[0], UsageEvent)
    assert events[0].usage.total_tokens == 3


async def test_match_statement_style() -> None:
    seen = []
    async for event in FakeLLM([text("x")]).stream(_req()):
        match event:
            case ContentEvent(content=chunk):
                seen.append(chunk)
            case CompleteEvent(message=message):
                seen.append(message.content)
    assert seen == ["x", "x"]


async def test_a_per_request_key_never_reaches_the_error() -> None:
    fake = FakeLLM([fail(ResponseError("upstream said: bad key pw-0123456789 rejected"))])
    events = await _events(fake, api_key="pw-0123456789")
    assert "pw-0123456789" not in str(events[-1].error)  # type: ignore[union-attr]
    assert "[REDACTED]" in str(events[-1].error)  # type: ignore[union-attr]
