"""A ``kit`` fixture that builds either store, so behaviour tests run against both."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from pollytool.sessions import (
    FileSessionStore,
    MemorySessionStore,
    SessionMetadata,
    SessionStore,
)


class FakeClock:
    """A settable clock for the memory store."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class StoreKit:
    """Makes stores of one kind and moves their time forward."""

    kind: str
    make: Callable[..., SessionStore]
    advance: Callable[[float], None]


@pytest.fixture(params=["memory", "file"])
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> StoreKit:
    if request.param == "memory":
        clock = FakeClock()

        def make_memory(
            defaults: SessionMetadata | None = None, ttl: float | None = None
        ) -> SessionStore:
            return MemorySessionStore(defaults, ttl, clock=clock)

        def advance_clock(seconds: float) -> None:
            clock.now += seconds

        return StoreKit("memory", make_memory, advance_clock)

    directory = tmp_path / "contexts"

    def make_file(
        defaults: SessionMetadata | None = None, ttl: float | None = None
    ) -> SessionStore:
        return FileSessionStore(directory, defaults, ttl=ttl)

    def age_files(seconds: float) -> None:
        """Time passing, as the file store sees it: every log was written earlier."""
        for log in directory.glob("*.jsonl"):
            stamp = log.stat().st_mtime - seconds
            os.utime(log, (stamp, stamp))

    return StoreKit("file", make_file, age_files)
