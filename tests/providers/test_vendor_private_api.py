"""The private vendor-SDK entry points the adapters rely on, checked directly.

Where an SDK offers no public way to send a pre-built body and read the wire JSON back, an
adapter uses a private one and pyproject pins the SDK's version range. These tests fail as
soon as such an entry point moves or changes shape, naming what broke, before any adapter
test fails in a less obvious way.
"""

from __future__ import annotations

import inspect

import pytest

from tests.fakes.loopback import LoopbackServer, Reply

pytestmark = pytest.mark.anyio


def test_ollama_request_and_parse_host_keep_their_shape() -> None:
    import ollama
    from ollama._client import _parse_host

    parameters = inspect.signature(ollama.AsyncClient._request).parameters
    assert list(parameters)[:3] == ["self", "cls", "args"]
    assert parameters["stream"].kind is inspect.Parameter.KEYWORD_ONLY
    assert _parse_host("http://box:11434") == "http://box:11434"


async def test_ollama_request_yields_plain_dicts(loopback: LoopbackServer) -> None:
    """``_request(dict, ...)`` gives the wire JSON, streamed and whole."""
    import ollama

    line = {"model": "m", "message": {"role": "assistant", "content": "hi"}, "done": True}
    loopback.add("POST", "/api/chat", Reply.ndjson([line]), Reply.json(line))
    client = ollama.AsyncClient(host=loopback.url)
    try:
        stream = await client._request(dict, "POST", "/api/chat", json={}, stream=True)
        assert [chunk async for chunk in stream] == [line]
        assert await client._request(dict, "POST", "/api/chat", json={}) == line
    finally:
        await client._client.aclose()
