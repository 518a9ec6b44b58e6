"""Thinking with parallel tool calls across turns: the thinking blocks (exact signatures,
redacted data) go back first in their assistant turn, the tool results of the turn form one
user message, and all of it survives saving the history as JSON and loading it again."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pollytool.messages import ChatMessage, StopReason
from pollytool.providers.anthropic import AnthropicClient
from pollytool.request import CompletionRequest
from pollytool.thinking import Thinking
from tests.fakes.loopback import LoopbackServer
from tests.providers._contract import collect, final_message
from tests.providers.test_anthropic_stream import (
    KEY,
    PATH,
    message_end,
    message_start,
    redacted_block,
    sse,
    text_block,
    thinking_block,
    tool_block,
)

pytestmark = pytest.mark.anyio

MODEL = "claude-haiku-4-5"  # budgeted thinking
SIGNATURE = "EqQBCkYIARgCIkAf+/3y0R2Wm0ZsB7xQ1v+Zu9a/EgwRxNp1c4Zx7UQYb5ka=="
REDACTED = "EmwKAhgBEgy3va3pzix/LafPsn4aDFb0"
QUESTION = ChatMessage.user("Weather and time in Paris?")

FIRST_TURN = sse(
    message_start(50),
    thinking_block(0, ["I need the weather ", "and the time."], SIGNATURE),
    redacted_block(1, REDACTED),
    tool_block(2, "toolu_weather", "get_weather", '{"city": ', '"Paris"}'),
    tool_block(3, "toolu_time", "get_time", '{"zone": "Europe/Paris"}'),
    message_end("tool_use", 80),
)
SECOND_TURN = sse(
    message_start(120),
    thinking_block(0, ["The weather tool failed; answer with the time."], "c2lnbmF0dXJlLTI="),
    text_block(1, "It is noon in Paris; ", "the weather service is down."),
    message_end("end_turn", 40),
)
THIRD_TURN = sse(message_start(200), text_block(0, "You're welcome."), message_end("end_turn", 5))


def request(history: list[ChatMessage]) -> CompletionRequest:
    return CompletionRequest(MODEL, history, thinking=Thinking.level("low"), temperature=0.7)


def expected_second_request_messages() -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": "Weather and time in Paris?"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "I need the weather and the time.",
                 "signature": SIGNATURE},
                {"type": "redacted_thinking", "data": REDACTED},
                {"type": "tool_use", "id": "toolu_weather", "name": "get_weather",
                 "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "toolu_time", "name": "get_time",
                 "input": {"zone": "Europe/Paris"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_weather",
                 "content": "weather service unavailable", "is_error": True},
                {"type": "tool_result", "tool_use_id": "toolu_time", "content": "12:00"},
            ],
        },
    ]  # fmt: skip


def json_round_trip(history: list[ChatMessage]) -> list[ChatMessage]:
    saved = json.dumps([message.to_dict() for message in history])
    return [ChatMessage.from_dict(data) for data in json.loads(saved)]


async def test_thinking_and_parallel_tools_across_turns(loopback: LoopbackServer) -> None:
    loopback.add("POST", PATH, FIRST_TURN, SECOND_TURN, SECOND_TURN, THIRD_TURN)
    async with AnthropicClient(api_key=KEY, base_url=loopback.url, max_retries=0) as client:
        first = final_message(await collect(client, request([QUESTION])))
        assert first.stop_reason == StopReason.TOOL_USE
        assert [c.id for c in first.tool_calls] == ["toolu_weather", "toolu_time"]
        assert first.reasoning == "I need the weather and the time."

        # the results arrive in completion order, not call order
        history = [
            QUESTION,
            first,
            ChatMessage.tool_result("toolu_time", "12:00", tool_name="get_time"),
            ChatMessage.tool_result(
                "toolu_weather", "weather service unavailable", tool_name="get_weather",
                is_error=True,
            ),
        ]  # fmt: skip
        second = final_message(await collect(client, request(history)))
        sent = loopback.requests[1].json()
        assert sent["messages"] == expected_second_request_messages()
        assert sent["thinking"] == {"type": "enabled", "budget_tokens": 4096}
        assert "temperature" not in sent
        assert second.content == "It is noon in Paris; the weather service is down."

        # the same history after a JSON save and load gives the same request
        restored = json_round_trip(history)
        assert final_message(await collect(client, request(restored))).to_dict() == second.to_dict()
        assert loopback.requests[2].json()["messages"] == sent["messages"]

        # the continuation's own thinking is replayed on the next turn
        history = [*json_round_trip([*history, second]), ChatMessage.user("Thanks!")]
        final_message(await collect(client, request(history)))
        third = loopback.requests[3].json()["messages"]
        assert third[:3] == sent["messages"]
        assert third[3] == {
            "role": "assistant",
            "content": [
                {"type": "thinking", "signature": "c2lnbmF0dXJlLTI=",
                 "thinking": "The weather tool failed; answer with the time."},
                {"type": "text", "text": "It is noon in Paris; the weather service is down."},
            ],
        }  # fmt: skip
        assert third[4] == {"role": "user", "content": "Thanks!"}
    assert loopback.pending == 0
