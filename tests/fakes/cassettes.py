"""Loading the recorded HTTP traffic in ``tests/cassettes`` (format: its README.md)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["CASSETTE_DIR", "cassette_ids", "load_cassette"]

CASSETTE_DIR = Path(__file__).resolve().parent.parent / "cassettes"


@cache
def _load(cassette_id: str) -> str:
    path = CASSETTE_DIR / f"{cassette_id}.json"
    return path.read_text(encoding="utf-8")


def load_cassette(cassette_id: str) -> dict[str, Any]:
    """The cassette ``<provider>/<name>`` as a fresh dict (safe to modify)."""
    data: dict[str, Any] = json.loads(_load(cassette_id))
    return data


def cassette_ids(provider: str | None = None, api: str | None = None) -> list[str]:
    """Ids of all cassettes, optionally only one provider's or one API's, sorted."""
    ids = []
    for path in sorted(CASSETTE_DIR.glob("*/*.json")):
        cassette_id = f"{path.parent.name}/{path.stem}"
        if provider is not None and path.parent.name != provider:
            continue
        if api is not None and load_cassette(cassette_id)["api"] != api:
            continue
        ids.append(cassette_id)
    return ids
