"""Every recorded Ollama ``/api/chat`` exchange, replayed through OllamaClient and the real SDK.

The expected events are derived from the recorded response bodies; the request the adapter
sends is compared with the recorded request body where the source recorded it, and with the
source's summary otherwise.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from pollytool.errors import InvalidRequestError
from pollytool.events import (
    ContentEvent,
    ErrorEvent,
    ReasoningEvent,
    StreamEvent,
    ToolCallDeltaEvent,
    ToolCallEvent,
    ToolCallStartEvent,
    UsageEvent,
)
from pollytool.messages import ChatMessage, ImagePart, MessageRole, StopReason, Usage
from pollytool.providers.ollama import OllamaClient
from pollytool.request import CompletionRequest
from pollytool.schema import Schema
from pollytool.thinking import Thinking
from tests.fakes.cassettes import cassette_ids, load_cassette
from tests.fakes.loopback import LoopbackServer
from tests.providers._contract import collect, final_message

pytestmark = pytest.mark.anyio


@dataclass
class SchemaTool:
    """A tool given by its JSON schema (only its description reaches the provider)."""

    name: str
    schema: dict[str, Any] = field(default_factory=dict)

    async def execute(self, args: dict[str, Any]) -> str:
        return json.dumps(args)


WEATHER = SchemaTool(
    "weather",
    {
        "description": "Get the current weather for a city",
        "type": "object",
        "properties": {"city": {"type": "string", "description": "The city"}},
        "required": ["city"],
    },
)
SEARCH = SchemaTool(
    "search",
    {
        "description": "Search for current events",
        "type": "object",
        "properties": {"query": {"type": "string"}},
        "required": ["query"],
    },
)


# --------------------------------------------------------------------------- expectations


@dataclass
class Recorded:
    """What one recorded response says, read straight from its body."""

    content: str
    thinking: str
    calls: list[tuple[str, dict[str, Any]]]
    usage: Usage
    done_reason: str
    content_chunks: int


def recorded(interaction: dict[str, Any]) -> Recorded:
    lines = [json.loads(line) for line in interaction["response"]["body"].splitlines() if line]
    messages = [line["message"] for line in lines]
    final = lines[-1]
    assert final["done"] is True
    return Recorded(
        content="".join(m.get("content") or "" for m in messages),
        thinking="".join(m.get("thinking") or "" for m in messages),
        calls=[
            (c["function"]["name"], c["function"]["arguments"])
            for m in messages
            for c in m.get("tool_calls") or []
        ],
        usage=Usage(final["prompt_eval_count"], final["eval_count"]),
        done_reason=final["done_reason"],
        content_chunks=sum(bool(m.get("content")) for m in messages),
    )


STOP = {"stop": StopReason.END_TURN, "length": StopReason.MAX_TOKENS}


def check_events(
    events: list[StreamEvent], want: Recorded, *, content: str | None = None
) -> ChatMessage:
    """The events tell exactly what the recording says (*content* overrides the text when
    the adapter rightly moves part of it into reasoning)."""
    message = final_message(events)
    text = "".join(e.content for e in events if isinstance(e, ContentEvent))
    thinking = "".join(e.content for e in events if isinstance(e, ReasoningEvent))
    assert text == message.content == (want.content if content is None else content)
    if content is None:
        assert thinking == message.reasoning == want.thinking
    calls = [e.tool_call for e in events if isinstance(e, ToolCallEvent)]
    assert [(c.name, c.args) for c in calls] == want.calls
    assert message.tool_calls == calls
    starts = [e for e in events if isinstance(e, ToolCallStartEvent)]
    assert [(s.index, s.id, s.name) for s in starts] == [
        (i, c.id, c.name) for i, c in enumerate(calls)
    ]
    deltas = [e for e in events if isinstance(e, ToolCallDeltaEvent)]
    assert [json.loads(d.arguments_delta) for d in deltas] == [args for _, args in want.calls]
    assert len({c.id for c in calls}) == len(calls)
    usages = [e.usage for e in events if isinstance(e, UsageEvent)]
    assert usages == [want.usage] and message.usage == want.usage
    stop = StopReason.TOOL_USE if calls else STOP[want.done_reason]
    assert (message.stop_reason, message.raw_stop_reason) == (stop, want.done_reason)
    assert message.role == MessageRole.ASSISTANT
    return message


def check_body(sent: dict[str, Any], recorded_body: dict[str, Any]) -> None:
    """The request the adapter sent says what the recorded one said. Empty values in the
    recording (``"format": ""``, ``"options": {}``) are Ollama's defaults: the adapter sends
    nothing for them."""
    assert sent["model"] == recorded_body["model"]
    assert sent["messages"] == recorded_body["messages"]
    assert sent["stream"] == recorded_body.get("stream", True)  # Ollama streams by default
    assert sent["tools"] == recorded_body.get("tools", [])
    for key in ("format", "options", "think"):
        if recorded_body.get(key) in (None, "", {}):
            assert key not in sent, key
        else:
            assert sent[key] == recorded_body[key], key


# --------------------------------------------------------------------------- single replies

FEET = "How many feet are in a nautical mile? Respond with JSON containing the answer."
PERSON_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "hobbies": {"type": "array", "items": {"type": "string"}},
        "open_source": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name", "hobbies", "open_source"],
}
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)

#: cassette → (the request that reproduces it, what the sent body must hold when the source
#: recorded only a summary of it).
SINGLE: dict[str, tuple[CompletionRequest, dict[str, Any]]] = {
    "ollama/chat__stream_text": (
        CompletionRequest(
            "gemma3:1b",
            [ChatMessage.user("Count from 1 to 5")],
            temperature=0,
            max_tokens=50,
        ),
        {},
    ),
    "ollama/chat__stream_text_multiturn": (
        CompletionRequest(
            "gemma3:1b",
            [ChatMessage.user("Hello, how are you?")],
            temperature=0,
            max_tokens=50,
        ),
        {},
    ),
    "ollama/chat__stream_format_json": (
        CompletionRequest(
            "gemma3:1b",
            [ChatMessage.user(FEET)],
            temperature=0,
            provider_options={"format": "json"},
        ),
        {},
    ),
    "ollama/chat__stream_format_json_schema": (
        CompletionRequest(
            "gemma3:1b",
            [ChatMessage.user(FEET)],
            temperature=0,
            response_schema=Schema(
                {"type": "object", "properties": {"feet": {"type": "number", "properties": {}}}}
            ),
        ),
        {},
    ),
    "ollama/chat__stream_thinking": (
        CompletionRequest(
            "gpt-oss", [ChatMessage.user("Test prompt")], thinking=Thinking.dynamic()
        ),
        {"think": True, "stream": True},
    ),
    "ollama/chat__thinking": (
        CompletionRequest(
            "gpt-oss",
            [ChatMessage.user("Test prompt")],
            thinking=Thinking.dynamic(),
            stream=False,
        ),
        {"think": True, "stream": False},
    ),
    "ollama/chat__text": (
        CompletionRequest("qwen2.5:14b", [ChatMessage.user("Who are you?")], stream=False),
        {"stream": False},
    ),
    "ollama/chat__format_schema": (
        CompletionRequest(
            "deepseek-r1:14b-qwen-distill-q8_0",
            [ChatMessage.user("Describe a developer who maintains Laravel packages.")],
            response_schema=Schema(PERSON_SCHEMA),
            stream=False,
        ),
        {"format": PERSON_SCHEMA, "stream": False},
    ),
    "ollama/chat__image_base64": (
        CompletionRequest(
            "llava-phi3",
            [ChatMessage.user("What is this image", ImagePart(PNG, "image/png"))],
            stream=False,
        ),
        {
            "messages": [
                {
                    "role": "user",
                    "content": "What is this image",
                    "images": [base64.b64encode(PNG).decode()],
                }
            ],
            "stream": False,
        },
    ),
}

MULTI = {"ollama/chat__stream_tools_followup", "ollama/chat__tools_parallel_followup"}
ERROR = {"ollama/chat__error_400_tools_unsupported"}


def test_every_chat_cassette_is_replayed_here() -> None:
    assert set(cassette_ids(provider="ollama", api="ollama.chat")) == set(SINGLE) | MULTI | ERROR


@pytest.mark.parametrize("cassette_id", sorted(SINGLE))
async def test_single_reply_cassette(loopback: LoopbackServer, cassette_id: str) -> None:
    cassette = load_cassette(cassette_id)
    (interaction,) = cassette["interactions"]
    loopback.replay(cassette)
    req, summary = SINGLE[cassette_id]
    async with OllamaClient(loopback.url) as client:
        events = await collect(client, req)

    want = recorded(interaction)
    check_events(events, want)
    if interaction["stream"]:  # streamed as it arrived: one event per recorded text chunk
        assert sum(isinstance(e, ContentEvent) for e in events) == want.content_chunks
    else:
        assert sum(isinstance(e, ContentEvent) for e in events) == 1
    (sent,) = [r.json() for r in loopback.requests]
    assert loopback.requests[0].path == "/api/chat"
    if interaction["request"]["body_recorded"]:
        check_body(sent, interaction["request"]["body"])
    for key, value in summary.items():
        assert sent[key] == value, key


async def test_thinking_arrives_before_the_answer(loopback: LoopbackServer) -> None:
    loopback.replay(load_cassette("ollama/chat__stream_thinking"))
    req, _ = SINGLE["ollama/chat__stream_thinking"]
    async with OllamaClient(loopback.url) as client:
        events = await collect(client, req)
    kinds = [type(e) for e in events if isinstance(e, ContentEvent | ReasoningEvent)]
    first_content = kinds.index(ContentEvent)
    assert set(kinds[:first_content]) == {ReasoningEvent}
    assert set(kinds[first_content:]) == {ContentEvent}


async def test_tools_unsupported_cassette(loopback: LoopbackServer) -> None:
    cassette = load_cassette("ollama/chat__error_400_tools_unsupported")
    (interaction,) = cassette["interactions"]
    loopback.replay(cassette)
    get_time = SchemaTool(
        "getTime",
        {"description": "Get the current time.", "type": "object", "required": [],
         "properties": {}},
    )  # fmt: skip
    req = CompletionRequest(
        "gemma3:1b", [ChatMessage.user("Which date do we have today?")], tools=[get_time],
        stream=False,
    )  # fmt: skip
    async with OllamaClient(loopback.url) as client:
        events = await collect(client, req)

    (event,) = events
    assert isinstance(event, ErrorEvent)
    error = event.error
    assert isinstance(error, InvalidRequestError)
    assert (error.status_code, error.code, error.provider) == (400, "tools_not_supported", "ollama")
    assert "model 'gemma3:1b' does not support tools" in str(error)
    check_body(loopback.requests[0].json(), interaction["request"]["body"])


# --------------------------------------------------------------------------- conversations


async def test_parallel_tool_calls_then_answer(loopback: LoopbackServer) -> None:
    """Two calls in one non-streamed reply; the tool results go back without tool names,
    which the adapter fills in from the assistant's calls."""
    cassette = load_cassette("ollama/chat__tools_parallel_followup")
    first, second = cassette["interactions"]
    loopback.replay(cassette)
    history = [ChatMessage.user("What time is the tigers game today and should I wear a coat?")]
    req = CompletionRequest("qwen2.5:14b", history, tools=[WEATHER, SEARCH], stream=False)
    async with OllamaClient(loopback.url) as client:
        answer = check_events(await collect(client, req), recorded(first))
        results = {"search": "The tigers game is at 3pm in detroit",
                   "weather": "The weather will be 75° and sunny"}  # fmt: skip
        history += [answer] + [
            ChatMessage.tool_result(call.id, results[call.name]) for call in answer.tool_calls
        ]
        req = CompletionRequest("qwen2.5:14b", history, tools=[WEATHER, SEARCH], stream=False)
        check_events(await collect(client, req), recorded(second))

    sent = loopback.requests[1].json()
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "tool", "tool"]
    assert sent["messages"][1]["tool_calls"] == [
        {"function": {"name": name, "arguments": args}} for name, args in recorded(first).calls
    ]
    assert [(m["tool_name"], m["content"]) for m in sent["messages"][2:]] == [
        ("search", results["search"]),
        ("weather", results["weather"]),
    ]
    assert [t["function"]["name"] for t in sent["tools"]] == ["weather", "search"]


async def test_streamed_tool_calls_over_three_turns(loopback: LoopbackServer) -> None:
    """Qwen3: calls in separate chunks, a repeated call, then an answer with its reasoning
    inside ``<think>`` tags; call ids never repeat across the conversation."""
    cassette = load_cassette("ollama/chat__stream_tools_followup")
    interactions = cassette["interactions"]
    loopback.replay(cassette)
    history = [ChatMessage.user("What time is the Tigers game today, and should I wear a coat?")]
    results = {"weather": "75° and sunny", "search": "The Tigers game is at 3pm today"}
    answers = []
    async with OllamaClient(loopback.url) as client:
        for interaction in interactions[:2]:
            events = await collect(client, CompletionRequest("qwen3:14b", history,
                                                         tools=[WEATHER, SEARCH]))  # fmt: skip
            answer = check_events(events, recorded(interaction))
            answers.append(answer)
            history += [answer] + [
                ChatMessage.tool_result(c.id, results[c.name], tool_name=c.name)
                for c in answer.tool_calls
            ]
        events = await collect(client, CompletionRequest("qwen3:14b", history,
                                                     tools=[WEATHER, SEARCH]))  # fmt: skip

    raw = recorded(interactions[2]).content
    thought, _, reply = raw.partition("</think>")
    final = check_events(events, recorded(interactions[2]), content=reply.lstrip())
    assert final.content.startswith("The Detroit Tigers game is today at 3pm")
    assert final.reasoning == thought.removeprefix("<think>")
    assert "<think>" not in final.content and "think>" not in final.reasoning

    ids = [c.id for a in answers for c in a.tool_calls]
    assert len(ids) == 3 and len(set(ids)) == 3
    roles = [[m["role"] for m in r.json()["messages"]] for r in loopback.requests]
    assert roles == [
        ["user"],
        ["user", "assistant", "tool", "tool"],
        ["user", "assistant", "tool", "tool", "assistant", "tool"],
    ]
    third = loopback.requests[2].json()["messages"]
    assert [m.get("tool_name") for m in third] == [
        None, None, "weather", "search", None, "weather"
    ]  # fmt: skip
    assert all(r.json()["stream"] is True for r in loopback.requests)
