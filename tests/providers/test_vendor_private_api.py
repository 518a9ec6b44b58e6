"""The private vendor-SDK entry points the adapters rely on, checked directly.

Where an SDK offers no public way to send a pre-built body and read the wire JSON back, an
adapter uses a private one and pyproject pins the SDK's version range. These tests fail as
soon as such an entry point moves or changes shape, naming what broke, before any adapter
test fails in a less obvious way.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

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


def _gemini(url: str) -> Any:
    """An SDK client on httpx2 (as the adapter builds it), so it runs on trio too."""
    import httpx2
    from google import genai
    from google.genai import types

    options = types.HttpOptions(
        base_url=url,
        api_version="v1beta",
        retry_options=types.HttpRetryOptions(attempts=1),
        async_client_args={"transport": httpx2.AsyncHTTPTransport()},
    )
    return genai.Client(api_key="AIza-test", http_options=options).aio


def test_gemini_request_methods_keep_their_shape() -> None:
    from google.genai._api_client import BaseApiClient

    for name in ("async_request", "async_request_streamed"):
        parameters = list(inspect.signature(getattr(BaseApiClient, name)).parameters)
        assert parameters == ["self", "http_method", "path", "request_dict", "http_options"], name


async def test_gemini_request_methods_give_wire_json(loopback: LoopbackServer) -> None:
    """``_api_client.async_request(_streamed)`` send the body as it is (with the key header)
    and give each reply's wire JSON as ``.body`` text; an error object inside a stream is
    raised as the SDK's typed error."""
    from google.genai import errors

    chunk = {"candidates": [{"content": {"role": "model", "parts": [{"text": "hi"}]},
                             "finishReason": "STOP"}]}  # fmt: skip
    failure = {"error": {"code": 500, "message": "boom", "status": "INTERNAL"}}
    path = "/v1beta/models/m:streamGenerateContent"
    loopback.add("POST", path, Reply.sse([(None, chunk)]), Reply.sse([(None, failure)]))
    loopback.add("POST", "/v1beta/models/m:generateContent", Reply.json(chunk))
    client = _gemini(loopback.url)
    body = {"contents": [{"role": "user", "parts": [{"text": "Hello"}]}]}
    try:
        api = client._api_client
        stream = await api.async_request_streamed(
            "post", "models/m:streamGenerateContent?alt=sse", body, None
        )
        assert [json.loads(r.body) async for r in stream] == [chunk]
        whole = await api.async_request("post", "models/m:generateContent", body, None)
        assert json.loads(whole.body) == chunk
        stream = await api.async_request_streamed(
            "post", "models/m:streamGenerateContent?alt=sse", body, None
        )
        with pytest.raises(errors.ServerError):
            [r async for r in stream]
    finally:
        await client.aclose()
    sent = loopback.requests[0]
    assert sent.json() == body
    assert sent.headers["x-goog-api-key"] == "AIza-test"
