"""An aiohttp service with persistent conversations: each session keeps its history.

    pip install aiohttp
    export POLLYTOOL_ANTHROPICKEY=sk-ant-...      # CHAT_MODEL picks another provider/model
    python examples/aiohttp_service/aiohttp_app.py --port 8080 --store ./sessions
    curl -N -X POST localhost:8080/sessions/demo -d '{"content": "Hi, I am Ann."}'
    curl -N -X POST localhost:8080/sessions/demo -d '{"content": "What is my name?"}'
    curl localhost:8080/sessions/demo

``POST /sessions/{name}`` streams the reply as plain text while the model writes it, then
stores the question and the answer together (a failed call stores nothing and ends the
text with ``[error: ...]``). ``GET /sessions/{name}`` returns the history as JSON.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from pollytool import (
    ChatMessage,
    CompletionRequest,
    EventType,
    FileSessionStore,
    MemorySessionStore,
    MultiPass,
)
from pollytool.errors import InvalidSessionNameError
from pollytool.sessions import SessionStore, validate_session_name

ROUTER = web.AppKey("router", MultiPass)
STORE = web.AppKey("store", SessionStore)
MODEL = web.AppKey("model", str)


def session_name(request: web.Request) -> str:
    try:
        return validate_session_name(request.match_info["name"])
    except InvalidSessionNameError as error:
        raise web.HTTPBadRequest(text=str(error)) from None


async def post_message(request: web.Request) -> web.StreamResponse:
    name = session_name(request)
    try:
        content = (await request.json())["content"]
    except (ValueError, LookupError, TypeError):  # not JSON, or not an object with "content"
        content = None
    if not isinstance(content, str) or not content.strip():
        raise web.HTTPBadRequest(text='send {"content": "<your message>"}')
    question = ChatMessage.user(content)
    response = web.StreamResponse(headers={"content-type": "text/plain; charset=utf-8"})
    async with request.app[STORE].session(name) as session:
        req = CompletionRequest(request.app[MODEL], [*await session.get_history(), question])
        await response.prepare(request)
        async with request.app[ROUTER].stream(req) as events:
            async for event in events:
                if event.type == EventType.CONTENT:
                    await response.write(event.content.encode())
                elif event.type == EventType.COMPLETE:
                    await session.add_messages([question, event.message])
                elif event.type == EventType.ERROR:
                    await response.write(f"\n[error: {event.error}]".encode())
    await response.write_eof()
    return response


async def get_history(request: web.Request) -> web.Response:
    name = session_name(request)
    if not await request.app[STORE].exists(name):
        raise web.HTTPNotFound(text=f"no session named {name!r}")
    async with request.app[STORE].session(name) as session:
        history = await session.get_history()
    return web.json_response([message.to_dict() for message in history])


def create_app(model: str | None = None, store_path: Path | None = None) -> web.Application:
    """The service, answering with *model* (default: ``$CHAT_MODEL`` or
    ``anthropic/claude-sonnet-4-6``), keeping sessions under *store_path* (in memory when
    ``None``)."""
    app = web.Application()
    app[MODEL] = model or os.environ.get("CHAT_MODEL", "anthropic/claude-sonnet-4-6")

    async def resources(app: web.Application) -> AsyncIterator[None]:
        app[ROUTER] = MultiPass()  # keys and base URLs from POLLYTOOL_* variables
        app[STORE] = FileSessionStore(store_path) if store_path else MemorySessionStore()
        yield
        await app[ROUTER].aclose()
        await app[STORE].aclose()

    app.cleanup_ctx.append(resources)
    app.router.add_post("/sessions/{name}", post_message)
    app.router.add_get("/sessions/{name}", get_history)
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--store", type=Path, help="keep sessions in this directory")
    args = parser.parse_args()
    web.run_app(create_app(store_path=args.store), host="127.0.0.1", port=args.port)
