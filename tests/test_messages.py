"""ChatMessage serialisation: every field, every part kind, bytes and provider metadata."""

from __future__ import annotations

import json

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
    StopReason,
    TextPart,
    Usage,
)

_text = st.text(max_size=40)
_json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text
_metadata_values = st.recursive(
    _json_scalars | st.binary(max_size=24),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(min_size=1, max_size=10), children, max_size=4)
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


def test_bad_role_and_part_type_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="invalid role 'robot'"):
        ChatMessage("robot")
    with pytest.raises(ValueError, match="unknown content part type 'video'"):
        ChatMessage.from_dict({"role": "user", "parts": [{"type": "video"}]})


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
