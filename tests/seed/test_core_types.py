"""Seed section "Core Interfaces": the LLM interface, CompletionRequest, message types,
roles, streaming events; "Provider Support": model identifiers; "Direct Provider Usage"."""

from __future__ import annotations

import pytest

from pollytool import (
    LLM,
    ChatMessage,
    ChatMessageToolCall,
    CompletionRequest,
    EventType,
    MessageRole,
    MultiPass,
    Schema,
)
from pollytool.errors import InvalidModelError, MissingAPIKeyError, UnknownProviderError
from pollytool.llm import AnthropicClient, GeminiClient, OllamaClient, OpenAIClient
from tests.examples._support import SECRET, cassette_text, replay
from tests.fakes.loopback import LoopbackServer

pytestmark = pytest.mark.anyio


async def test_llm_interface(router: MultiPass, loopback: LoopbackServer) -> None:
    """``LLM.ChatCompletionStream(ctx, req, processor)``: ``stream(req)`` and its
    seed-named alias yield the same events."""
    replay(loopback, "openai/chat__stream_text", "openai/chat__stream_text")
    assert isinstance(router, LLM)
    req = CompletionRequest("openai/gpt-5.4", [ChatMessage.user("What is 4200 + 42?")])
    via_stream = [e.type async for e in router.stream(req)]
    via_alias = [e.type async for e in router.chat_completion_stream(req, None)]
    assert via_stream == via_alias and via_stream[-1] == EventType.COMPLETE


def test_completion_request_fields() -> None:
    """CompletionRequest: every seed field, with Python types (seconds as floats)."""
    schema = Schema({"type": "object", "properties": {}})
    req = CompletionRequest(
        model="gpt-5.4",
        messages=[ChatMessage.user("Hi")],
        temperature=0.7,
        max_tokens=1000,
        tools=[],
        response_schema=schema,
        timeout=30.0,
        base_url="http://127.0.0.1:8080/v1",
        skills=None,
    )
    assert (req.model, req.temperature, req.max_tokens, req.timeout) == ("gpt-5.4", 0.7, 1000, 30)
    assert req.response_schema is schema and req.base_url == "http://127.0.0.1:8080/v1"
    assert CompletionRequest("gpt-5.4").temperature is None  # unset means "not sent"


def test_message_types_and_roles() -> None:
    """ChatMessage, ChatMessageToolCall and the four roles."""
    call = ChatMessageToolCall(id="call_1", name="get_weather", arguments='{"location": "NYC"}')
    assistant = ChatMessage(role=MessageRole.ASSISTANT, content="", tool_calls=[call])
    answer = ChatMessage(role=MessageRole.TOOL, content="Sunny", tool_call_id="call_1")
    assert call.args == {"location": "NYC"}
    assert [r.value for r in MessageRole] == ["system", "user", "assistant", "tool"]
    assert ChatMessage(role="user", content="Hi").role is MessageRole.USER
    assert ChatMessage.from_dict(assistant.to_dict()) == assistant
    assert answer.to_dict() == {"role": "tool", "content": "Sunny", "tool_call_id": "call_1"}


def test_streaming_event_types() -> None:
    """The seed's four event types keep their names; pollytool adds the others."""
    assert EventType.CONTENT == "content" and EventType.TOOL_CALL == "tool_call"
    assert EventType.COMPLETE == "complete" and EventType.ERROR == "error"


async def test_model_identifiers(router: MultiPass, loopback: LoopbackServer) -> None:
    """``provider/model`` routes to each provider's API."""
    replay(loopback, "openai/chat__stream_text", "anthropic/messages__stream_text")
    replay(loopback, "gemini/stream__text_sse", "ollama/chat__stream_text", match_path=False)
    replies = []
    for model in ["openai/gpt-5.4-mini", "anthropic/claude-sonnet-4-6",
                  "gemini/gemini-3.1-flash-lite-preview", "ollama/gpt-oss"]:  # fmt: skip
        req = CompletionRequest(model, [ChatMessage.user("What is 4200 + 42?")])
        replies.append(await router.stream(req).text())
    assert replies == [
        cassette_text("openai/chat__stream_text"),
        cassette_text("anthropic/messages__stream_text"),
        cassette_text("gemini/stream__text_sse"),
        cassette_text("ollama/chat__stream_text"),
    ]
    assert [r.path for r in loopback.requests] == [
        "/v1/chat/completions",
        "/v1/messages",
        "/v1beta/models/gemini-3.1-flash-lite-preview:streamGenerateContent",
        "/api/chat",
    ]


async def test_model_identifier_mistakes_are_typed_errors() -> None:
    router = MultiPass(env={})
    errors = []
    for model in ["gpt-5.4", "mistral/large", "openai/gpt-5.4"]:
        async for event in router.stream(CompletionRequest(model, [ChatMessage.user("Hi")])):
            assert event.type == EventType.ERROR
            errors.append(event.error)
    assert isinstance(errors[0], InvalidModelError) and "'openai/gpt-5.4'" in str(errors[0])
    assert isinstance(errors[1], UnknownProviderError) and "anthropic" in str(errors[1])
    assert isinstance(errors[2], MissingAPIKeyError) and "POLLYTOOL_OPENAIKEY" in str(errors[2])


async def test_direct_provider_usage(loopback: LoopbackServer) -> None:
    """Direct Provider Usage: each client takes the bare model name."""
    replay(loopback, "openai/chat__stream_text", "anthropic/messages__stream_text")
    replay(loopback, "gemini/stream__text_sse", "ollama/chat__stream_text", match_path=False)
    clients = [
        (OpenAIClient(api_key=SECRET, base_url=loopback.url + "/v1"), "gpt-5.4"),
        (AnthropicClient(api_key=SECRET, base_url=loopback.url), "claude-opus-4-7"),
        (GeminiClient(api_key=SECRET, base_url=loopback.url), "gemini-3.1-pro-preview"),
        (OllamaClient(base_url=loopback.url), "gpt-oss"),  # the key can be empty locally
    ]
    for client, model in clients:
        async with client:
            reply = await client.stream(
                CompletionRequest(model, [ChatMessage.user("Hi")])
            ).collect()
            assert reply.content
    assert [r.json().get("model") for r in loopback.requests] == [
        "gpt-5.4", "claude-opus-4-7", None, "gpt-oss",
    ]  # fmt: skip
