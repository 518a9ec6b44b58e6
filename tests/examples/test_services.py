"""The service examples under real servers on loopback: the FastAPI app under uvicorn read
by an SSE client, the aiohttp service under aiohttp's runner; both talk to the loopback
provider server through ``POLLYTOOL_*_BASEURL``."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import uvicorn
from aiohttp import web
from httpx_sse import aconnect_sse

from pollytool import FileSessionStore
from tests.examples._support import (
    EXAMPLES,
    SECRET,
    cassette_text,
    load_example,
    provider_env,
    replay,
)
from tests.fakes.loopback import LoopbackServer, Reply

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    """uvicorn and aiohttp run on asyncio only."""
    return "asyncio"


@pytest.fixture
def providers(loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> LoopbackServer:
    """The environment an app reads its providers from, pointing at *loopback*."""
    for name, value in provider_env(loopback).items():
        monkeypatch.setenv(name, value)
    return loopback


def _listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


# --------------------------------------------------------------------------- FastAPI + SSE


@asynccontextmanager
async def uvicorn_serving(app: Any) -> AsyncIterator[str]:
    """*app* under uvicorn on a loopback socket that listens before the server starts, so
    requests can be sent at once."""
    sock = _listening_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve, [sock])
        try:
            yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        finally:
            server.should_exit = True


async def _read_events(base: str, prompt: str) -> tuple[httpx.Response, list[dict[str, Any]]]:
    async with (
        httpx.AsyncClient(base_url=base, timeout=30) as http,
        aconnect_sse(http, "GET", "/chat", params={"prompt": prompt}) as source,
    ):
        events = [sse.json() async for sse in source.aiter_sse()]
        return source.response, events


def _fastapi_app() -> Any:
    return load_example(EXAMPLES / "fastapi_sse" / "fastapi_app.py").create_app()


async def test_fastapi_streams_each_event_as_json(providers: LoopbackServer) -> None:
    replay(providers, "openai/chat__stream_text")
    async with uvicorn_serving(_fastapi_app()) as base:
        response, events = await _read_events(base, "What is 4200 + 42?")
    assert response.headers["content-type"].startswith("text/event-stream")
    text = cassette_text("openai/chat__stream_text")
    assert "".join(e["content"] for e in events if e["type"] == "content") == text
    assert events[-1]["type"] == "complete"
    assert [e["type"] for e in events].count("complete") == 1
    message = events[-1]["message"]
    assert message["content"] == text and message["stop_reason"] == "end_turn"
    assert message["usage"]["input_tokens"] > 0
    assert providers.requests[0].json()["messages"] == [
        {"role": "user", "content": "What is 4200 + 42?"}
    ]


async def test_fastapi_sends_a_failure_as_one_error_event(providers: LoopbackServer) -> None:
    replay(providers, "openai/chat__error_401_stream")
    async with uvicorn_serving(_fastapi_app()) as base:
        _, events = await _read_events(base, "Hello")
    (event,) = events
    assert event["type"] == "error"
    assert event["error"]["type"] == "AuthenticationError"
    assert event["error"]["status"] == 401 and event["error"]["provider"] == "openai"
    assert "Incorrect API key" in event["error"]["message"]
    assert SECRET not in str(events)


async def test_fastapi_page_opens_the_event_stream(providers: LoopbackServer) -> None:
    async with (
        uvicorn_serving(_fastapi_app()) as base,
        httpx.AsyncClient(base_url=base) as http,
    ):
        page = await http.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'new EventSource("/chat?prompt=" + encodeURIComponent(prompt))' in page.text


async def test_fastapi_browser_leaving_releases_the_provider_call(
    providers: LoopbackServer,
) -> None:
    """A reader that goes away mid-stream cancels the model call: the provider connection
    closes instead of streaming to nobody."""
    words = [f"word{i} " for i in range(400)]
    chunks = [{"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
               "choices": [{"index": 0, "delta": {"content": w}, "finish_reason": None}]}
              for w in words]  # fmt: skip
    slow = Reply.sse([(None, c) for c in chunks], pause=0.02)
    providers.add("POST", "/v1/chat/completions", slow)
    async with uvicorn_serving(_fastapi_app()) as base:
        async with (
            httpx.AsyncClient(base_url=base, timeout=30) as http,
            aconnect_sse(http, "GET", "/chat", params={"prompt": "Go on"}) as source,
        ):
            async for sse in source.aiter_sse():
                assert sse.json() == {"type": "content", "content": "word0 "}
                break
        with anyio.fail_after(5):  # 400 chunks would take 8 s
            await providers.wait_idle()
    assert providers.connections == 1


# --------------------------------------------------------------------------- aiohttp


@asynccontextmanager
async def aiohttp_serving(app: web.Application) -> AsyncIterator[str]:
    sock = _listening_socket()
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        await runner.cleanup()


def _aiohttp_app(store: Path) -> web.Application:
    app: web.Application = load_example(EXAMPLES / "aiohttp_service" / "aiohttp_app.py").create_app(
        store_path=store
    )
    return app


async def test_aiohttp_keeps_the_conversation_per_session(
    providers: LoopbackServer, tmp_path: Path
) -> None:
    replay(providers, "anthropic/messages__stream_text", "anthropic/messages__stream_text")
    reply = cassette_text("anthropic/messages__stream_text")
    async with (
        aiohttp_serving(_aiohttp_app(tmp_path / "sessions")) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
    ):
        chunks = []
        async with http.stream("POST", "/sessions/ann", json={"content": "Hi, I am Ann."}) as r:
            assert r.headers["content-type"] == "text/plain; charset=utf-8"
            chunks = [chunk async for chunk in r.aiter_text()]
        assert "".join(chunks) == reply
        second = await http.post("/sessions/ann", json={"content": "What is my name?"})
        assert second.text == reply
        history = (await http.get("/sessions/ann")).json()
    assert [(m["role"], m["content"]) for m in history] == [
        ("user", "Hi, I am Ann."), ("assistant", reply),
        ("user", "What is my name?"), ("assistant", reply),
    ]  # fmt: skip
    sent = providers.requests[1].json()["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[1]["content"] in (reply, [{"type": "text", "text": reply}])
    async with FileSessionStore(tmp_path / "sessions") as store:  # persisted, not just in memory
        assert len(await (await store.get("ann")).get_history()) == 4


async def test_aiohttp_failed_call_stores_nothing(
    providers: LoopbackServer, tmp_path: Path
) -> None:
    replay(providers, "anthropic/messages__error_401_stream")
    async with (
        aiohttp_serving(_aiohttp_app(tmp_path / "sessions")) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
    ):
        answer = await http.post("/sessions/bob", json={"content": "Hello"})
        history = (await http.get("/sessions/bob")).json()
        bad_name = await http.post("/sessions/a:b", json={"content": "Hello"})
        no_content = await http.post("/sessions/bob", json={"text": "Hello"})
        missing = await http.get("/sessions/nobody")
    assert answer.text.startswith("\n[error: anthropic: invalid x-api-key (status 401")
    assert SECRET not in answer.text
    assert history == []
    assert bad_name.status_code == 400 and "a:b" in bad_name.text
    assert no_content.status_code == 400
    assert missing.status_code == 404
