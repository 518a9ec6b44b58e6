"""Seed sections "Quick Start" and "Helper Functions"."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pollytool import ChatMessage, MessageRole, MultiPass, Schema
from pollytool.llm import chat_with_history, quick_complete, stream_complete, structured_complete
from tests.examples._support import cassette_text, chat_stream, replay
from tests.fakes.loopback import LoopbackServer

pytestmark = pytest.mark.anyio


async def test_quick_start(router: MultiPass, loopback: LoopbackServer) -> None:
    """Quick Start: ``QuickComplete`` then ``StreamComplete`` printing each chunk."""
    replay(loopback, "openai/chat__stream_text", "openai/chat__stream_text")
    joke = await quick_complete("openai/gpt-5.4", "Tell me a joke", 500, client=router)
    printed: list[str] = []
    story = await stream_complete("openai/gpt-5.4", "Write a short story", 500,
                                  printed.append, client=router)  # fmt: skip
    expected = cassette_text("openai/chat__stream_text")
    assert joke == story == expected
    assert len(printed) > 1 and "".join(printed) == expected
    assert [r.json()["max_tokens"] for r in loopback.requests] == [500, 500]


async def test_one_line_completions(router: MultiPass, loopback: LoopbackServer) -> None:
    """One-line Completions: the same call for OpenAI and Anthropic, keys from the env."""
    replay(loopback, "openai/chat__stream_text", "anthropic/messages__stream_text")
    response = await quick_complete("openai/gpt-5.4", "Tell me a joke", 1000, client=router)
    story = await quick_complete("anthropic/claude-opus-4-7", "Write a story", 4000,
                                 client=router)  # fmt: skip
    assert response == cassette_text("openai/chat__stream_text")
    assert story == cassette_text("anthropic/messages__stream_text")
    openai, anthropic = loopback.requests
    assert openai.path == "/v1/chat/completions" and openai.json()["max_tokens"] == 1000
    assert anthropic.path == "/v1/messages" and anthropic.json()["max_tokens"] == 4000
    assert anthropic.json()["model"] == "claude-opus-4-7"


async def test_streaming_with_callback(router: MultiPass, loopback: LoopbackServer) -> None:
    """Streaming with Callback: an async callback works too."""
    replay(loopback, "gemini/stream__text_sse", match_path=False)
    chunks: list[str] = []

    async def on_chunk(chunk: str) -> None:
        chunks.append(chunk)

    await stream_complete("gemini/gemini-3.1-pro-preview", "Write a story", 2000,
                          on_chunk, client=router)  # fmt: skip
    assert "".join(chunks) == cassette_text("gemini/stream__text_sse") and len(chunks) == 2
    sent = loopback.requests[0]
    assert sent.path == "/v1beta/models/gemini-3.1-pro-preview:streamGenerateContent"
    assert sent.json()["generationConfig"]["maxOutputTokens"] == 2000


async def test_conversation_with_history(router: MultiPass, loopback: LoopbackServer) -> None:
    """Conversation with History: the history goes first, then the new message; the caller's
    list is not changed."""
    replay(loopback, "openai/chat__stream_text")
    history = [
        ChatMessage(MessageRole.SYSTEM, "You are helpful"),
        ChatMessage(MessageRole.USER, "Hi"),
        ChatMessage(MessageRole.ASSISTANT, "Hello! How can I help?"),
    ]
    response = await chat_with_history(
        "openai/gpt-5.4", history, "What did I just say?", 1000, client=router
    )
    assert response.role == MessageRole.ASSISTANT
    assert response.content == cassette_text("openai/chat__stream_text")
    assert len(history) == 3
    assert loopback.requests[0].json()["messages"] == [
        {"role": "system", "content": "You are helpful"},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "What did I just say?"},
    ]


@dataclass
class UserInfo:
    name: str
    email: str
    age: int = 0


JOHN = '{"name": "John Doe", "age": 30, "email": "john@example.com"}'
USER_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer"},
        "email": {"type": "string"},
    },
    "required": ["name", "email"],
}


async def test_structured_json_output(router: MultiPass, loopback: LoopbackServer) -> None:
    """Structured JSON Output: a raw JSON schema in, the parsed object out."""
    loopback.add("POST", "/v1/chat/completions", chat_stream(JOHN))
    schema = Schema(USER_SCHEMA)
    data = await structured_complete("openai/gpt-5.4", "Extract: John Doe, 30, john@example.com",
                                     schema, 500, client=router)  # fmt: skip
    user = UserInfo(**data)
    assert user == UserInfo(name="John Doe", email="john@example.com", age=30)
    sent = loopback.requests[0].json()
    assert sent["response_format"]["type"] == "json_schema"
    assert set(sent["response_format"]["json_schema"]["schema"]["properties"]) == {
        "name", "age", "email",
    }  # fmt: skip


async def test_structured_json_output_into_the_struct(
    router: MultiPass, loopback: LoopbackServer
) -> None:
    """The same, decoding straight into the result type (the seed's ``&user``)."""
    loopback.add("POST", "/v1/chat/completions", chat_stream(JOHN))
    user = await structured_complete("openai/gpt-5.4", "Extract: John Doe, 30, john@example.com",
                                     UserInfo, 500, client=router)  # fmt: skip
    assert user == UserInfo(name="John Doe", email="john@example.com", age=30)
