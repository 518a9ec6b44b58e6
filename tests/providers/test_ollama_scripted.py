"""Scripted Ollama replies: failures of every kind, and stream shapes no recording has."""

from __future__ import annotations

import json
import math
import socket
from typing import Any

import pytest

from pollytool.errors import (
    APIConnectionError,
    AuthenticationError,
    InvalidRequestError,
    ModelNotFoundError,
    ResponseError,
    ServerError,
)
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
from pollytool.messages import ChatMessage, StopReason, Usage
from pollytool.providers.ollama import OllamaClient
from pollytool.request import CompletionRequest
from tests.fakes.loopback import LoopbackServer, Reply
from tests.providers._contract import collect, final_message
from tests.providers.test_ollama_cassettes import WEATHER

pytestmark = pytest.mark.anyio


def chunk(content: str = "", **message: Any) -> dict[str, Any]:
    return {
        "model": "qwen3:8b",
        "created_at": "2026-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": content, **message},
        "done": False,
    }


def done(reason: str = "stop", prompt: int = 7, output: int = 3) -> dict[str, Any]:
    return {
        **chunk(),
        "done": True,
        "done_reason": reason,
        "total_duration": 1000,
        "prompt_eval_count": prompt,
        "eval_count": output,
    }


def hanging(*lines: dict[str, Any]) -> Reply:
    """An NDJSON stream that sends *lines*, then nothing more, never finishing."""
    body: list[bytes | float] = [json.dumps(line).encode() + b"\n" for line in lines]
    return Reply(200, {"content-type": "application/x-ndjson"}, [*body, math.inf])


def request(*, stream: bool = True, model: str = "qwen3:8b") -> CompletionRequest:
    return CompletionRequest(model, [ChatMessage.user("Hi")], stream=stream)


async def error_of(client: OllamaClient, req: CompletionRequest) -> tuple[list[StreamEvent], Any]:
    """The events before the error, and the error (always the one last event)."""
    events = await collect(client, req)
    assert isinstance(events[-1], ErrorEvent), events
    assert not any(isinstance(e, ErrorEvent | CompleteEvent) for e in events[:-1])
    return events[:-1], events[-1].error


# --------------------------------------------------------------------------- connection


def free_port() -> int:
    """A port nobody listens on: bound, then closed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize("stream", [True, False])
async def test_connection_refused_says_how_to_start_ollama(stream: bool) -> None:
    host = f"http://127.0.0.1:{free_port()}"
    async with OllamaClient(host) as client:
        before, error = await error_of(client, request(stream=stream))
    assert before == []
    assert type(error) is APIConnectionError
    assert f"Ollama is not reachable at {host}" in str(error)
    assert "ollama serve" in str(error)
    assert error.provider == "ollama"


# --------------------------------------------------------------------------- HTTP errors


@pytest.mark.parametrize("stream", [True, False])
async def test_unknown_model_suggests_pulling_it(loopback: LoopbackServer, stream: bool) -> None:
    loopback.add("POST", "/api/chat", Reply.json(
        {"error": 'model "llama9" not found, try pulling it first'}, status=404
    ))  # fmt: skip
    async with OllamaClient(loopback.url) as client:
        _, error = await error_of(client, request(stream=stream, model="llama9"))
    assert isinstance(error, ModelNotFoundError)
    assert error.status_code == 404
    assert "`ollama pull llama9`" in str(error)
    assert 'model "llama9" not found' in str(error)


@pytest.mark.parametrize(
    ("answer", "capability", "code"),
    [
        ("registry.ollama.ai/library/gemma3:1b does not support tools", "tools",
         "tools_not_supported"),
        ('"gemma3:1b" does not support thinking', "thinking", "thinking_not_supported"),
    ],
)  # fmt: skip
async def test_missing_capability_is_named(
    loopback: LoopbackServer, answer: str, capability: str, code: str
) -> None:
    loopback.add("POST", "/api/chat", Reply.json({"error": answer}, status=400))
    async with OllamaClient(loopback.url) as client:
        _, error = await error_of(client, request(model="gemma3:1b"))
    assert isinstance(error, InvalidRequestError)
    assert (error.status_code, error.code) == (400, code)
    assert f"model 'gemma3:1b' does not support {capability}" in str(error)


async def test_other_statuses_are_typed_and_never_show_the_key(loopback: LoopbackServer) -> None:
    key = "olk-secret-0123456789"
    loopback.add("POST", "/api/chat",
                 Reply.json({"error": f"invalid key {key}"}, status=401),
                 Reply.json({"error": "out of memory"}, status=500))  # fmt: skip
    async with OllamaClient(loopback.url, api_key=key, max_retries=0) as client:
        _, unauthorised = await error_of(client, request())
        _, server = await error_of(client, request(stream=False))
    assert isinstance(unauthorised, AuthenticationError)
    assert key not in str(unauthorised) and key not in repr(unauthorised)
    assert "[REDACTED]" in str(unauthorised)
    assert isinstance(server, ServerError) and server.status_code == 500
    assert "out of memory" in str(server)
    assert loopback.requests[0].headers["authorization"] == f"Bearer {key}"
    assert len(loopback.requests) == 2  # the SDK does not retry


# --------------------------------------------------------------------------- broken streams


@pytest.mark.parametrize(
    ("line", "says"),
    [("this is not json", "not JSON"), ("", "not JSON"), ('{"done": false}', "message")],
)
async def test_garbage_line(loopback: LoopbackServer, line: str, says: str) -> None:
    loopback.add("POST", "/api/chat", Reply.ndjson([chunk("Hel"), line, done()]))
    async with OllamaClient(loopback.url) as client:
        before, error = await error_of(client, request())
    assert before == [ContentEvent("Hel")]
    assert type(error) is ResponseError
    assert says in str(error)


# --------------------------------------------------------------------------- stream shapes


async def test_thinking_and_two_tool_calls_in_one_streamed_reply(loopback: LoopbackServer) -> None:
    loopback.add("POST", "/api/chat", Reply.ndjson([
        chunk(thinking="Need a tool."),
        chunk(tool_calls=[
            {"id": "call_1", "function": {"index": 0, "name": "get_weather",
                                          "arguments": {"city": "Paris"}}},
            {"id": "call_2", "function": {"index": 1, "name": "get_time", "arguments": {}}},
        ]),
        done(),
    ]))  # fmt: skip
    async with OllamaClient(loopback.url) as client:
        events = await collect(client, request())
    message = final_message(events)
    first, second = message.tool_calls
    assert events[:-1] == [
        ReasoningEvent("Need a tool."),
        ToolCallStartEvent(0, first.id, "get_weather"),
        ToolCallDeltaEvent(0, '{"city": "Paris"}'),
        ToolCallEvent(first, 0),
        ToolCallStartEvent(1, second.id, "get_time"),
        ToolCallDeltaEvent(1, "{}"),
        ToolCallEvent(second, 1),
        UsageEvent(Usage(7, 3)),
    ]
    assert (first.args, second.args) == ({"city": "Paris"}, {})
    assert first.id != second.id and not {first.id, second.id} & {"call_1", "call_2", "call_0"}
    assert (message.stop_reason, message.raw_stop_reason) == (StopReason.TOOL_USE, "stop")
    assert message.reasoning == "Need a tool."


async def test_text_before_and_between_thinking_is_kept(loopback: LoopbackServer) -> None:
    loopback.add("POST", "/api/chat", Reply.ndjson([
        chunk("A"), chunk(thinking="x"), chunk("B", thinking="y"), chunk("C"), done("length"),
    ]))  # fmt: skip
    async with OllamaClient(loopback.url) as client:
        events = await collect(client, request())
    message = final_message(events)
    assert events[:-2] == [
        ContentEvent("A"), ReasoningEvent("x"), ReasoningEvent("y"), ContentEvent("B"),
        ContentEvent("C"),
    ]  # fmt: skip
    assert (message.content, message.reasoning) == ("ABC", "xy")
    assert (message.stop_reason, message.raw_stop_reason) == (StopReason.MAX_TOKENS, "length")
    assert message.metadata == {"model": "qwen3:8b", "total_duration": 1000}


async def test_think_tags_split_across_chunks(loopback: LoopbackServer) -> None:
    loopback.add("POST", "/api/chat", Reply.ndjson([
        chunk("\n<th"), chunk("ink>Plan"), chunk(" it.</thi"), chunk("nk>\n\nDone <think> ok"),
        done(),
    ]))  # fmt: skip
    async with OllamaClient(loopback.url) as client:
        message = final_message(await collect(client, request()))
    assert (message.reasoning, message.content) == ("Plan it.", "Done <think> ok")


async def test_tool_call_result_answer(loopback: LoopbackServer) -> None:
    """Tool call → result → answer; the second request carries the call and the result, in
    order, with the tool's name."""
    loopback.add("POST", "/api/chat",
        Reply.ndjson([chunk(tool_calls=[{"function": {"name": "weather",
                                                      "arguments": {"city": "Oslo"}}}]),
                      done()]),
        Reply.ndjson([chunk("It is "), chunk("cold."), done()]),
    )  # fmt: skip
    history = [ChatMessage.system("Be brief."), ChatMessage.user("Weather in Oslo?")]
    async with OllamaClient(loopback.url) as client:
        first = final_message(await collect(client, CompletionRequest("qwen3:8b", history,
                                                                tools=[WEATHER])))  # fmt: skip
        (call,) = first.tool_calls
        history += [first, ChatMessage.tool_result(call.id, "-3°C, snow")]
        second = final_message(await collect(client, CompletionRequest("qwen3:8b", history,
                                                                 tools=[WEATHER])))  # fmt: skip
    assert second.content == "It is cold."
    assert second.stop_reason == StopReason.END_TURN
    sent = loopback.requests[1].json()["messages"]
    assert sent == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Oslo?"},
        {"role": "assistant", "content": "",
         "tool_calls": [{"function": {"name": "weather", "arguments": {"city": "Oslo"}}}]},
        {"role": "tool", "content": "-3°C, snow", "tool_name": "weather"},
    ]  # fmt: skip
    assert json.loads(call.arguments) == {"city": "Oslo"}
