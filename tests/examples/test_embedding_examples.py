"""The semantic-search example, run as a user runs it, against the loopback server answering
OpenAI embeddings requests with vectors that count a few topic words."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.examples._support import EXAMPLES, SECRET, clean_environ, provider_env, run_example
from tests.fakes.loopback import LoopbackServer, RecordedRequest, Reply

pytestmark = pytest.mark.anyio

TOPICS = (("water", "plant", "succulent", "soil"), ("pasta", "boil"), ("bicycle", "chain"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the example runs in its own process; the loop only hosts the server


def _vector(text: str) -> list[float]:
    words = text.lower()
    return [float(sum(words.count(word) for word in topic)) + 0.01 for topic in TOPICS]


def _embeddings(request: RecordedRequest) -> Reply:
    texts = request.json()["input"]
    data = [{"object": "embedding", "index": i, "embedding": _vector(t)}
            for i, t in enumerate(texts)]  # fmt: skip
    usage = {"prompt_tokens": 5, "total_tokens": 5}
    return Reply.json({"object": "list", "data": data, "model": "m", "usage": usage})


async def test_semantic_search_ranks_by_similarity(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    loopback.always("POST", "/v1/embeddings", _embeddings)
    done = await run_example(
        EXAMPLES / "semantic_search" / "semantic_search.py", "how much water does a plant need?",
        env=clean_environ(tmp_path, **provider_env(loopback)),
    )  # fmt: skip
    lines = done.stdout.decode().splitlines()
    assert {line.split("  ", 1)[1] for line in lines[:2]} == {
        "Water houseplants when the top inch of soil is dry.",
        "Most succulents need bright light and little water.",
    }
    scores = [float(line.split("  ", 1)[0]) for line in lines]
    assert scores == sorted(scores, reverse=True)
    assert len(lines) == 4 and SECRET not in done.stdout.decode()
    documents, query = (r.json() for r in loopback.requests)
    assert len(documents["input"]) == 4 and query["input"] == ["how much water does a plant need?"]
    assert documents["model"] == "text-embedding-3-small"
