"""Scripted failures and edge cases the recordings lack: retries, rate limits, cut streams,
errors inside streams, incomplete responses, timeouts, interleaved parallel tool calls and
closing the response when the caller stops early."""

from __future__ import annotations

from typing import Any

import pytest

from pollytool.errors import (
    ContextLengthError,
    RateLimitError,
    ServerError,
)
from pollytool.events import (
    CompleteEvent,
    ToolCallDeltaEvent,
    ToolCallEvent,
    ToolCallStartEvent,
)
from pollytool.messages import ChatMessage, StopReason, Usage
from pollytool.request import CompletionRequest
from tests.fakes.loopback import LoopbackServer, Reply
from tests.providers._contract import only_error, text_of
from tests.providers._openai_support import (
    call_item,
    chat_text_frames,
    check_event_rules,
    chunk,
    client_for,
    collect,
    event,
    message_item,
    path_of,
    response_object,
    responses_text_frames,
)

pytestmark = pytest.mark.anyio

APIS = ["chat", "responses"]


def request(api: str, **kwargs: object) -> CompletionRequest:
    return CompletionRequest(
        "gpt-test",
        [ChatMessage.user("Hello")],
        provider_options={"api": api},
        **kwargs,  # type: ignore[arg-type]
    )


def error_body(code: str, message: str = "nope") -> dict[str, object]:
    return {"error": {"message": message, "type": "invalid_request_error", "code": code}}


def opening(api: str) -> list[tuple[str | None, object] | str]:
    """The first frames of a streamed reply, up to its first text delta ``"Hel"``."""
    if api == "chat":
        return list(chat_text_frames("Hel", "lo")[:2])
    return list(responses_text_frames("Hel", "lo")[:3])


# --------------------------------------------------------------------------- retries


@pytest.mark.parametrize(
    "body",
    [
        error_body("context_length_exceeded", "This model's maximum context length is 128000"),
        error_body("invalid_value", "Your input exceeds the context window of this model."),
    ],
    ids=["by-code", "by-message"],
)
async def test_context_length_is_its_own_error(
    body: dict[str, object], loopback: LoopbackServer
) -> None:
    loopback.add("POST", "/v1/chat/completions", Reply.json(body, 400))
    async with client_for(loopback) as client:
        error = only_error(await collect(client, request("chat")))
    assert isinstance(error, ContextLengthError) and error.status_code == 400


async def test_a_rate_limit_about_tokens_stays_a_rate_limit(loopback: LoopbackServer) -> None:
    body = error_body("rate_limit_exceeded", "Too many tokens per minute; maximum context x")
    loopback.add("POST", "/v1/chat/completions", Reply.json(body, 429))
    async with client_for(loopback) as client:
        error = only_error(await collect(client, request("chat")))
    assert type(error) is RateLimitError


# --------------------------------------------------------------------------- broken streams


async def test_an_error_event_inside_a_responses_stream(loopback: LoopbackServer) -> None:
    frames = [
        *opening("responses"),
        event("error", code="rate_limit_exceeded", message="Rate limit reached", param=None),
    ]
    loopback.add("POST", "/v1/responses", Reply.sse(frames, headers={"x-request-id": "req_7"}))
    async with client_for(loopback) as client:
        events = await collect(client, request("responses"))
    error = only_error(events)
    assert isinstance(error, RateLimitError)
    assert (error.code, error.request_id, error.message) == (
        "rate_limit_exceeded",
        "req_7",
        "Rate limit reached",
    )
    assert text_of(events) == "Hel"


@pytest.mark.parametrize("stream", [True, False])
async def test_a_failed_response(stream: bool, loopback: LoopbackServer) -> None:
    failed = response_object(
        [], status="failed", error={"code": "server_error", "message": "The model failed"}
    )
    reply = Reply.sse([event("response.failed", response=failed)]) if stream else Reply.json(failed)
    loopback.add("POST", "/v1/responses", reply)
    async with client_for(loopback) as client:
        error = only_error(await collect(client, request("responses", stream=stream)))
    assert isinstance(error, ServerError)
    assert (error.code, error.message) == ("server_error", "The model failed")


@pytest.mark.parametrize(
    ("reason", "stop"),
    [("max_output_tokens", StopReason.MAX_TOKENS), ("content_filter", StopReason.CONTENT_FILTER)],
)
@pytest.mark.parametrize("stream", [True, False])
async def test_an_incomplete_response_completes(
    reason: str, stop: StopReason, stream: bool, loopback: LoopbackServer
) -> None:
    if stream:
        reply = Reply.sse(
            responses_text_frames("Hel", "lo", status="incomplete", incomplete=reason)
        )
    else:
        reply = Reply.json(
            response_object([message_item("Hello")], status="incomplete", incomplete=reason)
        )
    loopback.add("POST", "/v1/responses", reply)
    async with client_for(loopback) as client:
        events = await collect(client, request("responses", stream=stream))
    check_event_rules(events)
    assert isinstance(events[-1], CompleteEvent)
    message = events[-1].message
    assert (message.content, message.stop_reason, message.raw_stop_reason) == (
        "Hello",
        stop,
        reason,
    )
    assert message.usage == Usage(5, 7, 3, 1, 0)


# --------------------------------------------------------------------------- timeouts


# --------------------------------------------------------------------------- parallel calls


def interleaved_chat() -> list[tuple[str | None, object] | str]:
    def call(index: int, **fields: object) -> tuple[None, dict[str, object]]:
        return chunk({"tool_calls": [{"index": index, **fields}]})

    return [
        call(0, id="call_a", type="function", function={"name": "get_weather", "arguments": ""}),
        call(1, id="call_b", type="function", function={"name": "get_time", "arguments": ""}),
        call(0, function={"arguments": '{"city":'}),
        call(1, function={"arguments": '{"tz":'}),
        call(0, function={"arguments": '"Paris"}'}),
        call(1, function={"arguments": '"UTC"}'}),
        chunk(finish="tool_calls"),
        "data: [DONE]",
    ]


def interleaved_responses() -> list[tuple[str, dict[str, object]]]:
    weather = call_item("call_a", "get_weather", '{"city":"Paris"}', "fc_1")
    time = call_item("call_b", "get_time", '{"tz":"UTC"}', "fc_2")

    def delta(item_id: str, index: int, text: str) -> tuple[str, dict[str, object]]:
        return event(
            "response.function_call_arguments.delta",
            item_id=item_id,
            output_index=index,
            delta=text,
        )

    return [
        event(
            "response.output_item.added",
            output_index=0,
            item={**weather, "arguments": "", "status": "in_progress"},
        ),
        event(
            "response.output_item.added",
            output_index=1,
            item={**time, "arguments": "", "status": "in_progress"},
        ),
        delta("fc_1", 0, '{"city":'),
        delta("fc_2", 1, '{"tz":'),
        delta("fc_1", 0, '"Paris"}'),
        delta("fc_2", 1, '"UTC"}'),
        event(
            "response.function_call_arguments.done",
            item_id="fc_2",
            output_index=1,
            arguments='{"tz":"UTC"}',
        ),
        event(
            "response.function_call_arguments.done",
            item_id="fc_1",
            output_index=0,
            arguments='{"city":"Paris"}',
        ),
        event("response.output_item.done", output_index=0, item=weather),
        event("response.output_item.done", output_index=1, item=time),
        event("response.completed", response=response_object([weather, time])),
    ]


@pytest.mark.parametrize("api", APIS)
async def test_parallel_calls_with_interleaved_arguments(
    api: str, loopback: LoopbackServer
) -> None:
    frames = interleaved_chat() if api == "chat" else interleaved_responses()
    loopback.add("POST", path_of(api), Reply.sse(frames))
    async with client_for(loopback) as client:
        events = await collect(client, request(api))
    check_event_rules(events)
    starts = [(e.index, e.id, e.name) for e in events if isinstance(e, ToolCallStartEvent)]
    assert starts == [(0, "call_a", "get_weather"), (1, "call_b", "get_time")]
    deltas = [(e.index, e.arguments_delta) for e in events if isinstance(e, ToolCallDeltaEvent)]
    assert deltas == [(0, '{"city":'), (1, '{"tz":'), (0, '"Paris"}'), (1, '"UTC"}')]
    done = {e.index: e.tool_call.args for e in events if isinstance(e, ToolCallEvent)}
    assert done == {0: {"city": "Paris"}, 1: {"tz": "UTC"}}
    assert isinstance(events[-1], CompleteEvent)
    message = events[-1].message
    assert [c.id for c in message.tool_calls] == ["call_a", "call_b"]
    assert message.stop_reason == StopReason.TOOL_USE


# --------------------------------------------------------------------------- stopping early


async def test_compatible_servers_reasoning_and_reused_call_indexes(
    loopback: LoopbackServer,
) -> None:
    """vLLM-style ``reasoning_content`` and Ollama-style ``reasoning`` deltas are reasoning; a
    server that sends every call at index 0 with its own id still gets separate calls."""

    def call(call_id: str, name: str) -> tuple[None, dict[str, object]]:
        function = {"name": name, "arguments": "{}"}
        return chunk({"tool_calls": [{"index": 0, "id": call_id, "function": function}]})

    frames: list[tuple[str | None, Any] | str] = [
        chunk({"role": "assistant", "reasoning_content": "Two "}),
        chunk({"reasoning": "lookups."}),
        call("call_a", "get_weather"),
        call("call_b", "get_time"),
        chunk(finish="tool_calls"),
        "data: [DONE]",
    ]
    loopback.add("POST", "/v1/chat/completions", Reply.sse(frames))
    async with client_for(loopback) as client:
        events = await collect(client, request("chat"))
    check_event_rules(events)
    assert isinstance(events[-1], CompleteEvent)
    message = events[-1].message
    assert message.reasoning == "Two lookups."
    assert [(c.id, c.name, c.arguments) for c in message.tool_calls] == [
        ("call_a", "get_weather", "{}"),
        ("call_b", "get_time", "{}"),
    ]
