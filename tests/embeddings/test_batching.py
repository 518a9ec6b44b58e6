"""Large input lists: split into batches the provider accepts, sent with a bounded number in
flight, and reassembled in input order, whatever order the batches finish in. The requests
the real SDKs sent are asserted batch by batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest

from pollytool.embeddings import EmbeddingRequest
from pollytool.errors import InvalidRequestError, ResponseError
from pollytool.messages import Usage
from pollytool.providers._embedding import MAX_CONCURRENT_BATCHES, EmbeddingAPI, batches
from pollytool.providers._embedding import run_embedding as run
from pollytool.providers.gemini._embed import GEMINI_EMBEDDINGS
from pollytool.providers.ollama._embed import OLLAMA_EMBEDDINGS
from pollytool.providers.openai._embed import OPENAI_EMBEDDINGS
from tests.embeddings._support import PATHS, client_for
from tests.fakes.loopback import LoopbackServer, RecordedRequest, Reply

pytestmark = pytest.mark.anyio

APIS: dict[str, EmbeddingAPI[Any]] = {
    "openai": OPENAI_EMBEDDINGS, "gemini": GEMINI_EMBEDDINGS, "ollama": OLLAMA_EMBEDDINGS,
}  # fmt: skip
MODEL = {"openai": "text-embedding-3-small", "gemini": "gemini-embedding-2", "ollama": "embed"}


#: (provider, async backend): google-genai runs on asyncio only, the other SDKs on both.
CASES = [("openai", "asyncio"), ("openai", "trio"), ("gemini", "asyncio"),
         ("ollama", "asyncio"), ("ollama", "trio")]  # fmt: skip


@pytest.fixture(params=CASES, ids=["-".join(case) for case in CASES])
def case(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def anyio_backend(case: tuple[str, str]) -> str:
    return case[1]


@pytest.fixture
def provider(case: tuple[str, str]) -> str:
    return case[0]


def _texts(body: dict[str, Any], provider: str) -> list[str]:
    if provider == "gemini":
        return [item["content"]["parts"][0]["text"] for item in body["requests"]]
    return list(body["input"])


def _vector(text: str) -> list[float]:
    return [float(text), 0.5]


def _reply(texts: list[str], provider: str) -> Reply:
    """One vector per text, derived from it (OpenAI's data deliberately in reverse order:
    its ``index`` says where each belongs)."""
    if provider == "openai":
        data = [{"object": "embedding", "index": i, "embedding": _vector(t)}
                for i, t in enumerate(texts)]  # fmt: skip
        usage = {"prompt_tokens": len(texts), "total_tokens": len(texts)}
        return Reply.json({"object": "list", "data": data[::-1], "model": "m", "usage": usage})
    if provider == "gemini":
        return Reply.json({"embeddings": [{"values": _vector(t)} for t in texts]})
    return Reply.json({"model": "embed", "embeddings": [_vector(t) for t in texts],
                       "prompt_eval_count": len(texts)})  # fmt: skip


@dataclass
class Backend:
    """Answers embeddings requests; the first batch answers only after all the others of
    its round, and no batch answers before the round is full (so the bound is reached)."""

    provider: str
    total: int
    bodies: list[dict[str, Any]] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    answered: int = 0
    round_full: anyio.Event = field(default_factory=anyio.Event)
    others_answered: anyio.Event = field(default_factory=anyio.Event)

    async def __call__(self, request: RecordedRequest) -> Reply:
        body = request.json()
        self.bodies.append(body)
        texts = _texts(body, self.provider)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.in_flight == MAX_CONCURRENT_BATCHES or len(self.bodies) == self.total:
            self.round_full.set()
        await self.round_full.wait()
        if texts[0] == "0" and self.total > 1:
            await self.others_answered.wait()
        self.in_flight -= 1
        self.answered += 1
        if self.answered >= min(self.total, MAX_CONCURRENT_BATCHES) - 1:
            self.others_answered.set()
        return _reply(texts, self.provider)


def _path(provider: str) -> str:
    return PATHS[provider].format(model=MODEL[provider])


async def test_batches_are_bounded_and_reassembled_in_order(provider: str) -> None:
    per_batch = 3
    texts = [str(i) for i in range(10 * per_batch - 1)]  # 10 batches, the last one short
    api = EmbeddingAPI(per_batch, 10**9, APIS[provider].send)
    backend = Backend(provider, total=10)
    async with LoopbackServer() as server, client_for(provider, server.url) as client:
        server.always("POST", _path(provider), backend)
        result = await run(client, EmbeddingRequest(MODEL[provider], texts), api)
    assert result.vectors == [_vector(t) for t in texts]
    sent = sorted((_texts(b, provider) for b in backend.bodies), key=lambda t: int(t[0]))
    assert sent == [texts[i : i + per_batch] for i in range(0, len(texts), per_batch)]
    assert backend.most_in_flight == MAX_CONCURRENT_BATCHES
    assert backend.answered == 10
    expected_usage = None if provider == "gemini" else Usage(input_tokens=len(texts))
    assert result.usage == expected_usage


async def test_the_providers_own_limit_splits_a_large_list(provider: str) -> None:
    limit = APIS[provider].max_inputs
    texts = [str(i) for i in range(2 * limit + 7)]
    backend = Backend(provider, total=3)
    async with LoopbackServer() as server, client_for(provider, server.url) as client:
        server.always("POST", _path(provider), backend)
        result = await client.embed(EmbeddingRequest(MODEL[provider], texts))
    sizes = sorted((len(_texts(b, provider)) for b in backend.bodies), reverse=True)
    assert sizes == [limit, limit, 7]
    assert result.vectors == [_vector(t) for t in texts]


def test_batches_respect_a_character_budget() -> None:
    texts = ["aaaa", "bb", "cccccc", "d", "eeeeeeeeee", "f"]
    runs = batches(texts, max_inputs=3, max_chars=7)
    assert runs == [(0, ["aaaa", "bb"]), (2, ["cccccc", "d"]), (4, ["eeeeeeeeee"]), (5, ["f"])]
    assert [t for _, run_texts in runs for t in run_texts] == texts


async def test_one_failing_batch_fails_the_call_and_stops_the_others(provider: str) -> None:
    texts = [str(i) for i in range(9)]
    api = EmbeddingAPI(3, 10**9, APIS[provider].send)
    released, all_sent = anyio.Event(), anyio.Event()
    seen: list[list[str]] = []

    async def answer(request: RecordedRequest) -> Reply:
        batch = _texts(request.json(), provider)
        seen.append(batch)
        if len(seen) == 3:
            all_sent.set()
        if batch[0] == "3":
            await all_sent.wait()
            return Reply.json({"error": {"message": "input 3 is bad", "code": 400,
                                         "status": "INVALID_ARGUMENT"}}, status=400)  # fmt: skip
        await released.wait()  # never set: the failure must cancel these
        return _reply(batch, provider)

    async with LoopbackServer() as server, client_for(provider, server.url) as client:
        server.always("POST", _path(provider), answer)
        with pytest.raises(InvalidRequestError) as caught:
            await run(client, EmbeddingRequest(MODEL[provider], texts), api)
    assert caught.value.status_code == 400
    assert len(seen) == 3


@pytest.mark.parametrize("count", [0, 2])
async def test_a_reply_with_the_wrong_number_of_vectors_is_an_error(
    provider: str, count: int
) -> None:
    def answer(request: RecordedRequest) -> Reply:
        return _reply([str(i) for i in range(count)], provider)

    async with LoopbackServer() as server, client_for(provider, server.url) as client:
        server.always("POST", _path(provider), answer)
        with pytest.raises(ResponseError, match=f"{count} vectors for 1 inputs"):
            await client.embed(EmbeddingRequest(MODEL[provider], "1"))
