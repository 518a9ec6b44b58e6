"""The shared stream accumulator every adapter feeds."""

from __future__ import annotations

from pollytool.events import CompleteEvent, ToolCallDeltaEvent, ToolCallEvent, ToolCallStartEvent
from pollytool.messages import (
    ChatMessageToolCall,
    ReasoningPart,
    StopReason,
    TextPart,
    ToolCallPart,
    Usage,
)
from pollytool.providers._accumulator import StreamAccumulator


def test_interleaved_parallel_calls_keyed_by_provider_keys() -> None:
    acc = StreamAccumulator("openai")
    assert acc.start_tool_call("fc_1", "call_a", "f") == ToolCallStartEvent(0, "call_a", "f")
    assert acc.start_tool_call("fc_2", "call_b", "g") == ToolCallStartEvent(1, "call_b", "g")
    acc.tool_call_delta("fc_1", '{"x":')
    acc.tool_call_delta("fc_2", '{"y":')
    acc.tool_call_delta("fc_1", " 1}")
    acc.tool_call_delta("fc_2", " 2}")
    (done,) = acc.finish_tool_call("fc_2")
    assert isinstance(done, ToolCallEvent)
    assert (done.index, done.tool_call.args) == (1, {"y": 2})
    assert acc.finish_tool_call("fc_2") == ()
    events = acc.finish()
    assert isinstance(events[0], ToolCallEvent)
    assert events[0].tool_call.args == {"x": 1}
    final = events[-1]
    assert isinstance(final, CompleteEvent)
    assert [c.name for c in final.message.tool_calls] == ["f", "g"]
    assert final.message.stop_reason is StopReason.TOOL_USE


def test_missing_ids_are_unique_and_repeated_start_fills_gaps() -> None:
    acc = StreamAccumulator("x")
    acc.start_tool_call(0, None, "")
    acc.start_tool_call(0, "real", "name")
    acc.start_tool_call(1, None, "other")
    message = acc.message()
    assert message.tool_calls[0].id == "real"
    assert message.tool_calls[0].name == "name"
    assert message.tool_calls[1].id.startswith("call_")
    assert StreamAccumulator("x").whole_tool_call(None, "a", "{}")[0].id != message.tool_calls[1].id  # type: ignore[union-attr]


def test_final_arguments_replace_deltas_and_empty_means_empty_object() -> None:
    acc = StreamAccumulator("x")
    acc.start_tool_call("k", "c", "f")
    acc.tool_call_delta("k", '{"broken"')
    (event,) = acc.finish_tool_call("k", '{"fixed": true}')
    assert isinstance(event, ToolCallEvent) and event.tool_call.args == {"fixed": True}


def test_the_deltas_always_add_up_to_the_final_arguments() -> None:
    """Arguments that arrive whole at the end, or not at all ({}), still come as a delta
    before the call is complete, so deltas joined are the call's arguments."""
    acc = StreamAccumulator("x")
    acc.start_tool_call("whole", "c1", "f")
    acc.tool_call_delta("whole", '{"a": ')
    assert acc.finish_tool_call("whole", '{"a": 1}') == (
        ToolCallDeltaEvent(0, "1}"),
        ToolCallEvent(ChatMessageToolCall("c1", "f", '{"a": 1}'), 0),
    )
    acc.start_tool_call("empty", "c2", "g")
    delta, done = acc.finish()[:2]
    assert delta == ToolCallDeltaEvent(1, "{}")
    assert isinstance(done, ToolCallEvent) and done.tool_call.arguments == "{}"


def test_stop_reason_defaults_and_end_turn_with_calls_becomes_tool_use() -> None:
    acc = StreamAccumulator("x")
    acc.text("hi")
    assert acc.message().stop_reason is StopReason.END_TURN
    acc.set_stop_reason(StopReason.END_TURN, "STOP")
    acc.whole_tool_call("id", "f", '{"a": 1}')
    message = acc.message()
    assert message.stop_reason is StopReason.TOOL_USE
    assert message.raw_stop_reason == "STOP"


def test_usage_replaces_and_empty_deltas_are_ignored() -> None:
    acc = StreamAccumulator("x")
    assert acc.text("") is None
    assert acc.reasoning(None) is None
    assert acc.tool_call_delta("k", "") is None
    acc.set_usage(Usage(1, 1))
    acc.set_usage(Usage(5, 7))
    assert acc.message().usage == Usage(5, 7)
    assert acc.message().provider_metadata == {}
    acc.metadata["blocks"] = [1]
    acc.message_metadata["response_id"] = "r1"
    message = acc.message()
    assert message.provider_metadata == {"x": {"blocks": [1]}}
    assert message.metadata == {"response_id": "r1"}


def test_an_emoji_split_across_deltas_is_joined() -> None:
    acc = StreamAccumulator("x")
    events = [acc.text("ab\ud83d"), acc.text("\ude00cd"), acc.reasoning("\ud83e"), *acc.finish()]
    assert [getattr(e, "content", None) for e in events[:3]] == ["ab", "\U0001f600cd", None]
    message = events[-1].message  # type: ignore[union-attr]
    assert message.content == "ab\U0001f600cd"
    assert message.reasoning == "\ufffd"  # a half with no other half
    message.to_json().encode("utf-8")  # storable


def test_response_parts_follow_the_deltas_and_keep_provider_data() -> None:
    acc = StreamAccumulator("p")
    thinking = acc.start_part("reasoning")
    acc.reasoning("Plan")
    acc.reasoning(" it.")
    acc.part_data(thinking, {"signature": "sig"})
    acc.text("Hel")
    acc.text("lo")
    acc.start_part("text", {"mark": 1})
    acc.text("!")
    acc.end_part()
    acc.text(" More")
    acc.whole_tool_call("c1", "f", "{}", {"call": "data"})
    message = acc.finish()[-1].message  # type: ignore[union-attr]
    assert (message.content, message.reasoning) == ("Hello! More", "Plan it.")
    assert message.response_parts == [
        ReasoningPart("Plan it.", {"p": {"signature": "sig"}}),
        TextPart("Hello"),
        TextPart("!", provider_data={"p": {"mark": 1}}),
        TextPart(" More"),
        ToolCallPart("c1"),
    ]
    assert message.tool_calls[0].provider_data == {"p": {"call": "data"}}


def test_no_response_parts_without_provider_data() -> None:
    acc = StreamAccumulator("p")
    acc.reasoning("Hmm.")
    acc.text("Hi")
    acc.whole_tool_call("c1", "f", "{}")
    assert acc.message().response_parts == []
