"""Thought signatures across turns: a thought, two parallel function calls with signatures,
their results, a continuation whose text carries a signature, and one more turn; every
signature must come back on the same part, also after the history went through JSON."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from pollytool.events import CompleteEvent, ToolCallEvent
from pollytool.messages import ChatMessage
from pollytool.request import CompletionRequest
from tests.fakes.loopback import LoopbackServer, Reply

pytestmark = pytest.mark.anyio

API_KEY = "AIzaSignatureTestKey0123456789abcdef"
MODEL = "gemini-3-flash-preview"
PATH = f"/v1beta/models/{MODEL}:streamGenerateContent"

SIG_WEATHER = b"\x01\x02weather-signature\xff\xfb\xef"  # "/" and "+" in base64
SIG_TIME = b"\x01\x02time-signature\x00"
SIG_TEXT = b"\x03text-signature"


class Lookup:
    def __init__(self, name: str) -> None:
        self.name = name
        self.schema = {"title": name, "description": f"Look up {name}.", "type": "object",
                       "properties": {"city": {"type": "string"}}}  # fmt: skip

    async def execute(self, args: dict[str, Any]) -> str:
        raise AssertionError("not run here")


TOOLS = [Lookup("get_weather"), Lookup("get_time")]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def frame(*parts: dict[str, Any], finish: str | None = None) -> tuple[None, dict[str, Any]]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    usage = {"promptTokenCount": 20, "candidatesTokenCount": 8, "thoughtsTokenCount": 5}
    return None, {"candidates": [candidate], "usageMetadata": usage, "responseId": "r"}


TOOL_TURN = Reply.sse([
    frame({"text": "Need the weather and the time.", "thought": True}),
    frame(
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
         "thoughtSignature": b64(SIG_WEATHER)},
        {"functionCall": {"name": "get_time", "args": {"city": "Paris"}},
         "thoughtSignature": b64(SIG_TIME)},
        finish="STOP",
    ),
])  # fmt: skip
TEXT_TURN = Reply.sse([
    frame({"text": "It is 21 °C"}),
    frame({"text": " at noon.", "thoughtSignature": b64(SIG_TEXT)}),
    frame({"text": ""}, finish="STOP"),
])  # fmt: skip
THANKS_TURN = Reply.sse([frame({"text": "You're welcome."}, finish="STOP")])


def decoded(part: dict[str, Any]) -> dict[str, Any]:
    """A sent part with its signature as bytes (the SDK writes URL-safe base64)."""
    out = dict(part)
    if "thoughtSignature" in out:
        out["thoughtSignature"] = base64.urlsafe_b64decode(out["thoughtSignature"])
    return out


async def run_turn(client: Any, history: list[ChatMessage]) -> ChatMessage:
    events = [e async for e in client.stream(CompletionRequest(MODEL, history, tools=TOOLS))]
    assert isinstance(events[-1], CompleteEvent), events[-1]
    assert [e.tool_call for e in events if isinstance(e, ToolCallEvent)] == (
        events[-1].message.tool_calls
    )
    return events[-1].message


async def test_signatures_go_back_on_their_parts_and_survive_json(
    loopback: LoopbackServer,
) -> None:
    from pollytool.providers.gemini import GeminiClient

    loopback.add("POST", PATH, TOOL_TURN, TEXT_TURN, THANKS_TURN, THANKS_TURN)
    history = [ChatMessage.user("Weather and time in Paris?")]
    async with GeminiClient(API_KEY, loopback.url, max_retries=0) as client:
        calls = await run_turn(client, history)
        weather, time = calls.tool_calls
        assert weather.id != time.id and weather.id and time.id  # made up, unique
        assert calls.reasoning == "Need the weather and the time."
        history += [
            calls,
            ChatMessage.tool_result(weather.id, '{"temp_c": 21}'),  # names found by call id
            ChatMessage.tool_result(time.id, "12:00"),
        ]
        answer = await run_turn(client, history)
        assert answer.content == "It is 21 °C at noon."
        history += [answer, ChatMessage.user("Thanks!")]
        await run_turn(client, history)

        saved = [message.to_json() for message in history]
        loaded = [ChatMessage.from_json(text) for text in json.loads(json.dumps(saved))]
        assert loaded == history
        await run_turn(client, loaded)

    second, third, after_load = (r.json()["contents"] for r in loopback.requests[1:])
    model_turn = [decoded(p) for p in second[1]["parts"]]
    assert second[1]["role"] == "model"
    assert model_turn == [
        {"text": "Need the weather and the time.", "thought": True},
        {"functionCall": {"id": weather.id, "name": "get_weather", "args": {"city": "Paris"}},
         "thoughtSignature": SIG_WEATHER},
        {"functionCall": {"id": time.id, "name": "get_time", "args": {"city": "Paris"}},
         "thoughtSignature": SIG_TIME},
    ]  # fmt: skip
    assert second[2] == {"role": "user", "parts": [
        {"functionResponse": {"id": weather.id, "name": "get_weather",
                              "response": {"temp_c": 21}}},
        {"functionResponse": {"id": time.id, "name": "get_time",
                              "response": {"result": "12:00"}}},
    ]}  # fmt: skip
    assert third[:3] == second
    assert third[3]["role"] == "model"
    assert [decoded(p) for p in third[3]["parts"]] == [
        {"text": "It is 21 °C"},
        {"text": " at noon.", "thoughtSignature": SIG_TEXT},
    ]
    assert third[4] == {"role": "user", "parts": [{"text": "Thanks!"}]}
    assert after_load == third


async def test_an_edited_reply_still_sends_each_call_signature(
    loopback: LoopbackServer,
) -> None:
    """When the text no longer matches what Gemini sent, the exact layout is dropped, but each
    function call keeps its signature (found by call id)."""
    from pollytool.providers.gemini import GeminiClient

    loopback.add("POST", PATH, TOOL_TURN, THANKS_TURN)
    async with GeminiClient(API_KEY, loopback.url, max_retries=0) as client:
        history = [ChatMessage.user("Weather and time in Paris?")]
        calls = await run_turn(client, history)
        calls.reasoning = ""  # e.g. trimmed before saving
        calls.content = "Let me check."
        results = [ChatMessage.tool_result(c.id, "ok", tool_name=c.name)
                   for c in calls.tool_calls]  # fmt: skip
        await run_turn(client, [*history, calls, *results])
    model_turn = [decoded(p) for p in loopback.requests[1].json()["contents"][1]["parts"]]
    assert model_turn == [
        {"text": "Let me check."},
        {"functionCall": {"id": calls.tool_calls[0].id, "name": "get_weather",
                          "args": {"city": "Paris"}}, "thoughtSignature": SIG_WEATHER},
        {"functionCall": {"id": calls.tool_calls[1].id, "name": "get_time",
                          "args": {"city": "Paris"}}, "thoughtSignature": SIG_TIME},
    ]  # fmt: skip


async def test_signatures_are_not_sent_to_a_reply_from_another_provider(
    loopback: LoopbackServer,
) -> None:
    from pollytool.messages import ChatMessageToolCall
    from pollytool.providers.gemini import GeminiClient

    foreign = ChatMessage.assistant("", [ChatMessageToolCall("toolu_1", "get_time", "{}")])
    foreign.provider_metadata["anthropic"] = {"signature": "abc"}
    loopback.add("POST", PATH, THANKS_TURN)
    async with GeminiClient(API_KEY, loopback.url, max_retries=0) as client:
        await run_turn(client, [ChatMessage.user("Time?"), foreign,
                                ChatMessage.tool_result("toolu_1", "12:00")])  # fmt: skip
    sent = loopback.requests[0].json()["contents"]
    assert sent[1]["parts"] == [{"functionCall": {"id": "toolu_1", "name": "get_time", "args": {}}}]
    assert sent[2]["parts"][0]["functionResponse"]["name"] == "get_time"


async def test_a_part_with_only_a_signature_is_sent_back(loopback: LoopbackServer) -> None:
    from pollytool.providers.gemini import GeminiClient

    reply = Reply.sse([frame({"text": "Hi."}), frame({"thoughtSignature": b64(SIG_TEXT)},
                                                     finish="STOP")])  # fmt: skip
    loopback.add("POST", PATH, reply, THANKS_TURN)
    async with GeminiClient(API_KEY, loopback.url, max_retries=0) as client:
        history = [ChatMessage.user("Hello")]
        answer = await run_turn(client, history)
        await run_turn(client, [*history, answer, ChatMessage.user("Bye")])
    model_turn = loopback.requests[1].json()["contents"][1]["parts"]
    assert [decoded(p) for p in model_turn] == [
        {"text": "Hi."},
        {"text": "", "thoughtSignature": SIG_TEXT},
    ]
