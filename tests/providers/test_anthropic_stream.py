"""How AnthropicClient turns scripted Messages API responses (streamed and whole) into events.

The SSE builders at the top are shared by the other ``test_anthropic_*`` modules.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from pollytool.events import (
    ContentEvent,
    ReasoningEvent,
    ToolCallDeltaEvent,
    ToolCallEvent,
    ToolCallStartEvent,
    UsageEvent,
)
from pollytool.messages import ChatMessage, ReasoningPart, StopReason, TextPart, ToolCallPart, Usage
from pollytool.providers.anthropic import AnthropicClient
from pollytool.request import CompletionRequest
from pollytool.schema import Schema
from tests.fakes.loopback import LoopbackServer, Reply
from tests.providers._contract import collect, final_message

pytestmark = pytest.mark.anyio

KEY = "sk-ant-test-0123456789abcdef"
PATH = "/v1/messages"
Frame = tuple[str, dict[str, Any]]


# --------------------------------------------------------------------------- SSE builders


def message_start(
    input_tokens: int = 10, *, cache_read: int = 0, cache_write: int = 0
) -> list[Frame]:
    usage = {
        "input_tokens": input_tokens,
        "output_tokens": 1,
        "cache_creation_input_tokens": cache_write,
        "cache_read_input_tokens": cache_read,
    }
    message: dict[str, Any] = {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage,
    }
    return [("message_start", {"type": "message_start", "message": message})]


def _block(index: int, block: dict[str, Any], deltas: list[dict[str, Any]]) -> list[Frame]:
    frames: list[Frame] = [
        ("content_block_start", {"type": "content_block_start", "index": index,
                                 "content_block": block}),
    ]  # fmt: skip
    frames += [
        ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d})
        for d in deltas
    ]
    frames.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    return frames


def text_block(index: int, *pieces: str) -> list[Frame]:
    deltas = [{"type": "text_delta", "text": p} for p in pieces]
    return _block(index, {"type": "text", "text": ""}, deltas)


def thinking_block(index: int, pieces: list[str], signature: str) -> list[Frame]:
    deltas: list[dict[str, Any]] = [{"type": "thinking_delta", "thinking": p} for p in pieces]
    deltas.append({"type": "signature_delta", "signature": signature})
    return _block(index, {"type": "thinking", "thinking": "", "signature": ""}, deltas)


def redacted_block(index: int, data: str) -> list[Frame]:
    return _block(index, {"type": "redacted_thinking", "data": data}, [])


def tool_block(index: int, call_id: str, name: str, *pieces: str) -> list[Frame]:
    deltas = [{"type": "input_json_delta", "partial_json": p} for p in pieces]
    return _block(index, {"type": "tool_use", "id": call_id, "name": name, "input": {}}, deltas)


def message_end(stop_reason: str, output_tokens: int, **usage: Any) -> list[Frame]:
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": None},
        "usage": {"output_tokens": output_tokens, **usage},
    }
    return [("message_delta", delta), ("message_stop", {"type": "message_stop"})]


def sse(*groups: list[Frame], cut: bool = False) -> Reply:
    """A streamed reply made of the frame groups, in order."""
    return Reply.sse([frame for group in groups for frame in group], cut=cut)


def user_request(model: str = "claude-sonnet-4-6", **kw: Any) -> CompletionRequest:
    return CompletionRequest(model, [ChatMessage.user("Hello")], **kw)


class SchemaTool:
    """A tool given by its name and JSON schema."""

    def __init__(self, name: str, schema: dict[str, Any] | None = None) -> None:
        self.name = name
        self.schema = schema or {"type": "object", "properties": {}}

    async def execute(self, args: dict[str, Any]) -> str:
        return json.dumps(args)


@pytest.fixture
async def client(loopback: LoopbackServer) -> AsyncIterator[AnthropicClient]:
    async with AnthropicClient(api_key=KEY, base_url=loopback.url, max_retries=0) as c:
        yield c


# --------------------------------------------------------------------------- events


async def test_stream_events_in_order(client: AnthropicClient, loopback: LoopbackServer) -> None:
    loopback.add("POST", PATH, sse(
        message_start(12),
        thinking_block(0, ["Need ", "weather."], "EqQBCkYIARgCIkA="),
        redacted_block(1, "EmwKAhgBEgy3va3pzix"),
        text_block(2, "Check", "ing."),
        tool_block(3, "toolu_01", "get_weather", '{"city": "Pa', 'ris"}'),
        message_end("tool_use", 42, input_tokens=12),
    ))  # fmt: skip
    events = await collect(client, user_request())
    kinds = [type(e).__name__ for e in events]
    assert kinds == [
        "UsageEvent", "ReasoningEvent", "ReasoningEvent", "ContentEvent", "ContentEvent",
        "ToolCallStartEvent", "ToolCallDeltaEvent", "ToolCallDeltaEvent", "ToolCallEvent",
        "UsageEvent", "CompleteEvent",
    ]  # fmt: skip
    message = final_message(events)
    assert message.content == "Checking."
    assert message.reasoning == "Need weather."
    assert [(c.id, c.name, c.args) for c in message.tool_calls] == [
        ("toolu_01", "get_weather", {"city": "Paris"})
    ]
    assert message.stop_reason == StopReason.TOOL_USE
    assert message.usage == Usage(12, 42)
    assert message.metadata == {"id": "msg_test", "model": "claude-test"}
    assert message.provider_metadata == {}
    assert message.response_parts == [
        ReasoningPart("Need weather.", {"anthropic": {"signature": "EqQBCkYIARgCIkA="}}),
        ReasoningPart("", {"anthropic": {"redacted_data": "EmwKAhgBEgy3va3pzix"}}),
        TextPart("Checking."),
        ToolCallPart("toolu_01"),
    ]


async def test_parallel_tool_calls_get_dense_indexes(
    client: AnthropicClient, loopback: LoopbackServer
) -> None:
    loopback.add("POST", PATH, sse(
        message_start(),
        text_block(0, "Both."),
        tool_block(1, "toolu_a", "one", '{"x": 1}'),
        tool_block(2, "toolu_b", "two", '{"y":', " 2}"),
        message_end("tool_use", 30),
    ))  # fmt: skip
    events = await collect(client, user_request())
    starts = [(e.index, e.id, e.name) for e in events if isinstance(e, ToolCallStartEvent)]
    assert starts == [(0, "toolu_a", "one"), (1, "toolu_b", "two")]
    deltas = [(e.index, e.arguments_delta) for e in events if isinstance(e, ToolCallDeltaEvent)]
    assert deltas == [(0, '{"x": 1}'), (1, '{"y":'), (1, " 2}")]
    done = [(e.index, e.tool_call.arguments) for e in events if isinstance(e, ToolCallEvent)]
    assert done == [(0, '{"x": 1}'), (1, '{"y": 2}')]


async def test_usage_is_cumulative_and_counts_the_cache(
    client: AnthropicClient, loopback: LoopbackServer
) -> None:
    loopback.add("POST", PATH, sse(
        message_start(10, cache_read=100, cache_write=50),
        text_block(0, "Hi"),
        message_end("end_turn", 20, output_tokens_details={"thinking_tokens": 7}),
    ))  # fmt: skip
    events = await collect(client, user_request())
    usages = [e.usage for e in events if isinstance(e, UsageEvent)]
    assert usages == [
        Usage(160, 1, 0, 100, 50),
        Usage(160, 20, 7, 100, 50),  # replaced, not added up
    ]
    assert final_message(events).usage == Usage(160, 20, 7, 100, 50)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("end_turn", StopReason.END_TURN),
        ("stop_sequence", StopReason.END_TURN),
        ("pause_turn", StopReason.END_TURN),
        ("max_tokens", StopReason.MAX_TOKENS),
        ("model_context_window_exceeded", StopReason.MAX_TOKENS),
        ("refusal", StopReason.CONTENT_FILTER),
    ],
)
async def test_stop_reasons(
    client: AnthropicClient, loopback: LoopbackServer, raw: str, reason: StopReason
) -> None:
    loopback.add("POST", PATH, sse(message_start(), text_block(0, "x"), message_end(raw, 3)))
    message = final_message(await collect(client, user_request()))
    assert (message.stop_reason, message.raw_stop_reason) == (reason, raw)


async def test_max_tokens_while_streaming_a_tool_call(
    client: AnthropicClient, loopback: LoopbackServer
) -> None:
    loopback.add("POST", PATH, sse(
        message_start(),
        text_block(0, "Let me look"),
        tool_block(1, "toolu_cut", "lookup", '{"query": "long'),
        message_end("max_tokens", 64),
    ))  # fmt: skip
    message = final_message(await collect(client, user_request(max_tokens=64)))
    assert message.stop_reason == StopReason.MAX_TOKENS
    assert message.content == "Let me look"
    assert [(c.id, c.arguments) for c in message.tool_calls] == [("toolu_cut", '{"query": "long')]
    assert loopback.requests[0].json()["max_tokens"] == 64


async def test_whole_blocks_in_start_events(
    client: AnthropicClient, loopback: LoopbackServer
) -> None:
    """Text and tool input that arrive in the start block (some proxies do that) count too."""
    tool = {"type": "tool_use", "id": "toolu_w", "name": "f", "input": {"a": [1, 2]}}
    loopback.add("POST", PATH, sse(
        message_start(),
        _block(0, {"type": "text", "text": "Whole"}, []),
        _block(1, {"type": "thinking", "thinking": "", "signature": "only-sig"}, []),
        _block(2, tool, []),
        message_end("tool_use", 9),
    ))  # fmt: skip
    events = await collect(client, user_request())
    message = final_message(events)
    assert message.content == "Whole"
    assert message.reasoning == ""
    assert [(c.id, c.args) for c in message.tool_calls] == [("toolu_w", {"a": [1, 2]})]
    assert message.response_parts == [
        TextPart("Whole"),
        ReasoningPart("", {"anthropic": {"signature": "only-sig"}}),
        ToolCallPart("toolu_w"),
    ]


async def test_server_tool_blocks_are_not_tool_calls(
    client: AnthropicClient, loopback: LoopbackServer
) -> None:
    server_tool = {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search",
                   "input": {}}  # fmt: skip
    loopback.add("POST", PATH, sse(
        message_start(),
        _block(0, server_tool, [{"type": "input_json_delta", "partial_json": '{"q": "x"}'}]),
        text_block(1, "Found it."),
        message_end("end_turn", 5),
    ))  # fmt: skip
    events = await collect(client, user_request())
    assert not [e for e in events if isinstance(e, ToolCallStartEvent | ToolCallEvent)]
    message = final_message(events)
    assert (message.content, message.tool_calls) == ("Found it.", [])


# --------------------------------------------------------------------------- non-streamed


def _whole_message(content: list[dict[str, Any]], stop_reason: str) -> dict[str, Any]:
    return {
        "id": "msg_test", "type": "message", "role": "assistant", "model": "claude-test",
        "content": content, "stop_reason": stop_reason, "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 42, "cache_read_input_tokens": 3,
                  "cache_creation_input_tokens": 0},
    }  # fmt: skip


async def test_non_streamed_reply_gives_the_same_message(
    client: AnthropicClient, loopback: LoopbackServer
) -> None:
    content: list[dict[str, Any]] = [
        {"type": "thinking", "thinking": "Need weather.", "signature": "sig=="},
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}},
    ]
    loopback.add("POST", PATH, Reply.json(_whole_message(content, "tool_use")))
    loopback.add("POST", PATH, sse(
        message_start(12, cache_read=3),
        thinking_block(0, ["Need weather."], "sig=="),
        text_block(1, "Checking."),
        tool_block(2, "toolu_01", "get_weather", '{"city": "Paris"}'),
        message_end("tool_use", 42),
    ))  # fmt: skip
    whole = await collect(client, user_request(stream=False))
    streamed = await collect(client, user_request(stream=True))
    assert loopback.requests[0].json().get("stream") is False
    assert [type(e) for e in whole if not isinstance(e, UsageEvent)] == [
        type(e) for e in streamed if not isinstance(e, UsageEvent)
    ]
    a, b = final_message(whole), final_message(streamed)
    assert a.to_dict() == b.to_dict()
    assert a.usage == Usage(15, 42, 0, 3, 0)


# --------------------------------------------------------------------------- structured output


BOOK = Schema(
    {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]},
    name="book",
)


async def test_forced_tool_structured_output_becomes_text(
    client: AnthropicClient, loopback: LoopbackServer
) -> None:
    loopback.add("POST", PATH, sse(
        message_start(),
        tool_block(0, "toolu_s", "book", '{"title": ', '"Dune"}'),
        message_end("tool_use", 12),
    ))  # fmt: skip
    events = await collect(client, user_request("claude-sonnet-4-0", response_schema=BOOK))
    sent = loopback.requests[0].json()
    assert sent["tool_choice"] == {"type": "tool", "name": "book"}
    assert [t["name"] for t in sent["tools"]] == ["book"]
    assert "output_config" not in sent
    assert [e.content for e in events if isinstance(e, ContentEvent)] == ['{"title": ', '"Dune"}']
    assert not [e for e in events if isinstance(e, ToolCallStartEvent | ToolCallEvent)]
    message = final_message(events)
    assert json.loads(message.content) == {"title": "Dune"}
    assert message.tool_calls == []
    assert (message.stop_reason, message.raw_stop_reason) == (StopReason.END_TURN, "tool_use")


async def test_forced_tool_structured_output_non_streamed(
    client: AnthropicClient, loopback: LoopbackServer
) -> None:
    content = [{"type": "tool_use", "id": "toolu_s", "name": "book", "input": {"title": "Dune"}}]
    loopback.add("POST", PATH, Reply.json(_whole_message(content, "tool_use")))
    events = await collect(
        client, user_request("claude-sonnet-4-0", response_schema=BOOK, stream=False)
    )
    message = final_message(events)
    assert json.loads(message.content) == {"title": "Dune"}
    assert (message.tool_calls, message.stop_reason) == ([], StopReason.END_TURN)


async def test_structured_output_tool_next_to_real_tools(
    client: AnthropicClient, loopback: LoopbackServer
) -> None:
    """With other tools offered the answer tool is not forced, and a real call stays a call."""

    loopback.add("POST", PATH, sse(
        message_start(), tool_block(0, "toolu_l", "lookup", "{}"), message_end("tool_use", 5)
    ))  # fmt: skip
    req = user_request("claude-sonnet-4-0", response_schema=BOOK, tools=[SchemaTool("lookup")])
    message = final_message(await collect(client, req))
    sent = loopback.requests[0].json()
    assert "tool_choice" not in sent
    assert [t["name"] for t in sent["tools"]] == ["lookup", "book"]
    assert [c.name for c in message.tool_calls] == ["lookup"]
    assert message.stop_reason == StopReason.TOOL_USE


async def test_reasoning_events_carry_thinking_text(
    client: AnthropicClient, loopback: LoopbackServer
) -> None:
    loopback.add("POST", PATH, sse(
        message_start(), thinking_block(0, ["a", "b", "c"], "s"), text_block(1, "ok"),
        message_end("end_turn", 4),
    ))  # fmt: skip
    events = await collect(client, user_request(thinking="low"))
    assert [e.content for e in events if isinstance(e, ReasoningEvent)] == ["a", "b", "c"]
    assert final_message(events).response_parts[0] == ReasoningPart(
        "abc", {"anthropic": {"signature": "s"}}
    )
