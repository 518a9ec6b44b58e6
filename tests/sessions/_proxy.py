"""A TCP proxy on 127.0.0.1 that can cut a connection half-way, to test what a store does when
its connection to a server is lost mid-request or before the reply."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import anyio
from anyio.abc import SocketStream

__all__ = ["CuttingProxy"]

Cut = Literal["request", "reply"]


class CuttingProxy:
    """Forwards connections to ``127.0.0.1:upstream``. Set :attr:`cut` and the next request
    is forwarded only half-way (``"request"``: the server never gets all of it), or the next
    reply is dropped (``"reply"``: the server did the work, the client never hears of it);
    then that connection is closed on both sides and :attr:`cut` goes back to ``None``."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.cut: Cut | None = None
        self.port = 0

    @classmethod
    @asynccontextmanager
    async def running(cls, upstream: int) -> AsyncIterator[CuttingProxy]:
        proxy = cls(upstream)
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
        proxy.port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with listener, anyio.create_task_group() as tasks:
            tasks.start_soon(listener.serve, proxy._handle)
            yield proxy
            tasks.cancel_scope.cancel()

    async def _handle(self, client: SocketStream) -> None:
        async with (
            client,
            await anyio.connect_tcp("127.0.0.1", self.upstream) as server,
            anyio.create_task_group() as pumps,
        ):
            pumps.start_soon(self._pump, client, server, "request", pumps.cancel_scope)
            pumps.start_soon(self._pump, server, client, "reply", pumps.cancel_scope)

    async def _pump(
        self, source: SocketStream, target: SocketStream, side: Cut, scope: anyio.CancelScope
    ) -> None:
        try:
            async for chunk in source:
                if self.cut == side:
                    self.cut = None
                    if side == "request":
                        await target.send(chunk[: len(chunk) // 2])
                    scope.cancel()  # both sockets close: the connection is lost
                    return
                await target.send(chunk)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass
        scope.cancel()
