"""Gemini specifics: one ``Content`` per text (the SDK would merge a list into one embedding for
multimodal model ids such as ``gemini-embedding-2``), task type and dimensions on the wire,
shortened vectors scaled back to length 1, full-length ones left alone."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from pollytool.embeddings import EmbeddingRequest
from tests.embeddings._support import KEYS, client_for
from tests.fakes.loopback import LoopbackServer, RecordedRequest, Reply

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # google-genai runs on asyncio only


def _answer(values: list[float]) -> Callable[[RecordedRequest], Reply]:
    def answer(request: RecordedRequest) -> Reply:
        count = len(request.json()["requests"])
        return Reply.json({"embeddings": [{"values": values}] * count})

    return answer


async def test_each_text_is_its_own_content_with_task_type_and_dimensions() -> None:
    model = "gemini-embedding-2"
    async with LoopbackServer() as server, client_for("gemini", server.url) as client:
        server.always("POST", f"/v1beta/models/{model}:batchEmbedContents", _answer([3.0, 4.0]))
        result = await client.embed(
            EmbeddingRequest(model, ["a", "b", "c"], dimensions=2, task_type="CLUSTERING")
        )
    sent = server.requests[0]
    assert sent.headers["x-goog-api-key"] == KEYS["gemini"]
    items = sent.json()["requests"]
    assert [item["content"]["parts"] for item in items] == [[{"text": t}] for t in "abc"]
    assert {item["taskType"] for item in items} == {"CLUSTERING"}
    assert {item["outputDimensionality"] for item in items} == {2}
    assert result.vectors == [[0.6, 0.8]] * 3  # scaled to length 1
    assert result.usage is None


async def test_full_length_vectors_are_returned_as_sent() -> None:
    async with LoopbackServer() as server, client_for("gemini", server.url) as client:
        server.always("POST", None, _answer([3.0, 4.0]))
        result = await client.embed(EmbeddingRequest("gemini-embedding-001", "a"))
    assert result.vector == [3.0, 4.0]
    assert "taskType" not in server.requests[0].json()["requests"][0]


async def test_zero_vector_is_left_alone_when_shortened() -> None:
    async with LoopbackServer() as server, client_for("gemini", server.url) as client:
        server.always("POST", None, _answer([0.0, 0.0]))
        result = await client.embed(EmbeddingRequest("m", "a", dimensions=2))
    assert result.vector == [0.0, 0.0]
    assert not any(math.isnan(x) for x in result.vector)
