"""``embed``, ``MultiPass.embed`` and the provider clients' ``embed``: routing, keys and base
URLs, what reaches the wire, retries, deadlines, and the typed errors of bad input and of a
provider without embeddings."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from pollytool.embeddings import EmbeddingRequest, EmbeddingResult
from pollytool.errors import (
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    InvalidModelError,
    MissingAPIKeyError,
    UnknownProviderError,
    UnsupportedFeatureError,
)
from pollytool.llm import FakeLLM, MultiPass, embed
from pollytool.providers.anthropic import AnthropicClient
from tests.embeddings._support import KEYS, client_for
from tests.fakes.loopback import LoopbackServer, RecordedRequest, Reply

pytestmark = pytest.mark.anyio


def _openai_reply(count: int = 1) -> Reply:
    data = [{"object": "embedding", "index": i, "embedding": [0.25 * (i + 1), 0.5]}
            for i in range(count)]  # fmt: skip
    return Reply.json({"object": "list", "data": data, "model": "m",
                       "usage": {"prompt_tokens": 3, "total_tokens": 3}})  # fmt: skip


def _ollama_reply(request: RecordedRequest) -> Reply:
    count = len(request.json()["input"])
    return Reply.json({"model": "m", "embeddings": [[1.0, 2.0]] * count, "prompt_eval_count": 2})


# --------------------------------------------------------------------------- the request


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"inputs": []}, ConfigurationError, "inputs is empty"),
        ({"inputs": b"bytes"}, TypeError, "inputs must be a str or a list"),
        ({"inputs": ["a", 3]}, TypeError, r"inputs\[1\] must be a str"),
        ({"dimensions": 0}, ConfigurationError, "dimensions must be a positive int"),
        ({"dimensions": True}, ConfigurationError, "dimensions must be a positive int"),
        ({"task_type": " "}, ConfigurationError, "task_type must be a non-empty str"),
        ({"model": ""}, InvalidModelError, "model is empty"),
        ({"timeout": -1}, ConfigurationError, "timeout must be a positive number"),
    ],
)
def test_bad_requests_are_rejected_naming_the_field(
    fields: dict[str, Any], error: type[Exception], message: str
) -> None:
    args: dict[str, Any] = {"model": "openai/m", "inputs": ["a"], **fields}
    with pytest.raises(error, match=message):
        EmbeddingRequest(**args)


def test_a_single_string_is_one_input_and_its_key_is_never_shown() -> None:
    req = EmbeddingRequest("openai/m", "just one", api_key="sk-secret-0123456789")
    assert req.inputs == ["just one"]
    assert "sk-secret" not in repr(req)


def test_result_vector_is_the_only_vector() -> None:
    assert EmbeddingResult("m", [[1.0]]).vector == [1.0]
    with pytest.raises(ValueError, match="has 2 vectors"):
        _ = EmbeddingResult("m", [[1.0], [2.0]]).vector
    assert EmbeddingResult("m", [[1.0]]).to_dict() == {
        "model": "m", "embeddings": [[1.0]], "input_tokens": None}  # fmt: skip


# --------------------------------------------------------------------------- routing


async def test_router_sends_provider_model_with_the_routers_key_and_base_url() -> None:
    async with LoopbackServer() as server:
        server.add("POST", "/v1/embeddings", _openai_reply(2))
        base_urls = {"openai": server.url + "/v1"}
        async with MultiPass({"openai": KEYS["openai"]}, base_urls=base_urls, env={}) as router:
            result = await embed("openai/text-embedding-3-small", ["a", "b"], 64, client=router)
    sent = server.requests[0]
    assert sent.headers["authorization"] == f"Bearer {KEYS['openai']}"
    assert sent.json() == {"model": "text-embedding-3-small", "input": ["a", "b"],
                           "encoding_format": "float", "dimensions": 64}  # fmt: skip
    assert result.model == "openai/text-embedding-3-small"
    assert result.vectors == [[0.25, 0.5], [0.5, 0.5]]
    assert result.usage is not None and result.usage.input_tokens == 3


async def test_router_reads_keys_and_base_urls_from_its_environment() -> None:
    async with LoopbackServer() as server:
        server.always("POST", "/api/embed", _ollama_reply)
        env = {"POLLYTOOL_OLLAMA_BASEURL": server.url, "POLLYTOOL_OLLAMAKEY": KEYS["ollama"]}
        async with MultiPass(env=env) as router:
            result = await router.embed(EmbeddingRequest("ollama/all-minilm", "x"))
            other = await router.embed(
                EmbeddingRequest("ollama/all-minilm", "y", api_key="ollama-other-key-123")
            )
    assert result.vector == [1.0, 2.0] and other.vector == [1.0, 2.0]
    keys = [r.headers["authorization"] for r in server.requests]
    assert keys == [f"Bearer {KEYS['ollama']}", "Bearer ollama-other-key-123"]


async def test_router_uses_a_fixed_client_given_for_the_provider() -> None:
    async with LoopbackServer() as server, client_for("openai", server.url) as client:
        server.add("POST", "/v1/embeddings", _openai_reply())
        router = MultiPass(clients={"openai": client}, env={})
        result = await router.embed(EmbeddingRequest("openai/text-embedding-3-large", "x"))
    assert server.requests[0].json()["model"] == "text-embedding-3-large"
    assert result.model == "openai/text-embedding-3-large"


@pytest.mark.parametrize(
    ("model", "error"),
    [
        ("text-embedding-3-small", InvalidModelError),
        ("nosuch/model", UnknownProviderError),
        ("openai/text-embedding-3-small", MissingAPIKeyError),
        ("anthropic/claude-sonnet-4-6", UnsupportedFeatureError),
        ("fake/model", UnsupportedFeatureError),
    ],
)
async def test_router_errors_are_typed_and_nothing_is_sent(
    model: str, error: type[Exception]
) -> None:
    async with MultiPass(env={}) as router:
        with pytest.raises(error) as caught:
            await router.embed(EmbeddingRequest(model, "x"))
    if error is UnsupportedFeatureError:
        assert isinstance(caught.value, UnsupportedFeatureError)
        assert caught.value.feature == "embeddings"
        assert f"{model.split('/', maxsplit=1)[0]} has no embeddings API" in str(caught.value)


async def test_anthropic_and_the_fake_have_no_embeddings() -> None:
    for client in (AnthropicClient(api_key="sk-ant-test-0123456789"), FakeLLM()):
        with pytest.raises(UnsupportedFeatureError, match="has no embeddings API"):
            await embed("m", "x", client=client)


# --------------------------------------------------------------------------- the wire


async def test_ollama_sends_dimensions_and_ignores_task_type() -> None:
    async with LoopbackServer() as server, client_for("ollama", server.url) as client:
        server.always("POST", "/api/embed", _ollama_reply)
        await embed("nomic-embed-text", ["a"], 256, "RETRIEVAL_QUERY", client=client)
    assert server.requests[0].json() == {"model": "nomic-embed-text", "input": ["a"],
                                         "dimensions": 256}  # fmt: skip


async def test_a_requests_own_base_url_and_key_are_used() -> None:
    async with LoopbackServer() as server, LoopbackServer() as other:
        other.add("POST", "/v1/embeddings", _openai_reply())
        async with client_for("openai", server.url) as client:
            req = EmbeddingRequest("m", "x", base_url=other.url + "/v1",
                                   api_key="sk-own-key-0123456789")  # fmt: skip
            await client.embed(req)
    assert not server.requests
    assert other.requests[0].headers["authorization"] == "Bearer sk-own-key-0123456789"


async def test_a_server_error_is_retried_by_the_client() -> None:
    failure = Reply.json({"error": "busy"}, status=503, headers={"retry-after": "0"})
    async with LoopbackServer() as server, client_for("ollama", server.url, max_retries=1) as c:
        server.add("POST", "/api/embed", failure, _ollama_reply)
        result = await c.embed(EmbeddingRequest("m", "x"))
    assert len(server.requests) == 2 and result.vector == [1.0, 2.0]


async def test_the_request_timeout_bounds_the_whole_call() -> None:
    async def stall(request: RecordedRequest) -> Reply:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async with LoopbackServer() as server, client_for("ollama", server.url) as client:
        server.always("POST", "/api/embed", stall)
        with pytest.raises(APITimeoutError, match=r"within its 0\.2s timeout"):
            await client.embed(EmbeddingRequest("m", "x", timeout=0.2))


async def test_errors_never_show_the_key() -> None:
    key = KEYS["openai"]
    body = {"error": {"message": f"Incorrect API key provided: {key}", "type": "invalid",
                      "code": "invalid_api_key"}}  # fmt: skip
    async with LoopbackServer() as server, client_for("openai", server.url) as client:
        server.add("POST", "/v1/embeddings", Reply.json(body, status=401))
        with pytest.raises(AuthenticationError) as caught:
            await client.embed(EmbeddingRequest("m", "x"))
    assert key not in str(caught.value) and key not in repr(caught.value.__cause__)
