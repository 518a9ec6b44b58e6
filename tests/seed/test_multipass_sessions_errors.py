"""Seed sections "MultiPass Provider", "Structured Output", "Session Management",
"Error Handling", "Advanced Examples: Example with Sessions" and "Thread Safety"."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import anyio
import pytest

from pollytool import (
    ChatMessage,
    CompletionRequest,
    ContextLengthError,
    EventType,
    FileSessionStore,
    MessageRole,
    MultiPass,
    RateLimitError,
    Schema,
)
from pollytool.llm import OpenAIClient
from tests.examples._support import SECRET, cassette_text, chat_error, chat_stream, replay
from tests.fakes.loopback import LoopbackServer
from tests.seed.test_helpers import JOHN

pytestmark = pytest.mark.anyio


async def test_multipass_provider(loopback: LoopbackServer) -> None:
    """MultiPass with explicit keys; a request with temperature, max tokens and timeout;
    the events handled by type."""
    replay(loopback, "anthropic/messages__stream_text")
    api_keys = {"openai": SECRET, "anthropic": SECRET, "gemini": SECRET, "ollama": ""}
    multipass = MultiPass(api_keys, base_urls={"anthropic": loopback.url})
    req = CompletionRequest(
        model="anthropic/claude-opus-4-7",
        messages=[
            ChatMessage(MessageRole.SYSTEM, "You are a helpful assistant."),
            ChatMessage(MessageRole.USER, "Hello, how are you?"),
        ],
        temperature=0.7,
        max_tokens=1000,
        timeout=30,
    )
    printed: list[str] = []
    complete = None
    async for event in multipass.chat_completion_stream(req, processor=None):
        if event.type == EventType.CONTENT:
            printed.append(event.content)
        elif event.type == EventType.COMPLETE:
            complete = event.message
        elif event.type == EventType.ERROR:
            raise event.error
    await multipass.aclose()
    assert complete is not None and complete.content == "".join(printed)
    assert complete.content == cassette_text("anthropic/messages__stream_text")
    sent = loopback.requests[0]
    assert SECRET in {sent.headers.get("x-api-key"), sent.headers.get("authorization", "")[7:]}
    body = sent.json()
    assert body["model"] == "claude-opus-4-7" and body["max_tokens"] == 1000
    assert "temperature" not in body  # Opus 4.7 rejects it; the adapter leaves it out
    assert body["messages"] == [{"role": "user", "content": "Hello, how are you?"}]
    assert "You are a helpful assistant." in str(body["system"])


async def test_structured_output_schema(router: MultiPass, loopback: LoopbackServer) -> None:
    """Structured Output: a named schema on the request; the reply validates against it."""
    loopback.add("POST", "/v1/chat/completions", chat_stream(JOHN))
    schema = Schema(
        {
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "User's full name"},
                "age": {"type": "integer", "description": "User's age"},
                "email": {
                    "type": "string",
                    "format": "email",
                    "description": "User's email address",
                },
            },
            "required": ["name", "email"],
        },
        name="UserInfo",
    )
    req = CompletionRequest(
        "openai/gpt-5.4",
        [ChatMessage.user("Extract user info from: John Doe, 30 years old, john@example.com")],
        response_schema=schema,
    )
    reply = await router.stream(req).collect()
    assert schema.parse(reply.content) == {
        "name": "John Doe", "age": 30, "email": "john@example.com",
    }  # fmt: skip
    sent = loopback.requests[0].json()["response_format"]["json_schema"]
    assert sent["name"] == "UserInfo"
    assert sent["schema"]["properties"]["name"]["description"] == "User's full name"


async def test_session_management(tmp_path: Path) -> None:
    """Session Management: get or create, add, history, clear, close."""
    store = FileSessionStore(tmp_path / "contexts")
    session = await store.get("my-session-id")
    try:
        await session.add_message(ChatMessage(MessageRole.USER, "Hello!"))
        history = await session.get_history()
        assert history == [ChatMessage.user("Hello!")]
        assert (tmp_path / "contexts").is_dir()
        await session.clear()
        assert await session.get_history() == []
    finally:
        await session.close()  # releases the handle
    assert await store.list() == ["my-session-id"]


async def test_error_handling_by_type(router: MultiPass, loopback: LoopbackServer) -> None:
    """Error Handling, with typed errors instead of matching strings: back off on a rate
    limit for the time the provider asked, truncate the history when it is too long."""
    rate_limited = chat_error(429, "Rate limit reached", "rate_limit_exceeded",
                              {"retry-after-ms": "5"})  # fmt: skip
    too_long = chat_error(400, "maximum context length exceeded", "context_length_exceeded")
    # three 429s: the vendor client's two retries, then the error reaches the caller
    loopback.add("POST", "/v1/chat/completions", rate_limited, rate_limited, rate_limited,
                 too_long, chat_stream("Done."))  # fmt: skip
    history = [ChatMessage.user(f"message {n}") for n in range(12)]
    req = CompletionRequest("openai/gpt-5.4", history)
    seen: list[type] = []
    answer = None
    while answer is None:
        async for event in router.stream(req):
            if event.type == EventType.ERROR:
                seen.append(type(event.error))
                match event.error:
                    case RateLimitError(retry_after=float(wait)):
                        await anyio.sleep(wait)
                    case ContextLengthError():
                        req = dataclasses.replace(req, messages=req.messages[-5:])
                    case _:
                        raise event.error
            elif event.type == EventType.COMPLETE:
                answer = event.message.content
    assert seen == [RateLimitError, ContextLengthError] and answer == "Done."
    assert [len(r.json()["messages"]) for r in loopback.requests] == [12, 12, 12, 12, 5]


async def test_example_with_sessions(
    loopback: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Advanced Examples: a direct client, the default file store, the session's history as
    the request, the reply stored on ``complete``; run twice, as two program runs."""
    monkeypatch.setenv("HOME", str(tmp_path))
    replay(loopback, "openai/chat__stream_text", "openai/chat__stream_text")

    async def program_run() -> str:
        client = OpenAIClient(api_key=SECRET, base_url=loopback.url + "/v1")
        store = FileSessionStore()  # ~/.pollytool/contexts
        async with store.session("example-session") as session, client:
            if not await session.get_history():
                await session.add_message(
                    ChatMessage(MessageRole.SYSTEM, "You are a helpful AI assistant.")
                )
            await session.add_message(ChatMessage(MessageRole.USER, "Tell me a joke"))
            req = CompletionRequest("gpt-5.4", await session.get_history(), temperature=0.7,
                                    max_tokens=500, timeout=30)  # fmt: skip
            printed = []
            async for event in client.chat_completion_stream(req, None):
                if event.type == EventType.CONTENT:
                    printed.append(event.content)
                elif event.type == EventType.COMPLETE:
                    await session.add_message(event.message)
                elif event.type == EventType.ERROR:
                    raise event.error
            return "".join(printed)

    assert await program_run() == await program_run() == cassette_text("openai/chat__stream_text")
    second = loopback.requests[1].json()["messages"]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    assert (tmp_path / ".pollytool" / "contexts").is_dir()
    async with FileSessionStore() as store:
        history = await (await store.get("example-session")).get_history()
    assert len(history) == 5 and history[-1].usage is not None


async def test_thread_safety(router: MultiPass, loopback: LoopbackServer, tmp_path: Path) -> None:
    """Thread Safety: one router shared by concurrent tasks; a store shared by concurrent
    tasks, each with its own session."""
    for _ in range(4):
        replay(loopback, "openai/chat__stream_text")
    replies: list[str] = []
    store = FileSessionStore(tmp_path)

    async def one_user(n: int) -> None:
        req = CompletionRequest("openai/gpt-5.4", [ChatMessage.user(f"question {n}")])
        reply = await router.stream(req).collect()
        replies.append(reply.content)
        async with store.session(f"user-{n}") as session:
            await session.add_messages([*req.messages, reply])

    async with anyio.create_task_group() as tg:
        for n in range(4):
            tg.start_soon(one_user, n)
    assert replies == [cassette_text("openai/chat__stream_text")] * 4
    assert sorted(await store.list()) == [f"user-{n}" for n in range(4)]
    for n in range(4):
        async with store.session(f"user-{n}") as session:
            assert (await session.get_history())[0].content == f"question {n}"
