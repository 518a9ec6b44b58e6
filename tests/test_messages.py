"""ChatMessage serialisation: every field, every part kind, bytes and provider metadata."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pollytool.errors import ToolArgumentsError
from pollytool.messages import (
    ChatMessage,
    ChatMessageToolCall,
    FilePart,
    FileURLPart,
    ImagePart,
    ImageURLPart,
    MessageRole,
    ReasoningPart,
    StopReason,
    TextPart,
    ToolCallPart,
    UnknownPart,
    Usage,
)

_text = st.text(max_size=40)
_json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text
_metadata_values = st.recursive(
    _json_scalars | st.binary(max_size=24),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(min_size=1, max_size=10) | st.sampled_from(["__bytes__", "__pollytool_dict__"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)
_parts = st.one_of(
    st.builds(TextPart, _text),
    st.builds(ImageURLPart, _text, st.none() | _text, st.none() | st.sampled_from(["low", "high"])),
    st.builds(ImagePart, st.binary(max_size=64), st.sampled_from(["image/png", "image/jpeg"])),
    st.builds(FilePart, st.binary(max_size=64), st.just("application/pdf"), _text),
    st.builds(FileURLPart, _text, st.just("application/pdf"), st.none() | _text),
)
_calls = st.builds(ChatMessageToolCall, _text, _text, _text)
_usage = st.builds(Usage, *(st.integers(0, 10**7) for _ in range(5)))
_messages = st.builds(
    ChatMessage,
    role=st.sampled_from(list(MessageRole)),
    content=_text,
    parts=st.lists(_parts, max_size=4),
    tool_calls=st.lists(_calls, max_size=3),
    tool_call_id=_text,
    tool_name=_text,
    is_error=st.booleans(),
    reasoning=_text,
    stop_reason=st.none() | st.sampled_from(list(StopReason)),
    raw_stop_reason=st.none() | _text,
    usage=st.none() | _usage,
    provider_metadata=st.dictionaries(
        st.sampled_from(["anthropic", "gemini", "openai"]), _metadata_values, max_size=3
    ),
    metadata=st.dictionaries(st.text(min_size=1, max_size=8), _metadata_values, max_size=3),
)


@settings(max_examples=300)
@given(_messages)
def test_round_trip_through_json_is_exact(message: ChatMessage) -> None:
    text = json.dumps(message.to_dict())
    assert ChatMessage.from_dict(json.loads(text)) == message
    assert ChatMessage.from_json(message.to_json()) == message


def test_signature_bytes_survive_json() -> None:
    signature = b"\x01\x02sig-bytes\xff"
    message = ChatMessage(
        "assistant",
        "hi",
        provider_metadata={"gemini": {"parts": [{"index": 0, "thought_signature": signature}]}},
    )
    loaded = ChatMessage.from_json(json.dumps(json.loads(message.to_json())))
    assert loaded.provider_metadata["gemini"]["parts"][0]["thought_signature"] == signature


def test_unknown_keys_are_kept() -> None:
    data = {"role": "user", "content": "x", "future_field": {"a": 1},
            "parts": [{"type": "text", "text": "y", "cache": True}]}  # fmt: skip
    message = ChatMessage.from_dict(data)
    assert message.to_dict()["future_field"] == {"a": 1}
    assert message.to_dict()["parts"][0]["cache"] is True


def test_image_bytes_are_base64_in_json() -> None:
    message = ChatMessage.user("look", ImagePart(b"\x89PNG", "image/png"))
    assert message.to_dict()["parts"][0] == {"type": "image", "data": "iVBORw==",
                                             "mime_type": "image/png"}  # fmt: skip


def test_a_bad_role_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="invalid role 'robot'"):
        ChatMessage("robot")


@pytest.mark.parametrize(
    "metadata",
    [
        {"__bytes__": "abc"},
        {"__bytes__": "not base64 at all!"},
        {"x": [{"__bytes__": "AAAA"}]},
        {"__pollytool_dict__": {"a": 1}},
        {"__bytes__": b"real bytes", "other": 1},
    ],
)
def test_metadata_shaped_like_the_internal_tags_round_trips(metadata: dict[str, Any]) -> None:
    message = ChatMessage.user("hi")
    message.metadata = metadata
    message.provider_metadata = {"openai": metadata}
    loaded = ChatMessage.from_json(message.to_json())
    assert loaded.metadata == metadata
    assert loaded.provider_metadata == {"openai": metadata}


def test_what_a_newer_version_wrote_is_kept_raw() -> None:
    """An unknown role, part kind or stop reason is neither dropped nor fatal when read, and is
    written back unchanged."""
    data = {
        "role": "developer",
        "content": "x",
        "parts": [{"type": "text", "text": "a"}, {"type": "video", "url": "v.mp4", "fps": 30}],
        "stop_reason": "paused",
        "raw_stop_reason": "PAUSE",
    }
    message = ChatMessage.from_dict(data)
    assert message.role == "developer"
    assert message.parts[1] == UnknownPart("video", {"url": "v.mp4", "fps": 30})
    assert message.stop_reason is None
    assert message.to_dict() == data
    assert ChatMessage.from_json(message.to_json()) == message


def test_text_joins_content_and_text_parts() -> None:
    assert ChatMessage.user("a", TextPart("b"), ImagePart(b"x")).text == "ab"
    assert ChatMessage.user("", TextPart("b")).text == "b"


def test_tool_call_args() -> None:
    assert ChatMessageToolCall("1", "f", '{"a": 1}').args == {"a": 1}
    assert ChatMessageToolCall("1", "f", "").args == {}
    with pytest.raises(ToolArgumentsError, match="not valid JSON"):
        _ = ChatMessageToolCall("1", "f", "{oops").args
    with pytest.raises(ToolArgumentsError, match="must be a JSON object"):
        _ = ChatMessageToolCall("1", "f", "[1]").args


def test_usage_sums() -> None:
    total = Usage(1, 2, 3, 4, 5) + Usage(10, 20, 30, 40, 50)
    assert total == Usage(11, 22, 33, 44, 55)
    assert total.total_tokens == 33


def test_tool_result_constructor() -> None:
    message = ChatMessage.tool_result("call_1", "boom", tool_name="f", is_error=True)
    assert message.role is MessageRole.TOOL
    assert message.to_dict() == {"role": "tool", "content": "boom", "tool_call_id": "call_1",
                                 "tool_name": "f", "is_error": True}  # fmt: skip


# --------------------------------------------------------------------------- response parts

SIGNED = {"p": {"signature": "sig-1"}}


def reply() -> ChatMessage:
    """A reply as an adapter records it: signed thinking, text with provider data, a plain
    thought, two calls (one with its own data), in the order they came."""
    calls = [
        ChatMessageToolCall("c1", "f", "{}", {"p": {"sig": b"\x01"}}),
        ChatMessageToolCall("c2", "g", "{}"),
    ]
    return ChatMessage(
        "assistant",
        "Let me check.",
        tool_calls=calls,
        reasoning="Need f.Then g.",
        response_parts=[
            ReasoningPart("Need f.", SIGNED),
            TextPart("Let me ", provider_data={}),
            TextPart("check.", provider_data={"p": {"text_sig": b"\x02"}}),
            ToolCallPart("c1"),
            ReasoningPart("Then g.", {"p": {}}),
            ToolCallPart("c2"),
        ],
    )


def test_unedited_reply_items_are_the_parts_with_the_calls() -> None:
    message = reply()
    assert message.response_items() == [
        ReasoningPart("Need f.", SIGNED),
        TextPart("Let me "),
        TextPart("check.", provider_data={"p": {"text_sig": b"\x02"}}),
        message.tool_calls[0],
        ReasoningPart("Then g.", {"p": {}}),
        message.tool_calls[1],
    ]


def test_edited_content_keeps_every_signature() -> None:
    message = reply()
    message.content = "Checking."
    items = message.response_items()
    assert items[1] == TextPart("Checking.", provider_data={"p": {"text_sig": b"\x02"}})
    assert items[0] == ReasoningPart("Need f.", SIGNED)  # signed thinking untouched
    assert items[2].provider_data == {"p": {"sig": b"\x01"}}  # type: ignore[union-attr]
    assert [type(i).__name__ for i in items] == [
        "ReasoningPart", "TextPart", "ChatMessageToolCall", "ReasoningPart", "ChatMessageToolCall",
    ]  # fmt: skip


def test_edited_reasoning_replaces_plain_parts_and_keeps_signed_ones() -> None:
    message = reply()
    message.reasoning = ""
    items = message.response_items()
    assert ReasoningPart("Need f.", SIGNED) in items
    assert not any(isinstance(i, ReasoningPart) and i.text == "Then g." for i in items)
    message.reasoning = "Short."
    assert ReasoningPart("Short.") in message.response_items()


def test_tool_calls_are_taken_from_tool_calls_by_id() -> None:
    message = reply()
    first, second = message.tool_calls
    message.tool_calls = [second, ChatMessageToolCall("c3", "h", "{}")]  # c1 removed, c3 added
    items = message.response_items()
    assert first not in items
    assert items[-2:] == [second, message.tool_calls[1]]


def test_a_message_without_parts_is_reasoning_text_then_calls() -> None:
    call = ChatMessageToolCall("c1", "f", "{}")
    message = ChatMessage("assistant", "hi", tool_calls=[call], reasoning="think")
    assert message.response_items() == [ReasoningPart("think"), TextPart("hi"), call]
    assert ChatMessage.assistant("hi").response_items() == [TextPart("hi")]


def test_response_parts_and_call_data_survive_json() -> None:
    message = reply()
    message.response_parts.append(UnknownPart("citation", {"url": "x"}))
    loaded = ChatMessage.from_json(message.to_json())
    assert loaded == message
    assert loaded.tool_calls[0].provider_data == {"p": {"sig": b"\x01"}}
