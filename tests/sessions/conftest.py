"""Fixtures that build every store kind, so that one contract suite runs against all of them.

``kit`` is parametrised over memory, file, SQLite and Redis; ``persistent_kit`` over the
stores several processes can share (file, SQLite, Redis), which also give raw access to what
they keep (to damage it, as a crash or another program would). Redis runs in a real
``redis-server`` that the session-wide ``redis_url`` fixture starts on a free loopback port;
without the binary those tests are skipped, or fail when ``CI=true``.

The redis client supports only asyncio, so the Redis variants of async tests run on asyncio
only: their trio variants are deselected below.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pollytool.sessions import SessionMetadata, SessionStore
from tests.sessions._redis_server import MISSING, redis_server
from tests.sessions._stores import KINDS, PERSISTENT, open_store


class FakeClock:
    """A settable clock for the memory store."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class StoreKit:
    """Makes stores of one kind, moves their time forward and reaches into their storage.

    ``inject(name, item)`` appends a raw item to a session's log; ``items(name)`` returns the
    raw items; ``corrupt_metadata(name)`` makes a session's metadata unreadable. They are
    ``None`` for the memory store, which nothing else can reach.
    """

    kind: str
    location: str
    make_store: Callable[[SessionMetadata | None, float | None], SessionStore]
    advance: Callable[[float], None]
    inject: Callable[[str, bytes], None] | None = None
    items: Callable[[str], list[bytes]] | None = None
    corrupt_metadata: Callable[[str], None] | None = None
    close_raw: Callable[[], None] = lambda: None
    made: list[SessionStore] = field(default_factory=list)

    def make(
        self, defaults: SessionMetadata | None = None, ttl: float | None = None
    ) -> SessionStore:
        store = self.make_store(defaults, ttl)
        self.made.append(store)
        return store


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the trio variants of Redis tests (the redis client is asyncio-only)."""
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        params = getattr(item, "callspec", None)
        chosen = params.params if params is not None else {}
        redis = "redis" in (chosen.get("kit"), chosen.get("persistent_kit"))
        (dropped if redis and chosen.get("anyio_backend") == "trio" else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The URL of a redis-server started for this test run."""
    try:
        with redis_server() as url:
            yield url
    except FileNotFoundError:
        if os.environ.get("CI") == "true":
            pytest.fail(MISSING)
        pytest.skip(MISSING)


def _memory_kit() -> StoreKit:
    from pollytool.sessions import MemorySessionStore

    clock = FakeClock()

    def advance(seconds: float) -> None:
        clock.now += seconds

    return StoreKit(
        "memory", "", lambda defaults, ttl: MemorySessionStore(defaults, ttl, clock=clock), advance
    )


def _file_kit(directory: Path) -> StoreKit:
    def advance(seconds: float) -> None:
        """Time passing, as the file store sees it: every log was written earlier."""
        for log in directory.glob("*.jsonl"):
            stamp = log.stat().st_mtime - seconds
            os.utime(log, (stamp, stamp))

    def inject(name: str, item: bytes) -> None:
        with (directory / f"{name}.jsonl").open("ab") as file:
            file.write(item + b"\n")

    def items(name: str) -> list[bytes]:
        return (directory / f"{name}.jsonl").read_bytes().splitlines()

    def corrupt_metadata(name: str) -> None:
        (directory / f"{name}.meta.json").write_bytes(b"{not json")

    return StoreKit(
        "file", str(directory), lambda d, t: open_store("file", str(directory), d, t),
        advance, inject, items, corrupt_metadata,
    )  # fmt: skip


def _sqlite_kit(path: Path) -> StoreKit:
    def run(sql: str, *args: object) -> list[Any]:
        with sqlite3.connect(path, isolation_level=None) as connection:
            return connection.execute(sql, args).fetchall()

    def advance(seconds: float) -> None:
        run("UPDATE sessions SET last_used = last_used - ?", seconds)

    def inject(name: str, item: bytes) -> None:
        run("INSERT INTO messages (session, role, tokens, body) VALUES (?, NULL, 0, ?)", name, item)

    def items(name: str) -> list[bytes]:
        rows = run("SELECT CAST(body AS BLOB) FROM messages WHERE session = ? ORDER BY id", name)
        return [bytes(row[0]) for row in rows]

    def corrupt_metadata(name: str) -> None:
        run("UPDATE sessions SET metadata = '{not json' WHERE name = ?", name)

    return StoreKit(
        "sqlite", str(path), lambda d, t: open_store("sqlite", str(path), d, t),
        advance, inject, items, corrupt_metadata,
    )  # fmt: skip


def _redis_kit(url: str) -> StoreKit:
    import redis

    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    location = f"{url} {prefix}"
    client = redis.Redis.from_url(url)

    def advance(seconds: float) -> None:
        names: list[Any] = client.zrange(f"{prefix}index", 0, -1)
        for name in names:
            client.zincrby(f"{prefix}index", -seconds, name)

    def inject(name: str, item: bytes) -> None:
        client.rpush(f"{prefix}log:{name}", item)

    def items(name: str) -> list[bytes]:
        items: list[Any] = client.lrange(f"{prefix}log:{name}", 0, -1)
        return items

    def corrupt_metadata(name: str) -> None:
        client.hset(f"{prefix}meta:{name}", "model", "{not json")

    return StoreKit(
        "redis", location, lambda d, t: open_store("redis", location, d, t),
        advance, inject, items, corrupt_metadata, client.close,
    )  # fmt: skip


async def _kit(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[StoreKit]:
    if kind == "memory":
        kit = _memory_kit()
    elif kind == "file":
        kit = _file_kit(tmp_path / "contexts")
    elif kind == "sqlite":
        kit = _sqlite_kit(tmp_path / "sessions.db")
    else:
        kit = _redis_kit(request.getfixturevalue("redis_url"))
    try:
        yield kit
    finally:
        for store in kit.made:
            await store.aclose()
        kit.close_raw()


@pytest.fixture(params=KINDS)
async def kit(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreKit]:
    """A kit for each store kind."""
    async for made in _kit(request.param, request, tmp_path):
        yield made


@pytest.fixture(params=PERSISTENT)
async def persistent_kit(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreKit]:
    """A kit for each store kind that other processes can reach."""
    async for made in _kit(request.param, request, tmp_path):
        yield made
