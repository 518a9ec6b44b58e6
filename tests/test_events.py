"""The event classes: the ``type`` discriminator, and ``to_dict()`` for services that forward
events (SSE, websockets) as JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pollytool.errors import (
    AuthenticationError,
    PollyError,
    RateLimitError,
    SchemaValidationError,
    ToolTimeoutError,
)
from pollytool.events import (
    AgentEvent,
    CompleteEvent,
    ContentEvent,
    ErrorEvent,
    EventType,
    ReasoningEvent,
    StreamEvent,
    ToolCallDeltaEvent,
    ToolCallEvent,
    ToolCallStartEvent,
    ToolResultEvent,
    UsageEvent,
)
from pollytool.messages import ChatMessage, ChatMessageToolCall, ImagePart, StopReason, Usage

CALL = ChatMessageToolCall("call_1", "get_weather", '{"city": "Paris"}')
SECRET = "sk-proj-abcdefghijklmnopqrstuvwxyz0123"


def _every_event() -> list[AgentEvent]:
    message = ChatMessage.assistant("It is sunny.", [CALL])
    message.parts.append(ImagePart(b"\x89PNG\r\n\x1a\n\x00\xff", "image/png"))
    message.stop_reason = StopReason.END_TURN
    message.usage = Usage(3, 4)
    return [
        ContentEvent("Hello"),
        ReasoningEvent("Thinking"),
        ToolCallStartEvent(0, "call_1", "get_weather"),
        ToolCallDeltaEvent(0, '{"city"'),
        ToolCallEvent(CALL, 0),
        UsageEvent(Usage(3, 4, reasoning_tokens=2)),
        CompleteEvent(message),
        ErrorEvent(
            RateLimitError("slow down", provider="openai", status_code=429, retry_after=2.5)
        ),
        ToolResultEvent(CALL, "18 degrees", is_error=False, duration=0.25),
    ]


def test_each_kind_has_its_own_type() -> None:
    events = _every_event()
    assert [e.type for e in events] == list(EventType)
    assert all(isinstance(e.type, EventType) for e in events)


def test_type_lives_on_the_class_not_on_each_event() -> None:
    # construction sets only the event's own fields (events are built thousands of times a
    # second); the discriminator is a class attribute.
    for event in _every_event():
        assert "type" not in vars(event)
        assert type(event).type == event.type  # type: ignore[misc]


def test_match_and_equality_still_work() -> None:
    match ContentEvent("hi"):
        case ContentEvent(content=text):
            assert text == "hi"
        case _:
            pytest.fail("no match")
    assert ContentEvent("a") == ContentEvent("a")
    assert ContentEvent("a") != ReasoningEvent("a")
    assert repr(ContentEvent("a")) == "ContentEvent(content='a')"


@pytest.mark.parametrize("event", _every_event(), ids=lambda e: e.type.value)
def test_to_dict_is_json_safe(event: AgentEvent) -> None:
    data = event.to_dict()
    assert data["type"] == event.type.value
    assert json.loads(json.dumps(data)) == data


def test_to_dict_of_each_kind() -> None:
    content, reasoning, start, delta, call, usage, complete, error, result = (
        e.to_dict() for e in _every_event()
    )
    assert content == {"type": "content", "content": "Hello"}
    assert reasoning == {"type": "reasoning", "content": "Thinking"}
    assert start == {"type": "tool_call_start", "index": 0, "id": "call_1", "name": "get_weather"}
    assert delta == {"type": "tool_call_delta", "index": 0, "arguments_delta": '{"city"'}
    assert call == {"type": "tool_call", "index": 0, "tool_call": CALL.to_dict()}
    assert usage["usage"]["reasoning_tokens"] == 2
    assert ChatMessage.from_dict(complete["message"]) == _every_event()[6].message  # type: ignore[union-attr]
    assert error == {
        "type": "error",
        "error": {
            "type": "RateLimitError",
            "message": "slow down",
            "provider": "openai",
            "status": 429,
            "retry_after": 2.5,
            "code": None,
            "request_id": None,
        },
    }
    assert result == {
        "type": "tool_result",
        "tool_call": CALL.to_dict(),
        "result": "18 degrees",
        "is_error": False,
        "duration": 0.25,
    }


@pytest.mark.parametrize(
    "error",
    [
        AuthenticationError(
            f"bad key {SECRET}", provider="openai", status_code=401, body={"echo": SECRET}
        ),
        PollyError(f"Bearer {SECRET[3:]} rejected"),
        ToolTimeoutError(f"tool got key={SECRET}", tool_name="t"),
    ],
)
def test_errors_serialise_without_secrets_or_bodies(error: PollyError) -> None:
    data: dict[str, Any] = ErrorEvent(error).to_dict()["error"]
    text = json.dumps(data)
    assert SECRET not in text and SECRET[3:] not in text
    assert "echo" not in text  # the raw server body is never forwarded
    assert data["type"] == type(error).__name__
    assert set(data) == {"type", "message", "provider", "status", "retry_after", "code",
                         "request_id"}  # fmt: skip


def test_non_provider_errors_have_empty_provider_fields() -> None:
    data = ErrorEvent(SchemaValidationError("no match", errors=["x"], raw="{}")).to_dict()
    assert data["error"] == {
        "type": "SchemaValidationError", "message": "no match", "provider": None,
        "status": None, "retry_after": None, "code": None, "request_id": None,
    }  # fmt: skip


def test_model_events_exclude_tool_results() -> None:
    from typing import get_args

    assert ToolResultEvent not in get_args(StreamEvent)
    assert set(get_args(AgentEvent)) == {*get_args(StreamEvent), ToolResultEvent}
