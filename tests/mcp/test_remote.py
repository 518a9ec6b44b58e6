"""Remote servers: server-everything in its Streamable HTTP and SSE modes (on Unix sockets, so
nothing listens on the network), the fallback from HTTP to SSE for a URL without a type, and
what a remote server can get wrong (refusing, rejecting credentials, never answering)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import anyio.streams.buffered
import httpx2
import pytest

from pollytool.errors import MCPConnectionError, MCPTimeoutError
from pollytool.mcp import MCPClient, load_mcp_servers
from tests.fakes.loopback import LoopbackServer, RecordedRequest, Reply

from .conftest import everything_http, uds_client_factory

pytestmark = pytest.mark.anyio


@dataclass
class Sockets:
    http: str
    sse: str


@pytest.fixture(scope="module")
async def sockets(
    everything_bin: str, anyio_backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Sockets]:
    folder = tmp_path_factory.mktemp("sockets")
    found = Sockets(str(folder / "http.sock"), str(folder / "sse.sock"))
    async with (
        everything_http(everything_bin, "streamableHttp", found.http),
        everything_http(everything_bin, "sse", found.sse),
    ):
        yield found


async def test_streamable_http_tools_resources_and_prompts(sockets: Sockets) -> None:
    factory: Any = uds_client_factory(sockets.http)
    async with MCPClient("http", "http://localhost/mcp", http_client_factory=factory) as client:
        assert client.transport == "http"
        assert client.protocol_version == "2025-11-25"
        assert "echo" in [tool.name for tool in client.tools]
        assert (await client.call_tool("echo", {"message": "over http"})).text == "Echo: over http"
        image = await client.call_tool("get-tiny-image", {})
        assert image.images[0][0].startswith(b"\x89PNG")
        [doc] = await client.read_resource("demo://resource/static/document/features.md")
        assert doc.text is not None and "Everything Server" in doc.text
        prompt = await client.get_prompt("args-prompt", {"city": "Oslo"})
        assert "Oslo" in prompt.messages[0].content


async def test_sse_transport(sockets: Sockets) -> None:
    factory: Any = uds_client_factory(sockets.sse)
    async with MCPClient("sse", "http://localhost/sse", http_client_factory=factory) as client:
        assert (client.transport, client.describe()) == ("sse", "http://localhost/sse (sse)")
        assert (await client.call_tool("get-sum", {"a": 1, "b": 2})).text.endswith("is 3.")


async def test_a_url_without_type_falls_back_to_sse(sockets: Sockets) -> None:
    config = {"mcpServers": {"legacy": {"url": "http://localhost/sse"}}}
    factory: Any = uds_client_factory(sockets.sse)
    async with load_mcp_servers(config, http_client_factory=factory) as servers:
        client = servers["legacy"]
        assert client.transport == "sse"
        assert "legacy__echo" in servers.registry
        tool = servers.registry.get("legacy__echo")
        assert tool is not None
        output = await tool.execute({"message": "fell back"})
        assert not isinstance(output, str) and output.text == "Echo: fell back"


async def test_headers_and_auth_are_sent_and_a_rejection_names_the_status() -> None:
    async with LoopbackServer() as server:
        server.always("POST", "/mcp", Reply.json({"error": "who are you?"}, status=401))
        with pytest.raises(MCPConnectionError, match="answered HTTP 401 while connecting") as info:
            async with MCPClient(
                "http",
                server.url + "/mcp",
                name="guarded",
                headers={"X-Team": "blue"},
                auth=httpx2.BasicAuth("user", "secret"),
            ):
                pass
        assert info.value.code == 401
        assert server.requests, "nothing reached the server"
        for request in server.requests:
            assert request.headers["x-team"] == "blue"
            assert request.headers["authorization"] == "Basic dXNlcjpzZWNyZXQ="


async def test_a_server_that_never_answers_hits_the_connect_timeout() -> None:
    async def never(request: RecordedRequest) -> Reply:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async with LoopbackServer() as server:
        server.always("POST", "/mcp", never)
        with pytest.raises(MCPTimeoutError, match=r"no answer within 0.5s while connecting"):
            async with MCPClient("http", server.url + "/mcp", connect_timeout=0.5):
                pass


async def test_nothing_listening_is_a_connection_error(tmp_path: Path) -> None:
    factory: Any = uds_client_factory(str(tmp_path / "nobody.sock"))
    with pytest.raises(MCPConnectionError, match="ConnectError while connecting") as info:
        async with MCPClient("http", "http://localhost/mcp", http_client_factory=factory):
            pass
    assert info.value.server == "localhost"


async def test_the_unix_socket_client_survives_a_read_cancelled_as_data_arrives(
    tmp_path: Path,
) -> None:
    """The client the tests above connect with: a response read cancelled in the loop
    iteration in which its socket became readable (what the SDK's close does to its GET
    stream) must leave no failing callback behind, which anyio's Unix socket stream does on
    asyncio (see ``conftest._UnixSocketBackend``). anyio's test runner fails the test if a
    loop callback raised."""
    path = str(tmp_path / "stream.sock")
    factory: Any = uds_client_factory(path)
    reading = anyio.CancelScope()
    headers_received = anyio.Event()

    async def read_the_stream(client: httpx2.AsyncClient) -> None:
        with reading:
            async with client.stream("GET", "http://localhost/events") as response:
                headers_received.set()
                async for _ in response.aiter_raw():
                    pass

    async with (
        await anyio.create_unix_listener(path) as listener,
        factory() as client,
        anyio.create_task_group() as tg,
    ):
        tg.start_soon(read_the_stream, client)
        async with await listener.accept() as connection:
            request = anyio.streams.buffered.BufferedByteReceiveStream(connection)
            await request.receive_until(b"\r\n\r\n", 65536)
            await connection.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            await headers_received.wait()
            await anyio.wait_all_tasks_blocked()  # the client waits for the body
            await connection.send(b"5\r\nhello\r\n")  # its socket becomes readable...
            await anyio.lowlevel.checkpoint()  # ...and we resume before its reader runs
            reading.cancel()
    assert reading.cancelled_caught
