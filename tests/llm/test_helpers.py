"""One-call helpers: quick_complete, stream_complete, stream_text, chat_with_history."""

from __future__ import annotations

import pytest

from pollytool.errors import AuthenticationError, ResponseError
from pollytool.llm.helpers import (
    TextStream,
    chat_with_history,
    quick_complete,
    shared_client,
    stream_complete,
    stream_text,
)
from pollytool.llm.router import MultiPass
from pollytool.messages import ChatMessage, MessageRole
from pollytool.providers.fake import FakeLLM, fail, text

pytestmark = pytest.mark.anyio


async def test_quick_complete_sends_one_user_message_and_returns_the_text() -> None:
    fake = FakeLLM([text("Why did the", chunk_size=4), text(" chicken…")])
    answer = await quick_complete("m", "Tell me a joke", 500, client=fake, temperature=0.2)
    assert answer == "Why did the chicken…"
    (req,) = fake.requests
    assert req.messages == [ChatMessage.user("Tell me a joke")]
    assert (req.max_tokens, req.temperature) == (500, 0.2)


async def test_helpers_raise_the_typed_error() -> None:
    fake = FakeLLM([fail(AuthenticationError("bad key", provider="fake", status_code=401))])
    with pytest.raises(AuthenticationError, match="bad key"):
        await quick_complete("m", "hi", client=fake)


async def test_stream_complete_calls_back_per_chunk_and_returns_the_text() -> None:
    chunks: list[str] = []
    fake = FakeLLM([text("abcdef", chunk_size=2)])
    whole = await stream_complete("m", "Write", 500, chunks.append, client=fake)
    assert chunks == ["ab", "cd", "ef"]
    assert whole == "abcdef"
    assert fake.requests[0].max_tokens == 500


async def test_stream_complete_takes_its_arguments_by_keyword_too() -> None:
    chunks: list[str] = []
    fake = FakeLLM([text("abcd", chunk_size=2)], "ef")
    await stream_complete("m", "Write", on_chunk=chunks.append, client=fake)
    await stream_complete("m", "Write", max_tokens=7, on_chunk=chunks.append, client=fake)
    assert chunks == ["ab", "cd", "ef"]
    assert [r.max_tokens for r in fake.requests] == [None, 7]


async def test_stream_complete_in_the_old_order_gets_a_clear_error() -> None:
    chunks: list[str] = []
    with pytest.raises(TypeError, match=r"stream_complete\(model, prompt, max_tokens, on_chunk\)"):
        await stream_complete("m", "Write", chunks.append, client=FakeLLM("x"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="on_chunk is required"):
        await stream_complete("m", "Write", 10, client=FakeLLM("x"))


async def test_stream_complete_awaits_async_callbacks() -> None:
    chunks: list[str] = []

    async def on_chunk(chunk: str) -> None:
        chunks.append(chunk.upper())

    await stream_complete(
        "m", "Write", None, on_chunk, client=FakeLLM([text("abcd", chunk_size=2)])
    )
    assert chunks == ["AB", "CD"]


async def test_stream_complete_raises_after_the_chunks_that_arrived() -> None:
    chunks: list[str] = []
    fake = FakeLLM([text("partial"), fail(ResponseError("cut off"))])
    with pytest.raises(ResponseError, match="cut off"):
        await stream_complete("m", "Write", on_chunk=chunks.append, client=fake)
    assert chunks == ["partial"]


async def test_stream_text_iterates_the_reply_text() -> None:
    fake = FakeLLM([text("one two three", chunk_size=4)])
    async with stream_text("m", "Count", client=fake) as chunks:
        assert isinstance(chunks, TextStream)
        pieces = [piece async for piece in chunks]
    assert "".join(pieces) == "one two three"
    assert len(pieces) == 4


async def test_stream_text_stops_early_and_raises_errors() -> None:
    async with stream_text("m", "x", client=FakeLLM([text("abcdef", chunk_size=1)])) as chunks:
        async for piece in chunks:
            assert piece == "a"
            break
    assert [p async for p in chunks] == []  # closed

    failing = stream_text("m", "x", client=FakeLLM([text("a"), fail(ResponseError("boom"))]))
    seen: list[str] = []
    with pytest.raises(ResponseError, match="boom"):
        async for piece in failing:
            seen.append(piece)
    assert seen == ["a"]


async def test_chat_with_history_returns_the_reply_and_leaves_history_alone() -> None:
    history = [
        ChatMessage.system("You are helpful"),
        ChatMessage.user("Hi"),
        ChatMessage.assistant("Hello! How can I help?"),
    ]
    before = list(history)
    fake = FakeLLM("You said Hi")
    reply = await chat_with_history("m", history, "What did I just say?", 100, client=fake)
    assert reply.role == MessageRole.ASSISTANT
    assert reply.content == "You said Hi"
    assert history == before
    assert fake.requests[0].messages == [*before, ChatMessage.user("What did I just say?")]
    assert fake.requests[0].max_tokens == 100


async def test_chat_with_history_accepts_a_message() -> None:
    fake = FakeLLM("ok")
    message = ChatMessage.user("look")
    await chat_with_history("m", [], message, client=fake)
    assert fake.requests[0].messages[-1] is message


async def test_the_shared_client_is_one_multipass_used_by_default() -> None:
    client = shared_client()
    assert isinstance(client, MultiPass)
    assert shared_client() is client
    # The fake provider is registered with the router; without a script it echoes.
    assert await quick_complete("fake/echo", "ping") == "ping"
    await client.aclose()
