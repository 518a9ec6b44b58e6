"""The loopback server serves real cassettes to the bare vendor SDKs over a real socket."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fakes.cassettes import cassette_ids, load_cassette
from tests.fakes.loopback import LoopbackServer, Reply

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # google-genai and ollama run on asyncio only


def _sse_data(cassette: dict[str, Any]) -> list[dict[str, Any]]:
    body = cassette["interactions"][0]["response"]["body"]
    return [json.loads(line[5:]) for line in body.splitlines()
            if line.startswith("data:") and line[5:].strip() not in ("", "[DONE]")]  # fmt: skip


async def test_openai_chat_stream_cassette(loopback: LoopbackServer) -> None:
    import openai

    cassette = load_cassette("openai/chat__stream_text")
    loopback.replay(cassette)
    client = openai.AsyncOpenAI(api_key="sk-test", base_url=loopback.url + "/v1", max_retries=0)
    body = cassette["interactions"][0]["request"]["body"]
    stream = await client.chat.completions.create(**body)
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    expected = "".join(
        (d["choices"][0]["delta"].get("content") or "") for d in _sse_data(cassette) if d["choices"]
    )
    assert text == expected and text
    assert loopback.requests[0].json() == body
    assert loopback.requests[0].headers["authorization"] == "Bearer sk-test"
    await client.close()


async def test_anthropic_stream_cassette(loopback: LoopbackServer) -> None:
    import anthropic

    cassette = load_cassette("anthropic/messages__stream_text")
    loopback.replay(cassette)
    client = anthropic.AsyncAnthropic(api_key="sk-ant-test", base_url=loopback.url, max_retries=0)
    body = cassette["interactions"][0]["request"]["body"]
    stream = await client.messages.create(**body)
    kinds = [event.type async for event in stream]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert loopback.requests[0].path == "/v1/messages"
    await client.close()


async def test_gemini_sse_cassette(loopback: LoopbackServer) -> None:
    import httpx2
    from google import genai
    from google.genai import types

    cassette = load_cassette("gemini/stream__text_sse")
    loopback.replay(cassette)
    client = genai.Client(
        api_key="AIza-test",
        http_options=types.HttpOptions(
            base_url=loopback.url, api_version="v1beta",
            async_client_args={"transport": httpx2.AsyncHTTPTransport()},
        ),
    )  # fmt: skip
    stream = await client.aio.models.generate_content_stream(
        model="gemini-2.5-flash", contents="What is 4200 + 42?"
    )
    text = "".join([chunk.text or "" async for chunk in stream])
    assert "4242" in text
    assert loopback.requests[0].query == {"alt": ["sse"]}
    await client.aio.aclose()


async def test_ollama_ndjson_cassette(loopback: LoopbackServer) -> None:
    import ollama

    cassette = load_cassette("ollama/chat__stream_text")
    loopback.replay(cassette)
    client = ollama.AsyncClient(host=loopback.url)
    body = cassette["interactions"][0]["request"]["body"]
    parts = [part async for part in await client.chat(**body)]
    assert parts[-1].done
    assert "".join(p.message.content or "" for p in parts).startswith("Okay")


async def test_cut_stream_and_pauses(loopback: LoopbackServer) -> None:
    import openai

    choice = {"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    frames = [(None, {**chunk, "choices": [choice]})]
    loopback.add("POST", "/v1/chat/completions", Reply.sse(frames, pause=0.01, cut=True))
    client = openai.AsyncOpenAI(api_key="sk-test", base_url=loopback.url + "/v1", max_retries=0)
    seen = []
    stream = await client.chat.completions.create(model="m", messages=[], stream=True)
    with pytest.raises(openai.APIConnectionError):
        async for part in stream:
            seen.append(part.choices[0].delta.content)
    assert seen == ["Hel"]
    await client.close()


async def test_unscripted_request_gets_a_loud_error(loopback: LoopbackServer) -> None:
    import openai

    client = openai.AsyncOpenAI(api_key="sk-test", base_url=loopback.url + "/v1", max_retries=0)
    with pytest.raises(openai.APIStatusError, match="no scripted reply"):
        await client.chat.completions.create(model="m", messages=[])
    await client.close()


def test_every_cassette_turns_into_replies() -> None:
    ids = cassette_ids()
    assert len(ids) >= 90
    for cassette_id in ids:
        for interaction in load_cassette(cassette_id)["interactions"]:
            reply = Reply.from_interaction(interaction)
            body = b"".join(c for c in reply.chunks if isinstance(c, bytes))
            assert body.decode() == interaction["response"]["body"], cassette_id
