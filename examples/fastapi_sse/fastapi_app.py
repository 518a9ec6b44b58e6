"""A FastAPI app that streams pollytool events to a browser over Server-Sent Events.

    pip install fastapi uvicorn
    export POLLYTOOL_OPENAIKEY=sk-...          # CHAT_MODEL picks another provider/model
    uvicorn fastapi_app:app --app-dir examples/fastapi_sse
    # open http://127.0.0.1:8000 (or: curl -N 'http://127.0.0.1:8000/chat?prompt=Hello')

``GET /chat?prompt=...`` answers with ``text/event-stream``: one ``data:`` line per pollytool
event, holding the event as JSON (``{"type": "content", "content": "Hi"}`` ...), ending with
a ``complete`` or an ``error`` event. ``GET /`` serves a page that shows the reply as it
streams. When the browser goes away, the model call is cancelled and its connection released.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, StreamingResponse

from pollytool import ChatMessage, CompletionRequest, MultiPass
from pollytool.stream import EventStream

PAGE = Path(__file__).with_name("index.html")


async def server_sent_events(events: EventStream) -> AsyncIterator[str]:
    async with events:  # leaving early (the browser went away) releases the connection
        async for event in events:
            yield f"data: {json.dumps(event.to_dict(), ensure_ascii=False)}\n\n"


def create_app(model: str | None = None) -> FastAPI:
    """The app, answering with *model* (default: ``$CHAT_MODEL`` or ``openai/gpt-5.4``)."""
    chosen = model or os.environ.get("CHAT_MODEL", "openai/gpt-5.4")
    router = MultiPass()  # keys and base URLs from POLLYTOOL_* variables
    html = PAGE.read_text(encoding="utf-8")  # read once, not in a request

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncGenerator[None]:
        yield
        await router.aclose()

    app = FastAPI(title="pollytool SSE example", lifespan=lifespan)

    @app.get("/", response_class=HTMLResponse)
    async def page() -> str:
        return html

    @app.get("/chat")
    async def chat(prompt: str) -> StreamingResponse:
        req = CompletionRequest(chosen, [ChatMessage.user(prompt)])
        return StreamingResponse(
            server_sent_events(router.stream(req)),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
        )

    return app


app = create_app()
