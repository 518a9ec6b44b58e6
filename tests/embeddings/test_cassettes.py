"""Every recorded embeddings exchange replayed through the real vendor SDKs over the loopback
server: the vectors come back exactly as recorded (OpenAI's base64 recording decoded to the
same float32 values), what was sent matches the recording, and the 404s become typed errors."""

from __future__ import annotations

import base64
import math
import struct
from typing import Any

import pytest

from pollytool.embeddings import EmbeddingRequest
from pollytool.errors import ModelNotFoundError
from pollytool.messages import Usage
from tests.embeddings._support import KEYS, client_for, recorded, response_json
from tests.fakes.cassettes import cassette_ids
from tests.fakes.loopback import LoopbackServer

pytestmark = pytest.mark.anyio

EMBEDDING_APIS = ("openai.embeddings", "gemini.batchEmbedContents", "ollama.embed")
CASSETTES = [c for api in EMBEDDING_APIS for c in cassette_ids(api=api)]
SUCCESSES = [c for c in CASSETTES if "error" not in c]
ERRORS = [c for c in CASSETTES if "error" in c]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # google-genai runs on asyncio only; the other two are covered below


def test_every_embedding_cassette_is_covered() -> None:
    assert len(SUCCESSES) == 6 and len(ERRORS) == 2


def _recorded_vectors(provider: str, body: Any) -> list[list[float]]:
    if provider == "openai":
        vectors = []
        for item in sorted(body["data"], key=lambda d: d["index"]):
            value = item["embedding"]
            if isinstance(value, str):
                raw = base64.b64decode(value)
                value = list(struct.unpack(f"<{len(raw) // 4}f", raw))
            vectors.append(value)
        return vectors
    if provider == "gemini":
        return [e["values"] for e in body["embeddings"]]
    return list(body["embeddings"])


def _request_of(provider: str, interaction: dict[str, Any]) -> EmbeddingRequest:
    """The request the recording was made with, rebuilt from its recorded body."""
    body = interaction["request"]["body"]
    if provider == "gemini":
        (item,) = body["requests"]
        return EmbeddingRequest(
            item["model"].removeprefix("models/"), [p["text"] for p in item["content"]["parts"]],
            dimensions=item.get("outputDimensionality"), task_type=item.get("taskType"),
        )  # fmt: skip
    return EmbeddingRequest(body["model"], body["input"], dimensions=body.get("dimensions"))


@pytest.mark.parametrize("cassette_id", SUCCESSES)
async def test_recorded_vectors_come_back(cassette_id: str) -> None:
    cassette, interaction = recorded(cassette_id)
    provider = cassette["provider"]
    req = _request_of(provider, interaction)
    expected = _recorded_vectors(provider, response_json(interaction))
    async with LoopbackServer() as server, client_for(provider, server.url) as client:
        server.replay(cassette)
        result = await client.embed(req)
        sent = server.requests[0]
    assert server.pending == 0
    assert sent.path == interaction["request"]["path"]
    assert result.model == req.model
    assert len(result.vectors) == len(expected) == len(req.inputs)
    for got, want in zip(result.vectors, expected, strict=True):
        if provider == "gemini" and req.dimensions is not None:  # scaled to length 1
            norm = math.sqrt(sum(x * x for x in want))
            assert math.isclose(math.sqrt(sum(x * x for x in got)), 1.0, rel_tol=1e-9)
        else:
            norm = 1.0
        assert got == pytest.approx([x / norm for x in want], rel=1e-6, abs=1e-9)
    _assert_sent_like_recording(provider, sent.json(), interaction["request"]["body"], req)
    usage = response_json(interaction).get("usage") or {}
    tokens = usage.get("prompt_tokens", response_json(interaction).get("prompt_eval_count"))
    assert result.usage == (Usage(input_tokens=tokens) if tokens is not None else None)


def _assert_sent_like_recording(
    provider: str, sent: dict[str, Any], recorded_body: dict[str, Any], req: EmbeddingRequest
) -> None:
    if provider == "openai":
        assert sent["encoding_format"] == "float"  # never the SDK's silent base64
        assert sent["input"] == req.inputs and sent["model"] == req.model
        assert sent.get("dimensions") == recorded_body.get("dimensions")
    elif provider == "gemini":
        (item,) = sent["requests"]
        (want,) = recorded_body["requests"]
        assert item["content"]["parts"] == want["content"]["parts"]
        assert item["model"] == want["model"]
        assert item.get("outputDimensionality") == want.get("outputDimensionality")
        assert item.get("taskType") == want.get("taskType")
    else:
        assert sent == {"model": req.model, "input": req.inputs}


@pytest.mark.parametrize("cassette_id", ERRORS)
async def test_recorded_404_is_a_typed_error(cassette_id: str) -> None:
    cassette, interaction = recorded(cassette_id)
    provider = cassette["provider"]
    req = _request_of(provider, interaction)
    async with LoopbackServer() as server, client_for(provider, server.url) as client:
        server.replay(cassette)
        with pytest.raises(ModelNotFoundError) as caught:
            await client.embed(req)
    error = caught.value
    assert error.status_code == 404 and error.provider == provider
    assert "nonexistent" in error.message
    key = KEYS[provider]
    assert key not in str(error) and key not in repr(error)
