"""Reasoning items survive a tool round trip and a JSON save/load of the history."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pollytool.events import CompleteEvent, ReasoningEvent
from pollytool.messages import ChatMessage, ChatMessageToolCall
from pollytool.request import CompletionRequest
from pollytool.thinking import Thinking
from tests.fakes.loopback import LoopbackServer, Reply
from tests.providers._openai_support import (
    SchemaTool,
    call_item,
    check_event_rules,
    client_for,
    collect,
    event,
    response_object,
    responses_text_frames,
)

pytestmark = pytest.mark.anyio

WEATHER = SchemaTool(
    "get_weather",
    "The weather in a city.",
    {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
)
#: The loopback server is not api.openai.com, so the Responses API is asked for.
RESPONSES = {"api": "responses"}
SUMMARY = [{"type": "summary_text", "text": "Need the weather."}]


def reasoning_item(item_id: str, encrypted: str | None, summary: list[Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"id": item_id, "type": "reasoning", "summary": summary}
    if encrypted is not None:
        item["encrypted_content"] = encrypted
    return item


def reasoning_then_call() -> list[tuple[str, dict[str, Any]]]:
    """A streamed reply: a reasoning item with a summary, then a function call."""
    reasoning = reasoning_item("rs_1", "gAAAA-encrypted-1", SUMMARY)
    call = call_item("call_abc", "get_weather", '{"city":"Paris"}', "fc_1")
    return [
        event("response.created", response=response_object([], status="in_progress")),
        event(
            "response.output_item.added",
            output_index=0,
            item={**reasoning_item("rs_1", "gAAAA-partial", []), "status": "in_progress"},
        ),
        event(
            "response.reasoning_summary_part.added",
            item_id="rs_1",
            output_index=0,
            summary_index=0,
            part={"type": "summary_text", "text": ""},
        ),
        event(
            "response.reasoning_summary_text.delta",
            item_id="rs_1",
            output_index=0,
            summary_index=0,
            delta="Need the ",
        ),
        event(
            "response.reasoning_summary_text.delta",
            item_id="rs_1",
            output_index=0,
            summary_index=0,
            delta="weather.",
        ),
        event("response.output_item.done", output_index=0, item=reasoning),
        event(
            "response.output_item.added",
            output_index=1,
            item={**call, "arguments": "", "status": "in_progress"},
        ),
        event(
            "response.function_call_arguments.delta",
            item_id="fc_1",
            output_index=1,
            delta='{"city":"Paris"}',
        ),
        event("response.output_item.done", output_index=1, item=call),
        event("response.completed", response=response_object([reasoning, call])),
    ]


def saved_and_loaded(history: list[ChatMessage]) -> list[ChatMessage]:
    text = json.dumps([m.to_dict() for m in history])
    return [ChatMessage.from_dict(d) for d in json.loads(text)]


async def test_reasoning_tool_call_result_and_follow_up(loopback: LoopbackServer) -> None:
    loopback.add(
        "POST",
        "/v1/responses",
        Reply.sse(reasoning_then_call()),
        Reply.sse(responses_text_frames("Sunny in ", "Paris.")),
    )
    first = CompletionRequest(
        "gpt-5",
        [ChatMessage.system("Be brief."), ChatMessage.user("Weather in Paris?")],
        tools=[WEATHER],
        thinking=Thinking.level("high"),
        provider_options=RESPONSES,
    )
    async with client_for(loopback) as client:
        events = await collect(client, first)
        check_event_rules(events)
        assert [e.content for e in events if isinstance(e, ReasoningEvent)] == [
            "Need the ",
            "weather.",
        ]
        assert isinstance(events[-1], CompleteEvent)
        reply = events[-1].message
        assert reply.tool_calls == [
            ChatMessageToolCall("call_abc", "get_weather", '{"city":"Paris"}')
        ]
        history = saved_and_loaded(
            [*first.messages, reply, ChatMessage.tool_result("call_abc", "18C, sunny")]
        )
        second = CompletionRequest(
            "gpt-5",
            history,
            tools=[WEATHER],
            thinking=Thinking.level("high"),
            provider_options=RESPONSES,
        )
        events = await collect(client, second)
    check_event_rules(events)
    assert isinstance(events[-1], CompleteEvent)
    assert events[-1].message.content == "Sunny in Paris."

    sent_first, sent_second = (r.json() for r in loopback.requests)
    for body in (sent_first, sent_second):
        assert body["store"] is False
        assert body["include"] == ["reasoning.encrypted_content"]
        assert body["reasoning"] == {"effort": "high", "summary": "auto"}
    assert sent_second["input"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": SUMMARY,
            "encrypted_content": "gAAAA-encrypted-1",
        },
        {
            "type": "function_call",
            "call_id": "call_abc",
            "name": "get_weather",
            "arguments": '{"city":"Paris"}',
        },
        {"type": "function_call_output", "call_id": "call_abc", "output": "18C, sunny"},
    ]


async def test_interleaved_reasoning_keeps_its_order(loopback: LoopbackServer) -> None:
    output = [
        reasoning_item("rs_1", "enc-1", []),
        call_item("call_a", "get_weather", '{"city":"Paris"}', "fc_1"),
        reasoning_item("rs_2", "enc-2", SUMMARY),
        call_item("call_b", "get_weather", '{"city":"Rome"}', "fc_2"),
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Checking both.", "annotations": []}],
        },
    ]
    loopback.add(
        "POST",
        "/v1/responses",
        Reply.json(response_object(output)),
        Reply.json(response_object([])),
    )
    req = CompletionRequest(
        "gpt-5",
        [ChatMessage.user("Paris and Rome?")],
        tools=[WEATHER],
        thinking=Thinking.level("medium"),
        stream=False,
        provider_options=RESPONSES,
    )
    async with client_for(loopback) as client:
        events = await collect(client, req)
        assert isinstance(events[-1], CompleteEvent)
        reply = events[-1].message
        assert reply.reasoning == "Need the weather."
        history = saved_and_loaded(
            [
                *req.messages,
                reply,
                ChatMessage.tool_result("call_a", "18C"),
                ChatMessage.tool_result("call_b", "25C"),
            ]
        )
        await collect(
            client,
            CompletionRequest(
                "gpt-5", history, thinking=Thinking.level("medium"), provider_options=RESPONSES
            ),
        )
    kinds = [
        (i.get("type"), i.get("id") or i.get("call_id") or i.get("role"))
        for i in loopback.requests[1].json()["input"]
    ]
    assert kinds == [
        (None, "user"),
        ("reasoning", "rs_1"),
        ("function_call", "call_a"),
        ("reasoning", "rs_2"),
        ("function_call", "call_b"),
        (None, "assistant"),
        ("function_call_output", "call_a"),
        ("function_call_output", "call_b"),
    ]


@pytest.mark.parametrize(
    ("options", "sent"),
    [({}, ["rs_kept"]), ({"store": True}, ["rs_kept", "rs_server_side"])],
    ids=["stateless", "stored"],
)
async def test_which_reasoning_items_go_back(
    options: dict[str, Any], sent: list[str], loopback: LoopbackServer
) -> None:
    """Without ``store`` only items with encrypted content can be resolved; other providers'
    metadata is never sent to OpenAI."""
    entries = [
        reasoning_item("rs_kept", "enc", []),
        reasoning_item("rs_server_side", None, []),
        {"type": "message"},
    ]
    assistant = ChatMessage.assistant("Hi.")
    assistant.provider_metadata = {"openai": {"output": entries}, "anthropic": {"signature": "sig"}}
    loopback.add("POST", "/v1/responses", Reply.sse(responses_text_frames("ok")))
    history = [ChatMessage.user("Hello"), assistant, ChatMessage.user("Again")]
    async with client_for(loopback) as client:
        await collect(
            client,
            CompletionRequest("gpt-5", history, provider_options={"api": "responses", **options}),
        )
    body = loopback.requests[0].json()
    assert [i["id"] for i in body["input"] if i.get("type") == "reasoning"] == sent
    assert ("store" in body and body["store"] is False) == (not options)
    assert "signature" not in json.dumps(body)
