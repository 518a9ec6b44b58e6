"""Provider data travels with the piece it belongs to: a reply's signatures and reasoning
items survive editing its text and a JSON round trip, and histories saved by the earlier
format (layouts by position in ``provider_metadata``) still replay exactly as before.

``data/legacy_histories.json`` was recorded with the earlier code: for each provider, a
history (as ``to_dict`` wrote it) and the request body that code sent for the next turn.
Gemini's body is written in the wire form pollytool sends since it stopped going through the
SDK's typed request (``parametersJsonSchema``, no empty ``generationConfig``); its
``contents``, where the history's layout and signatures live, are as recorded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pollytool.messages import ChatMessage, ChatMessageToolCall
from pollytool.request import CompletionRequest
from pollytool.tools.base import Tool
from tests.fakes.loopback import LoopbackServer, Reply
from tests.providers import test_gemini_signatures as gemini
from tests.providers import test_openai_roundtrip as responses
from tests.providers._contract import collect, final_message
from tests.providers._harness import HARNESSES
from tests.providers.test_anthropic_stream import (
    SchemaTool,
    message_end,
    message_start,
    redacted_block,
    sse,
    text_block,
    thinking_block,
    tool_block,
)

pytestmark = pytest.mark.anyio

LEGACY = json.loads((Path(__file__).parent / "data" / "legacy_histories.json").read_text())


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _tools(provider: str) -> list[Tool]:
    if provider == "anthropic":
        return [SchemaTool("get_weather"), SchemaTool("get_time")]
    if provider == "gemini":
        return list(gemini.TOOLS)
    return [responses.WEATHER]


def _harness(provider: str) -> str:
    return "openai-responses" if provider == "openai" else provider


@pytest.mark.parametrize("provider", sorted(LEGACY))
async def test_a_history_in_the_earlier_format_replays_exactly(
    provider: str, loopback: LoopbackServer
) -> None:
    case = LEGACY[provider]
    history = [ChatMessage.from_dict(m) for m in case["history"]]
    assert [m.to_dict() for m in history] == case["history"]  # read and written unchanged
    harness = HARNESSES[_harness(provider)]
    path = gemini.PATH if provider == "gemini" else harness.path()
    loopback.add("POST", path, gemini.THANKS_TURN if provider == "gemini" else harness.reply("ok"))
    req = CompletionRequest(case["model"], history, tools=_tools(provider),
                            thinking=case.get("thinking"),
                            provider_options=dict(harness.options))  # fmt: skip
    async with harness.client(loopback.url) as client:
        final_message(await collect(client, req))
    assert loopback.requests[0].json() == case["sent"]


# --------------------------------------------------------------------------- edited replies


def _saved_and_loaded(history: list[ChatMessage]) -> list[ChatMessage]:
    return [ChatMessage.from_json(m.to_json()) for m in history]


async def test_anthropic_thinking_survives_an_edited_reply(loopback: LoopbackServer) -> None:
    harness = HARNESSES["anthropic"]
    loopback.add("POST", harness.path(), sse(
        message_start(),
        thinking_block(0, ["Need ", "weather."], "c2lnLTE="),
        redacted_block(1, "cmVkYWN0ZWQ="),
        text_block(2, "Checking the weather."),
        tool_block(3, "toolu_1", "get_weather", '{"city": "Paris"}'),
        message_end("tool_use", 9),
    ), harness.reply("ok"))  # fmt: skip
    tools = _tools("anthropic")
    async with harness.client(loopback.url) as client:
        first = [ChatMessage.user("Weather?")]
        reply = final_message(await collect(client, harness.request(messages=first, tools=tools)))
        reply.content = "Checking."  # edited, e.g. shortened before saving
        history = _saved_and_loaded([*first, reply, ChatMessage.tool_result("toolu_1", "18C")])
        final_message(await collect(client, harness.request(messages=history, tools=tools)))
    assert loopback.requests[1].json()["messages"][1]["content"] == [
        {"type": "thinking", "thinking": "Need weather.", "signature": "c2lnLTE="},
        {"type": "redacted_thinking", "data": "cmVkYWN0ZWQ="},
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
    ]


async def test_gemini_signatures_survive_an_edited_reply(loopback: LoopbackServer) -> None:
    loopback.add("POST", gemini.PATH, gemini.TEXT_TURN, gemini.THANKS_TURN)
    async with HARNESSES["gemini"].client(loopback.url) as client:
        first = [ChatMessage.user("Weather?")]
        reply = final_message(await collect(client, CompletionRequest(gemini.MODEL, first)))
        reply.content = "It is 21 °C."  # the signed text piece no longer exists as such
        history = _saved_and_loaded([*first, reply, ChatMessage.user("Thanks!")])
        final_message(await collect(client, CompletionRequest(gemini.MODEL, history)))
    sent = loopback.requests[1].json()["contents"][1]["parts"]
    assert [gemini.decoded(p) for p in sent] == [
        {"text": "It is 21 °C.", "thoughtSignature": gemini.SIG_TEXT}
    ]


async def test_openai_reasoning_items_survive_an_edited_reply(loopback: LoopbackServer) -> None:
    harness = HARNESSES["openai-responses"]
    loopback.add("POST", harness.path(), Reply.sse(responses.reasoning_then_call()),
                 harness.reply("ok"))  # fmt: skip
    tools = _tools("openai")
    async with harness.client(loopback.url) as client:
        first = [ChatMessage.user("Weather?")]
        req = harness.request(messages=first, tools=tools, thinking="medium")
        reply = final_message(await collect(client, req))
        reply.content = "Looking it up."
        reply.tool_calls = [ChatMessageToolCall(c.id, c.name, '{"city": "Lyon"}')
                            for c in reply.tool_calls]  # fmt: skip
        history = _saved_and_loaded([*first, reply, ChatMessage.tool_result("call_abc", "18C")])
        final_message(await collect(client, harness.request(messages=history, tools=tools,
                                                            thinking="medium")))  # fmt: skip
    items = loopback.requests[1].json()["input"]
    kinds: list[Any] = [(i.get("type"), i.get("id") or i.get("call_id") or i.get("content"))
                        for i in items]  # fmt: skip
    assert kinds == [
        (None, "Weather?"),
        ("reasoning", "rs_1"),
        (None, "Looking it up."),
        ("function_call", "call_abc"),
        ("function_call_output", "call_abc"),
    ]
    assert items[1]["encrypted_content"] == "gAAAA-encrypted-1"
    assert json.loads(items[3]["arguments"]) == {"city": "Lyon"}
