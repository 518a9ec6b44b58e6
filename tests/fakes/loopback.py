"""A real HTTP/1.1 server on 127.0.0.1 that replays recorded and scripted responses.

Provider tests point the real vendor SDK at it (through the adapter's base URL), so everything
from JSON encoding to SSE parsing and connection handling is the vendor's own code over a real
socket. The server records every request so tests can assert on what was sent.

Built on anyio sockets, so it runs on asyncio and trio. Use it as an async context manager::

    async with LoopbackServer() as server:
        server.add("POST", "/v1/chat/completions", Reply.json({...}))
        client = OpenAIClient(api_key="sk-test", base_url=server.url + "/v1")
        ...
        assert server.requests[0].json()["model"] == "gpt-test"

A :class:`Reply` is a status, headers and a body given as chunks; numbers among the chunks are
pauses in seconds, and ``cut=True`` drops the connection before the body is complete, which is
how a stream broken mid-way looks to a client.
"""

from __future__ import annotations

import inspect
import json
import math
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import anyio.abc

__all__ = ["LoopbackServer", "RecordedRequest", "Reply"]

_REASONS = {
    200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    408: "Request Timeout", 409: "Conflict", 413: "Payload Too Large", 422: "Unprocessable Entity",
    429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout", 529: "Overloaded",
}  # fmt: skip


@dataclass
class RecordedRequest:
    """A request the server received."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    """A scripted response.

    Attributes:
        status: HTTP status code.
        headers: response headers (``content-type`` included).
        chunks: the body in pieces; a float or int among them is a pause in seconds.
        cut: close the connection after the chunks without finishing the body.
        chunked: send with ``Transfer-Encoding: chunked`` (else ``Content-Length``).
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes | float] = field(default_factory=list)
    cut: bool = False
    chunked: bool = True

    @classmethod
    def json(cls, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        data = json.dumps(body).encode()
        return cls(status, {"content-type": "application/json", **(headers or {})}, [data],
                   chunked=False)  # fmt: skip

    @classmethod
    def sse(
        cls,
        frames: Iterable[tuple[str | None, Any] | str],
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        pause: float = 0.0,
        cut: bool = False,
    ) -> Reply:
        """Server-sent events: each frame is ``(event_name_or_None, data)`` (data as a dict is
        JSON-encoded) or a raw frame string."""
        chunks: list[bytes | float] = []
        for frame in frames:
            if isinstance(frame, str):
                text = frame if frame.endswith("\n\n") else frame + "\n\n"
            else:
                name, data = frame
                payload = data if isinstance(data, str) else json.dumps(data)
                text = (f"event: {name}\n" if name else "") + f"data: {payload}\n\n"
            chunks.append(text.encode())
            if pause:
                chunks.append(pause)
        return cls(status, {"content-type": "text/event-stream", **(headers or {})}, chunks,
                   cut=cut)  # fmt: skip

    @classmethod
    def ndjson(
        cls,
        lines: Iterable[Any],
        *,
        status: int = 200,
        pause: float = 0.0,
        cut: bool = False,
    ) -> Reply:
        chunks: list[bytes | float] = []
        for line in lines:
            chunks.append((line if isinstance(line, str) else json.dumps(line)).encode() + b"\n")
            if pause:
                chunks.append(pause)
        return cls(status, {"content-type": "application/x-ndjson"}, chunks, cut=cut)

    @classmethod
    def from_interaction(cls, interaction: dict[str, Any], *, pause: float = 0.0) -> Reply:
        """The recorded response of a cassette interaction, split where its clients parse
        (SSE frames, NDJSON lines) so incremental parsers are exercised."""
        response = interaction["response"]
        body: str = response["body"]
        kind = response.get("body_kind")
        if kind == "sse":
            pieces = _split_keep(body, "\n\n")
        elif kind == "ndjson":
            pieces = _split_keep(body, "\n")
        elif interaction.get("stream") and len(body) > 256:
            pieces = [body[i : i + 200] for i in range(0, len(body), 200)]  # JSON-array streams
        else:
            pieces = [body]
        chunks: list[bytes | float] = []
        for piece in pieces:
            chunks.append(piece.encode())
            if pause:
                chunks.append(pause)
        headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
        headers.pop("content-length", None)
        headers.pop("transfer-encoding", None)
        headers.pop("content-encoding", None)
        headers["content-type"] = response.get("content_type") or headers.get(
            "content-type", "application/json"
        )
        return cls(response["status"], headers, chunks,
                   chunked=bool(interaction.get("stream")))  # fmt: skip


def _split_keep(text: str, sep: str) -> list[str]:
    parts = text.split(sep)
    out = [p + sep for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out or [text]


Handler = Callable[[RecordedRequest], "Reply | Awaitable[Reply]"]


@dataclass
class _Route:
    method: str
    path: str | None
    replies: deque[Reply | Handler]
    sticky: bool = False

    def matches(self, request: RecordedRequest) -> bool:
        if request.method != self.method:
            return False
        return self.path is None or request.path == self.path


class LoopbackServer:
    """An HTTP/1.1 server on ``127.0.0.1:<free port>`` serving scripted replies in order.

    Attributes:
        requests: every request received, in order.
        url: ``http://127.0.0.1:<port>`` once started.
    """

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._routes: list[_Route] = []
        self._listener: anyio.abc.SocketListener | None = None
        self._tg: anyio.abc.TaskGroup | None = None
        self.port = 0
        self.connections = 0
        self.open_connections = 0
        self._idle = anyio.Event()
        self._idle.set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ scripting

    def add(self, method: str, path: str | None, *replies: Reply | Handler) -> None:
        """Queue *replies* for requests matching *method* and *path* (``None``: any path).
        Each reply is used once, in order."""
        self._routes.append(_Route(method.upper(), path, deque(replies)))

    def always(self, method: str, path: str | None, reply: Reply | Handler) -> None:
        """Answer every matching request with *reply*."""
        self._routes.append(_Route(method.upper(), path, deque([reply]), sticky=True))

    def replay(
        self, cassette: dict[str, Any], *, match_path: bool = True, pause: float = 0.0
    ) -> None:
        """Queue every interaction of a cassette (see ``tests/cassettes/README.md``)."""
        for interaction in cassette["interactions"]:
            request = interaction["request"]
            self.add(request["method"], request["path"] if match_path else None,
                     Reply.from_interaction(interaction, pause=pause))  # fmt: skip

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        return sum(len(r.replies) for r in self._routes if not r.sticky)

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> LoopbackServer:
        self._listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        self.port = self._listener.extra(anyio.abc.SocketAttribute.local_port)
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        self._tg.start_soon(self._listener.serve, self._serve_connection)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._tg is not None and self._listener is not None
        self._tg.cancel_scope.cancel()
        await self._tg.__aexit__(None, None, None)
        await self._listener.aclose()

    # ------------------------------------------------------------------ HTTP

    def _next_reply(self, request: RecordedRequest) -> Reply | Handler:
        for route in self._routes:
            if route.matches(request) and route.replies:
                return route.replies[0] if route.sticky else route.replies.popleft()
        return Reply.json(
            {"error": {"message": f"loopback: no scripted reply for {request.method} "
                                  f"{request.target}", "type": "loopback_unscripted"}},
            status=599,
        )  # fmt: skip

    async def wait_idle(self) -> None:
        """Return once no client connection is open (a client released its connection)."""
        await self._idle.wait()

    async def _serve_connection(self, stream: anyio.abc.SocketStream) -> None:
        self.connections += 1
        self.open_connections += 1
        if self._idle.is_set():
            self._idle = anyio.Event()
        reader = _Reader(stream)
        try:
            while True:
                request = await reader.read_request()
                if request is None:
                    return
                self.requests.append(request)
                reply = self._next_reply(request)
                if callable(reply):
                    produced = reply(request)
                    reply = await produced if inspect.isawaitable(produced) else produced
                keep_open = await _send_reply(stream, reply)
                if not keep_open or request.headers.get("connection", "").lower() == "close":
                    return
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream,
                ConnectionError):  # fmt: skip
            return
        finally:
            self.open_connections -= 1
            if not self.open_connections:
                self._idle.set()
            await stream.aclose()


class _Reader:
    def __init__(self, stream: anyio.abc.SocketStream) -> None:
        self._stream = stream
        self._buf = bytearray()

    async def _fill(self) -> bool:
        try:
            data = await self._stream.receive(65536)
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
            return False
        self._buf += data
        return True

    async def _read_until(self, marker: bytes) -> bytes | None:
        while (pos := self._buf.find(marker)) < 0:
            if not await self._fill():
                return None
        data = bytes(self._buf[:pos])
        del self._buf[: pos + len(marker)]
        return data

    async def _read_exact(self, size: int) -> bytes | None:
        while len(self._buf) < size:
            if not await self._fill():
                return None
        data = bytes(self._buf[:size])
        del self._buf[:size]
        return data

    async def read_request(self) -> RecordedRequest | None:
        head = await self._read_until(b"\r\n\r\n")
        if head is None:
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size_line = await self._read_until(b"\r\n")
                if size_line is None:
                    return None
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    await self._read_until(b"\r\n")
                    break
                piece = await self._read_exact(size + 2)
                if piece is None:
                    return None
                body += piece[:-2]
            data = bytes(body)
        else:
            data = await self._read_exact(int(headers.get("content-length", "0"))) or b""
        return RecordedRequest(method.upper(), target, headers, data)


async def _send_reply(stream: anyio.abc.SocketStream, reply: Reply) -> bool:
    """Write *reply*; return whether the connection may be reused."""
    reason = _REASONS.get(reply.status, "Status")
    headers = {k.lower(): v for k, v in reply.headers.items()}
    body_parts = [c for c in reply.chunks if isinstance(c, bytes)]
    if reply.chunked:
        headers["transfer-encoding"] = "chunked"
    else:
        headers["content-length"] = str(sum(len(c) for c in body_parts))
    head = f"HTTP/1.1 {reply.status} {reason}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()
    )
    await stream.send((head + "\r\n").encode("latin-1"))
    for chunk in reply.chunks:
        if not isinstance(chunk, bytes):
            await anyio.sleep(math.inf if chunk == math.inf else float(chunk))
            continue
        if not chunk:
            continue
        if reply.chunked:
            await stream.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        else:
            await stream.send(chunk)
    if reply.cut:
        return False
    if reply.chunked:
        await stream.send(b"0\r\n\r\n")
    return True
