"""Semantic search: embed a few documents and a query, then rank the documents by cosine
similarity to the query.

    python examples/semantic_search/semantic_search.py "how do I keep my plants alive?"
    python examples/semantic_search/semantic_search.py --model gemini/gemini-embedding-001 "pasta"

Needs a key for the model's provider (``POLLYTOOL_OPENAIKEY`` for the default model).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys

from pollytool import PollyError
from pollytool.llm import embed

DOCUMENTS = [
    "Water houseplants when the top inch of soil is dry.",
    "Boil the pasta in salted water for nine minutes.",
    "A bicycle chain lasts longer when it is cleaned and oiled.",
    "Most succulents need bright light and little water.",
]


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norms if norms else 0.0


async def main(model: str, query: str) -> None:
    documents = await embed(model, DOCUMENTS)  # one vector per document, in order
    question = await embed(model, query)  # a single text: one vector
    ranked = sorted(
        zip(DOCUMENTS, documents.vectors, strict=True),
        key=lambda pair: cosine(question.vector, pair[1]),
        reverse=True,
    )
    for document, vector in ranked:
        print(f"{cosine(question.vector, vector):.3f}  {document}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Rank documents by similarity to a query.")
    parser.add_argument("query")
    parser.add_argument("--model", default="openai/text-embedding-3-small")
    args = parser.parse_args()
    try:
        asyncio.run(main(args.model, args.query))
    except PollyError as exc:
        sys.exit(f"Error: {exc}")
