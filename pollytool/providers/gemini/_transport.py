"""The HTTP transport of the SDK client, and closing the responses a call leaves open.

The transport is always ``httpx2``: google-genai switches to aiohttp whenever aiohttp is
importable unless a transport is given.

The SDK reads a stream through a chain of async generators. When the reader stops early (the
caller broke off, a deadline passed, an error object arrived inside the stream), the inner
generators stay suspended and keep the connection busy until the garbage collector finds
them, which may be never before the event loop shuts down (where closing them prints
errors). So the transport notes each response it opens for a call, and the call closes them
when it ends (see :func:`tracked_responses` and :class:`GeminiStream`).

``httpx2`` is imported by :func:`tracking_transport` only (on the worker thread that builds
the SDK client), so importing this module costs nothing.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Iterator

    import httpx2

__all__ = ["GeminiStream", "close_responses", "tracked_responses", "tracking_transport"]

_OPENED: ContextVar[list[httpx2.Response] | None] = ContextVar(
    "pollytool_gemini_opened_responses", default=None
)


def tracking_transport() -> httpx2.AsyncHTTPTransport:
    """An ``httpx2`` transport that notes responses opened inside :func:`tracked_responses`."""
    import httpx2

    class TrackingTransport(httpx2.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
            response = await super().handle_async_request(request)
            opened = _OPENED.get()
            if opened is not None:
                opened.append(response)
            return response

    return TrackingTransport()


@contextmanager
def tracked_responses(opened: list[httpx2.Response]) -> Iterator[None]:
    """Note in *opened* the responses opened by the current task inside the block.

    The block must not yield to the caller (the context variable belongs to the task).
    """
    token = _OPENED.set(opened)
    try:
        yield
    finally:
        _OPENED.reset(token)


async def close_responses(opened: list[httpx2.Response]) -> None:
    """Close *opened* (closing a finished response does nothing); runs even when the call
    was cancelled."""
    with anyio.CancelScope(shield=True):
        for response in opened:
            await response.aclose()
    opened.clear()


class GeminiStream:
    """The chunks of one streamed reply as wire JSON dicts, read from the SDK's generator of
    raw responses (``async_request_streamed``). :meth:`aclose` closes that generator and
    every response the call opened."""

    __slots__ = ("_chunks", "_opened")

    def __init__(self, chunks: AsyncGenerator[Any, None], opened: list[httpx2.Response]) -> None:
        self._chunks = chunks
        self._opened = opened

    def __aiter__(self) -> GeminiStream:
        return self

    async def __anext__(self) -> Any:
        body = (await self._chunks.__anext__()).body
        return json.loads(body) if body else {}

    async def aclose(self) -> None:
        with anyio.CancelScope(shield=True):
            await self._chunks.aclose()
        await close_responses(self._opened)
