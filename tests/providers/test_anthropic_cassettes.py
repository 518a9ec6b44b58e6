"""Every recorded Anthropic Messages exchange, replayed through AnthropicClient and the real SDK.

The request is rebuilt from the recorded request body (for a follow-up turn: from the
adapter's own previous reply plus the recorded tool results or user text), the request the
adapter sends is compared with the recorded one, and the expected events are derived from the
recorded response bodies.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from pollytool.errors import (
    AuthenticationError,
    InvalidRequestError,
    ModelNotFoundError,
    ProviderError,
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
from pollytool.messages import (
    ChatMessage,
    ContentPart,
    ImagePart,
    ImageURLPart,
    MessageRole,
    ReasoningPart,
    StopReason,
    TextPart,
    Usage,
)
from pollytool.providers.anthropic import AnthropicClient
from pollytool.providers.anthropic._dialect import to_anthropic
from pollytool.request import CompletionRequest
from pollytool.schema import Schema
from pollytool.thinking import Thinking
from tests.fakes.cassettes import cassette_ids, load_cassette
from tests.fakes.loopback import LoopbackServer
from tests.providers._contract import collect
from tests.providers.test_anthropic_stream import KEY, SchemaTool

pytestmark = [
    pytest.mark.anyio,
    # the SDK warns about the older models some recordings used
    pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning"),
]

CASSETTES = cassette_ids(provider="anthropic")
STOP_REASONS = {
    "end_turn": StopReason.END_TURN,
    "tool_use": StopReason.TOOL_USE,
    "max_tokens": StopReason.MAX_TOKENS,
}
ERROR_CLASSES = {400: InvalidRequestError, 401: AuthenticationError, 404: ModelNotFoundError}


# --------------------------------------------------------------------------- recorded requests


def _parts(content: str | list[dict[str, Any]]) -> list[ContentPart]:
    if isinstance(content, str):
        return [TextPart(content)]
    parts: list[ContentPart] = []
    for block in content:
        if block["type"] == "text":
            parts.append(TextPart(block["text"]))
        elif block["source"]["type"] == "base64":
            source = block["source"]
            parts.append(ImagePart(base64.b64decode(source["data"]), source["media_type"]))
        else:
            parts.append(ImageURLPart(block["source"]["url"]))
    return parts


def messages_from_recorded(recorded: list[dict[str, Any]]) -> list[ChatMessage]:
    """User turns (text, images) and tool results of a recorded request, as ChatMessages."""
    out: list[ChatMessage] = []
    for message in recorded:
        assert message["role"] == "user", "assistant turns come from the adapter's own replies"
        content = message["content"]
        if isinstance(content, list) and content and content[0]["type"] == "tool_result":
            for block in content:
                text = block["content"]
                out.append(
                    ChatMessage.tool_result(
                        block["tool_use_id"], text, is_error=bool(block.get("is_error"))
                    )
                )
        else:
            out.append(ChatMessage(MessageRole.USER, "", _parts(content)))
    return out


def request_from_recorded(body: dict[str, Any], history: list[ChatMessage]) -> CompletionRequest:
    system = [ChatMessage.system(block["text"]) for block in body.get("system", [])]
    thinking: Thinking = Thinking.default()
    if body.get("thinking", {}).get("type") == "enabled":
        thinking = Thinking.budget(body["thinking"]["budget_tokens"])
    elif "effort" in body.get("output_config", {}):
        thinking = Thinking.level(body["output_config"]["effort"])
    tools = [
        SchemaTool(t["name"], {**t["input_schema"], "description": t.get("description", "")})
        for t in body.get("tools", [])
    ]
    output_format = body.get("output_format")
    cached = any(block.get("cache_control") for block in body.get("system", []))
    return CompletionRequest(
        body["model"],
        [*system, *history],
        temperature=body.get("temperature"),
        max_tokens=body["max_tokens"],
        tools=tools,
        response_schema=Schema(output_format["schema"]) if output_format else None,
        thinking=thinking,
        stream=bool(body.get("stream")),
        tool_choice=body["tool_choice"]["type"] if "tool_choice" in body else None,
        provider_options={"cache": True} if cached else {},
    )


def _normalised(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages with string content as one text block, without ``None`` values, defaults
    (``is_error: false``) and cache breakpoints (compared separately)."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: clean(v)
                for k, v in value.items()
                if v is not None and k != "cache_control" and (k, v) != ("is_error", False)
            }
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    out = []
    for message in messages:
        content = message["content"]
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        out.append({"role": message["role"], "content": clean(content)})
    return out


def assert_request_matches(sent: dict[str, Any], recorded: dict[str, Any]) -> None:
    assert sent["model"] == recorded["model"]
    assert sent["max_tokens"] == recorded["max_tokens"]
    assert bool(sent.get("stream")) == bool(recorded.get("stream"))
    assert _normalised(sent["messages"]) == _normalised(recorded["messages"])
    if recorded.get("thinking"):
        assert sent["thinking"] == recorded["thinking"]
        assert "temperature" not in sent  # never sent while thinking
    elif "temperature" in recorded:
        assert sent["temperature"] == recorded["temperature"]
    if "effort" in recorded.get("output_config", {}):
        # claude-opus-4-6 rejected "xhigh" in this recording; the adapter sends its nearest level
        assert sent["thinking"] == {"type": "adaptive"}
        assert sent["output_config"]["effort"] == "high"
    assert sent.get("system", []) == recorded.get("system", [])
    sent_tools = [
        (t["name"], t["input_schema"], t.get("cache_control")) for t in sent.get("tools", [])
    ]
    recorded_tools = [
        (t["name"], t["input_schema"], t.get("cache_control")) for t in recorded.get("tools", [])
    ]
    assert sent_tools == recorded_tools
    assert sent.get("tool_choice") == recorded.get("tool_choice")
    if "output_format" in recorded:
        assert sent["output_config"]["format"] == {
            "type": "json_schema",
            "schema": to_anthropic(recorded["output_format"]["schema"], output=True),
        }
    if any(block.get("cache_control") for block in recorded.get("system", [])):
        assert sent["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}


# --------------------------------------------------------------------------- recorded responses


@dataclass
class Expected:
    text: str = ""
    thinking: str = ""
    tool_calls: list[tuple[str, str, Any]] = field(default_factory=list)
    kept: list[dict[str, Any]] = field(default_factory=list)
    usage: Usage | None = None
    stop_reason: str | None = None


def _sse_payloads(body: str) -> list[dict[str, Any]]:
    payloads = []
    for frame in body.split("\n\n"):
        for line in frame.splitlines():
            if line.startswith("data:"):
                payloads.append(json.loads(line[len("data:") :]))
    return payloads


def _blocks_from_stream(
    payloads: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    blocks: dict[int, dict[str, Any]] = {}
    usage: dict[str, Any] = {}
    stop = ""
    for p in payloads:
        if p["type"] == "message_start":
            usage.update(p["message"]["usage"])
        elif p["type"] == "content_block_start":
            blocks[p["index"]] = {**p["content_block"], "_json": ""}
        elif p["type"] == "content_block_delta":
            block, delta = blocks[p["index"]], p["delta"]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            elif delta["type"] == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "signature_delta":
                block["signature"] += delta["signature"]
            elif delta["type"] == "input_json_delta":
                block["_json"] += delta["partial_json"]
        elif p["type"] == "message_delta":
            usage.update({k: v for k, v in p["usage"].items() if v is not None})
            stop = p["delta"]["stop_reason"]
    for block in blocks.values():
        if block["type"] == "tool_use" and block["_json"]:
            block["input"] = json.loads(block["_json"])
    return [blocks[i] for i in sorted(blocks)], usage, stop


def expected_from(response: dict[str, Any]) -> Expected:
    if response["body_kind"] == "sse":
        blocks, usage, stop = _blocks_from_stream(_sse_payloads(response["body"]))
    else:
        body = json.loads(response["body"])
        blocks, usage, stop = body["content"], body["usage"], body["stop_reason"]
    expected = Expected(stop_reason=stop)
    for block in blocks:
        if block["type"] == "text":
            expected.text += block["text"]
        elif block["type"] == "thinking":
            expected.thinking += block["thinking"]
            expected.kept.append(
                {"type": "thinking", "thinking": block["thinking"], "signature": block["signature"]}
            )
        elif block["type"] == "redacted_thinking":
            expected.kept.append({"type": "redacted_thinking", "data": block["data"]})
        elif block["type"] == "tool_use":
            expected.tool_calls.append((block["id"], block["name"], block["input"]))
    cache_read = usage.get("cache_read_input_tokens") or 0
    cache_write = usage.get("cache_creation_input_tokens") or 0
    expected.usage = Usage(
        input_tokens=usage["input_tokens"] + cache_read + cache_write,
        output_tokens=usage["output_tokens"],
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
    )
    return expected


def check_events(events: list[StreamEvent], expected: Expected) -> ChatMessage:
    """The events carry exactly what the recording says; returns the final message."""
    assert not [e for e in events if isinstance(e, ErrorEvent)], events[-1]
    assert isinstance(events[-1], CompleteEvent)
    assert sum(isinstance(e, CompleteEvent) for e in events) == 1
    message = events[-1].message
    text = "".join(e.content for e in events if isinstance(e, ContentEvent))
    assert text == message.content == expected.text
    thinking = "".join(e.content for e in events if isinstance(e, ReasoningEvent))
    assert thinking == message.reasoning == expected.thinking
    calls = [e.tool_call for e in events if isinstance(e, ToolCallEvent)]
    assert [(c.id, c.name, c.args) for c in calls] == expected.tool_calls
    assert [(c.id, c.name, c.args) for c in message.tool_calls] == expected.tool_calls
    for index, call in enumerate(calls):
        starts = [e for e in events if isinstance(e, ToolCallStartEvent) and e.index == index]
        assert [(s.id, s.name) for s in starts] == [(call.id, call.name)]
        deltas = [e for e in events if isinstance(e, ToolCallDeltaEvent) and e.index == index]
        assert "".join(d.arguments_delta for d in deltas) in (call.arguments, "")
    usages = [e.usage for e in events if isinstance(e, UsageEvent)]
    assert usages and usages[-1] == message.usage == expected.usage
    assert message.stop_reason == STOP_REASONS[expected.stop_reason or ""]
    assert message.raw_stop_reason == expected.stop_reason
    assert kept_blocks(message) == expected.kept
    assert message.provider_metadata == {}
    return message


def kept_blocks(message: ChatMessage) -> list[dict[str, Any]]:
    """The thinking blocks the message's reasoning parts carry, as Anthropic sent them."""
    blocks: list[dict[str, Any]] = []
    for part in message.response_parts:
        data = getattr(part, "provider_data", {}).get("anthropic")
        if isinstance(part, ReasoningPart) and data:
            if "redacted_data" in data:
                blocks.append({"type": "redacted_thinking", "data": data["redacted_data"]})
            else:
                blocks.append({"type": "thinking", "thinking": part.text,
                               "signature": data["signature"]})  # fmt: skip
    return blocks


def check_error(events: list[StreamEvent], response: dict[str, Any]) -> None:
    assert len(events) == 1 and isinstance(events[0], ErrorEvent)
    error = events[0].error
    body = json.loads(response["body"])
    assert isinstance(error, ERROR_CLASSES[response["status"]])
    assert isinstance(error, ProviderError)
    assert error.status_code == response["status"]
    assert error.provider == "anthropic"
    assert error.code == body["error"]["type"]
    assert error.message == body["error"]["message"]
    assert error.request_id == (response["headers"].get("request-id") or body["request_id"])
    assert KEY not in str(error) and KEY not in repr(error)


# --------------------------------------------------------------------------- the test


@pytest.mark.parametrize("cassette_id", CASSETTES)
async def test_cassette_replays_through_the_adapter(
    cassette_id: str, loopback: LoopbackServer
) -> None:
    cassette = load_cassette(cassette_id)
    loopback.replay(cassette)
    history: list[ChatMessage] = []
    seen = 0  # recorded messages already in the history
    async with AnthropicClient(api_key=KEY, base_url=loopback.url, max_retries=0) as client:
        for turn, interaction in enumerate(cassette["interactions"]):
            recorded = interaction["request"]["body"]
            history += messages_from_recorded(recorded["messages"][seen:])
            events = await collect(client, request_from_recorded(recorded, history))
            assert len(loopback.requests) == turn + 1, events
            sent = loopback.requests[turn]
            assert sent.path == "/v1/messages"
            assert sent.headers["authorization"] == f"Bearer {KEY}"
            assert_request_matches(sent.json(), recorded)
            response = interaction["response"]
            if response["status"] >= 400:
                check_error(events, response)
                continue
            history.append(check_events(events, expected_from(response)))
            seen = len(recorded["messages"]) + 1  # + the assistant reply just received
    assert len(loopback.requests) == len(cassette["interactions"])
    assert loopback.pending == 0


def test_every_anthropic_cassette_is_covered() -> None:
    assert len(CASSETTES) >= 19
    assert all(load_cassette(c)["api"] == "anthropic.messages" for c in CASSETTES)
