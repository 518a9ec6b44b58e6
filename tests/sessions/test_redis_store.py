"""What only the Redis store does: its keys, expiry by Redis itself, lost connections, the
server's clock, secrets. The shared behaviour is in test_contract.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import anyio
import pytest
import redis.asyncio

from pollytool.errors import (
    ConfigurationError,
    SessionCorruptError,
    SessionUnavailableError,
)
from pollytool.messages import ChatMessage
from pollytool.sessions import RedisSessionStore, SessionMetadata
from tests.sessions._proxy import CuttingProxy

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the redis client supports only asyncio


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def store(redis_url: str, raw: redis.asyncio.Redis) -> AsyncIterator[RedisSessionStore]:
    async with RedisSessionStore(redis_url, SessionMetadata(system_prompt="sys")) as made:
        yield made


def port_of(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


async def test_layout_of_keys(store: RedisSessionStore, raw: redis.asyncio.Redis) -> None:
    session = await store.get("chat")
    await session.add_message(ChatMessage.user("hi"))
    await session.update_metadata(model="m/x", extra={"color": "blue"})
    found: list[Any] = await raw.keys("*")
    keys = sorted(k.decode() for k in found)
    assert keys == ["pollytool:index", "pollytool:log:chat", "pollytool:meta:chat"]
    assert await raw.lrange("pollytool:log:chat", 0, -1) == [
        ChatMessage.system("sys").to_json().encode(),
        ChatMessage.user("hi").to_json().encode(),
    ]
    meta: dict[Any, Any] = await raw.hgetall("pollytool:meta:chat")
    assert meta[b"model"] == b'"m/x"' and meta[b"color"] == b'"blue"'
    assert b"last_used" not in meta and b"name" not in meta
    seconds, micros = await raw.time()
    score = await raw.zscore("pollytool:index", "chat")
    assert score is not None and abs(score - (seconds + micros / 1e6)) < 5  # Redis's clock
    assert (await session.get_metadata()).last_used.timestamp() == pytest.approx(score)


async def test_prefix_separates_stores(redis_url: str, raw: redis.asyncio.Redis) -> None:
    async with (
        RedisSessionStore(redis_url, prefix="app-a:") as a,
        RedisSessionStore(redis_url, prefix="app-b:") as b,
    ):
        await a.get("same")
        await (await b.get("same")).add_message(ChatMessage.user("only b"))
        assert await a.list() == ["same"] and await b.list() == ["same"]
        assert await (await a.get("same")).get_history() == []
        assert await a.delete("same")
        assert await b.exists("same")


async def test_ttl_is_kept_by_redis_and_renewed(redis_url: str, raw: redis.asyncio.Redis) -> None:
    async with RedisSessionStore(redis_url, ttl=600) as store:
        session = await store.get("t")
        await session.add_message(ChatMessage.user("a"))  # an empty log has no key
        for key in ("pollytool:meta:t", "pollytool:log:t"):
            assert 0 < await raw.pttl(key) <= 600_000
        await session.update_metadata(ttl=60)
        await session.add_message(ChatMessage.user("renews"))
        for key in ("pollytool:meta:t", "pollytool:log:t"):
            assert 0 < await raw.pttl(key) <= 60_000
    async with RedisSessionStore(redis_url) as store:  # no store ttl: only the session's
        session = await store.get("forever")
        await session.add_message(ChatMessage.user("x"))
        assert await raw.pttl("pollytool:log:forever") == -1
        await session.update_metadata(ttl=30)
        assert 0 < await raw.pttl("pollytool:log:forever") <= 30_000
        await session.update_metadata(ttl=None)
        assert await raw.pttl("pollytool:log:forever") == -1


async def test_redis_removes_an_idle_session_by_itself(
    store: RedisSessionStore, raw: redis.asyncio.Redis
) -> None:
    events = raw.pubsub()
    await events.subscribe("__keyevent@0__:expired")  # the test server publishes expiries
    try:
        session = await store.get("brief", defaults=SessionMetadata(ttl=0.3))
        await session.add_message(ChatMessage.user("soon gone"))
        expired: set[bytes] = set()
        with anyio.fail_after(10):
            while len(expired) < 2:
                event: Any = await events.get_message(ignore_subscribe_messages=True, timeout=5)
                if event is not None:
                    expired.add(event["data"])
        assert expired == {b"pollytool:meta:brief", b"pollytool:log:brief"}
    finally:
        await events.aclose()
    assert not await store.exists("brief")
    assert await store.list() == []
    assert await store.expire() == ["brief"]  # and its name leaves the index
    assert await raw.zcard("pollytool:index") == 0


async def test_a_request_cut_half_way_stores_nothing(
    redis_url: str, raw: redis.asyncio.Redis
) -> None:
    async with (
        CuttingProxy.running(port_of(redis_url)) as proxy,
        RedisSessionStore(f"redis://127.0.0.1:{proxy.port}/0") as store,
    ):
        session = await store.get("cut")
        await session.add_message(ChatMessage.user("kept"))
        proxy.cut = "request"
        batch = [ChatMessage.user("x" * 50_000) for _ in range(5)]
        with pytest.raises(SessionUnavailableError, match="applied whole or not at all"):
            await session.add_messages(batch)
        assert await raw.lrange("pollytool:log:cut", 0, -1) == [
            ChatMessage.user("kept").to_json().encode()
        ]
        await session.add_message(ChatMessage.user("after"))  # reconnects by itself
        assert [m.content for m in await session.get_history()] == ["kept", "after"]


async def test_a_lost_reply_leaves_the_append_whole_and_never_repeated(
    redis_url: str, raw: redis.asyncio.Redis
) -> None:
    async with (
        CuttingProxy.running(port_of(redis_url)) as proxy,
        RedisSessionStore(f"redis://127.0.0.1:{proxy.port}/0") as store,
    ):
        session = await store.get("lost")
        await session.add_message(ChatMessage.user("zero"))  # Redis now knows the script
        proxy.cut = "reply"
        with pytest.raises(SessionUnavailableError):
            await session.add_messages([ChatMessage.user("one"), ChatMessage.user("two")])
        contents = [m.content for m in await session.get_history()]
        assert contents == ["zero", "one", "two"]


async def test_unreachable_server_is_a_typed_error_without_the_password() -> None:
    with anyio.fail_after(30):
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        await listener.aclose()  # nothing listens there now
    url = f"redis://user:s3cret-passw0rd@127.0.0.1:{port}/0"
    store = RedisSessionStore(url, timeout=5)
    assert "s3cret" not in repr(store) and "***" in repr(store)
    async with store:
        with pytest.raises(SessionUnavailableError) as caught:
            await store.get("x")
    text = f"{caught.value} {caught.value.__cause__!r}"
    assert "s3cret" not in str(caught.value)
    assert str(port) in text


async def test_a_key_of_another_kind_is_reported(
    store: RedisSessionStore, raw: redis.asyncio.Redis
) -> None:
    session = await store.get("clash")
    await raw.set("pollytool:log:clash", "a string, not a list")
    with pytest.raises(SessionCorruptError, match="another kind"):
        await session.add_message(ChatMessage.user("x"))


async def test_concurrent_metadata_changes_and_appends_all_land(
    redis_url: str, raw: redis.asyncio.Redis
) -> None:
    """Appends renew the expiry of the watched keys, so metadata updates retry; none is
    lost and no append is lost."""
    async with RedisSessionStore(redis_url, ttl=600) as store:
        session = await store.get("busy")

        async def append(task: int) -> None:
            for i in range(20):
                await session.add_message(ChatMessage.user(f"{task}-{i}"))

        async def describe(task: int) -> None:
            for i in range(20):
                await session.update_metadata(extra={f"task{task}": i})

        async with anyio.create_task_group() as tasks:
            for task in range(5):
                tasks.start_soon(append, task)
                tasks.start_soon(describe, task)
        assert len(await session.get_history()) == 100
        extra = (await session.get_metadata()).extra
        assert len(extra) == 1 and next(iter(extra.values())) == 19


def test_trio_is_refused_with_a_clear_error(redis_url: str) -> None:
    async def use() -> None:
        async with RedisSessionStore(redis_url) as store:
            await store.list()

    with pytest.raises(ConfigurationError, match="asyncio only"):
        anyio.run(use, backend="trio")
