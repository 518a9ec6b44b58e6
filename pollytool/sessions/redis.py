"""Sessions in Redis, shared by many workers on many hosts.

::

    from pollytool.sessions import RedisSessionStore, SessionMetadata

    store = RedisSessionStore("redis://cache:6379/0", SessionMetadata(ttl=3600))
    async with store, store.session("user-42") as session:
        await session.add_message(ChatMessage.user("Hello"))

Needs the ``redis`` extra (``pip install 'pollytool[redis]'``: the official ``redis``
client) and asyncio (that client does not run on trio). Keys, under a prefix
(``"pollytool:"`` unless you choose one)::

    <prefix>log:<name>    LIST of messages, one ChatMessage JSON each, oldest first
    <prefix>meta:<name>   HASH of the SessionMetadata fields, each value JSON
    <prefix>index         ZSET of session names scored by last use (seconds, Redis's clock)

Guarantees:

- An append is one Lua script: every message of an :meth:`~RedisSession.add_messages` call
  is stored, in order, or none is, and only while the session exists. Every other change is
  a ``WATCH``/``MULTI`` transaction, retried when another client changed the session.
- The client never retries a command by itself, so a connection lost mid-write raises
  :class:`~pollytool.errors.SessionUnavailableError` and the write was applied whole or not at
  all (never partly, never twice); a lost reply leaves that uncertain, as with any server.
- Times come from the Redis server's clock, so hosts with skewed clocks agree on last use
  and expiry. A session with a ``ttl`` (its own or the store's) also carries that expiry in
  Redis, renewed on every use, so Redis removes idle sessions even when nobody calls
  :meth:`~RedisSessionStore.expire`.

Meant for one Redis server or a primary with replicas, not Redis Cluster (a transaction spans
a session's keys and the index). Messages are encoded and decoded in worker threads; the
event loop never waits on anything but the network.
"""

from __future__ import annotations

import asyncio
import builtins
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import anyio.to_thread

from ..errors import (
    ConfigurationError,
    SessionCorruptError,
    SessionError,
    SessionNotFoundError,
    SessionUnavailableError,
    redact,
)
from ..messages import ChatMessage
from ._common import (
    Rewrite,
    SessionBase,
    StoreBase,
    StoredLog,
    decode_log,
    encode,
    initial_history,
    is_expired,
    rewrite_log,
    utc,
    warn_recovered,
)
from ._names import validate_session_name
from .base import SessionMetadata

if TYPE_CHECKING:
    from datetime import datetime

    from redis.asyncio import Redis

__all__ = ["RedisSession", "RedisSessionStore"]

_T = TypeVar("_T")

#: redis-py's pipeline, whose replies and methods are only partly typed.
Pipeline = Any

#: KEYS: meta, log, index. ARGV: name, the store's ttl ("" for none), then the messages.
_APPEND = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 3, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
local now = redis.call('TIME')
redis.call('ZADD', KEYS[3], now[1] + now[2] / 1000000, ARGV[1])
local ttl = tonumber(redis.call('HGET', KEYS[1], 'ttl') or '') or tonumber(ARGV[2])
if ttl then
  local ms = math.ceil(ttl * 1000)
  redis.call('PEXPIRE', KEYS[1], ms)
  redis.call('PEXPIRE', KEYS[2], ms)
end
return 1
"""


def _safe_url(url: str) -> str:
    """*url* with its password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _metadata_fields(metadata: SessionMetadata) -> dict[str, str]:
    data = metadata.to_dict()
    del data["name"], data["last_used"]  # the key and the index hold these
    return {key: json.dumps(value, ensure_ascii=False) for key, value in data.items()}


class RedisSession(SessionBase):
    """A handle on one session of a :class:`RedisSessionStore`. Several handles, tasks,
    processes and hosts may use one session at once."""

    def __init__(self, store: RedisSessionStore, name: str) -> None:
        super().__init__(name)
        self._store = store
        self._meta, self._log = store._keys(name)

    async def _append(self, messages: list[ChatMessage]) -> None:
        store = self._store
        lines = await anyio.to_thread.run_sync(encode, messages)
        async with store._errors():
            client = await store._client()
            script = client.register_script(_APPEND)
            default_ttl = "" if store._ttl is None else repr(store._ttl)
            keys = [self._meta, self._log, store._index]
            if not await script(keys=keys, args=[self._name, default_ttl, *lines]):
                raise store._gone(self._name)

    async def _load(self) -> tuple[list[ChatMessage], SessionMetadata]:
        async with self._store._errors():
            client = await self._store._client()
            async with client.pipeline(transaction=True) as pipe:
                self._store._queue_read(pipe, self._name)
                pipe.lrange(self._log, 0, -1)
                raw, score, items = await pipe.execute()
        metadata = self._store._metadata(self._name, raw, score)
        log = await anyio.to_thread.run_sync(self._decode, items)
        warn_recovered(log.problems)
        return log.messages, metadata

    def _decode(self, items: list[bytes]) -> StoredLog:
        return decode_log(items, lambda i: f"session {self._name!r} in Redis {self._log}[{i}]")

    async def _rewrite(self, rewrite: Rewrite) -> tuple[int, int]:
        store = self._store

        async def attempt(pipe: Pipeline) -> tuple[int, int, list[str]]:
            metadata = await store._read_watched(pipe, self._name)
            items = await pipe.lrange(self._log, 0, -1)
            log = await anyio.to_thread.run_sync(self._decode, items)
            before, after, entries = await anyio.to_thread.run_sync(
                rewrite_log, log, rewrite, metadata
            )
            now = await store._now(pipe)
            pipe.multi()
            pipe.delete(self._log)
            if entries:
                pipe.rpush(self._log, *(item for item, _ in entries))
            store._queue_touch(pipe, metadata, now)
            await pipe.execute()
            return before, after, log.problems

        before, after, problems = await store._transaction(self._name, attempt)
        warn_recovered(problems)
        return before, after

    async def _read_metadata(self) -> SessionMetadata:
        async with self._store._errors():
            client = await self._store._client()
            async with client.pipeline(transaction=True) as pipe:
                self._store._queue_read(pipe, self._name)
                raw, score = await pipe.execute()
        return self._store._metadata(self._name, raw, score)

    async def _modify_metadata(
        self, change: Callable[[SessionMetadata], SessionMetadata]
    ) -> SessionMetadata:
        store = self._store

        async def attempt(pipe: Pipeline) -> SessionMetadata:
            new = change(await store._read_watched(pipe, self._name))
            new.name, new.last_used = self._name, await store._now(pipe)
            pipe.multi()
            pipe.delete(self._meta)
            pipe.hset(self._meta, mapping=_metadata_fields(new))
            store._queue_touch(pipe, new, new.last_used)
            await pipe.execute()
            return new

        return await store._transaction(self._name, attempt)


class RedisSessionStore(StoreBase):
    """Sessions in Redis; see the module documentation for the keys and guarantees.

    Args:
        url: ``redis://[[user]:password@]host[:port][/db]``, ``rediss://…`` (TLS) or
            ``unix://path``, as :meth:`redis.asyncio.Redis.from_url` reads it. The password
            never appears in reprs or errors.
        defaults: metadata new sessions start with (system prompt, model, ``ttl``…).
        ttl: seconds of idleness after which a session expires, for sessions whose metadata
            sets no ``ttl`` of its own.
        prefix: put before every key, so that several stores (or applications) can share
            one database.
        timeout: seconds to connect, and to wait for each reply, before
            :class:`~pollytool.errors.SessionUnavailableError`.

    The connection pool is made on first use, on the running asyncio loop; close the store
    (``async with store:`` or :meth:`aclose`) on that loop.
    """

    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        defaults: SessionMetadata | None = None,
        *,
        ttl: float | None = None,
        prefix: str = "pollytool:",
        timeout: float = 10.0,
    ) -> None:
        super().__init__(defaults, ttl)
        try:
            import redis.asyncio  # noqa: F401  (checked here, used on first connection)
        except ImportError as exc:
            raise ConfigurationError(
                "RedisSessionStore needs the redis package: pip install 'pollytool[redis]'"
            ) from exc
        if not timeout > 0:
            raise ConfigurationError(f"timeout must be greater than 0 seconds, got {timeout}")
        self._url = url
        self._password = urlsplit(url).password or ""
        self._timeout = timeout
        self._prefix = prefix
        self._index = f"{prefix}index"
        self._redis: Redis | None = None

    def __repr__(self) -> str:
        return f"RedisSessionStore({_safe_url(self._url)!r}, prefix={self._prefix!r})"

    # ------------------------------------------------------------------ plumbing

    async def _client(self) -> Redis:
        self._check_open()
        if self._redis is None:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                raise ConfigurationError(
                    "RedisSessionStore runs on asyncio only (the redis client does not "
                    "support trio)"
                ) from None
            from redis.asyncio import Redis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            self._redis = Redis.from_url(
                self._url,
                socket_timeout=self._timeout,
                socket_connect_timeout=self._timeout,
                retry=Retry(NoBackoff(), 0),  # a retried append could be stored twice
            )
        return self._redis

    @asynccontextmanager
    async def _errors(self) -> AsyncIterator[None]:
        """Redis's errors as pollytool's, without the password."""
        from redis import exceptions

        where = f"Redis at {_safe_url(self._url)}"
        try:
            yield
        except (exceptions.AuthenticationError, exceptions.AuthorizationError) as exc:
            raise SessionError(f"{where} refused the credentials: {self._clean(exc)}") from None
        except (exceptions.ConnectionError, exceptions.TimeoutError, OSError) as exc:
            raise SessionUnavailableError(
                f"{where} cannot be reached: {self._clean(exc)}; the operation was applied "
                "whole or not at all"
            ) from exc
        except exceptions.ResponseError as exc:
            if str(exc).startswith("WRONGTYPE"):
                raise SessionCorruptError(
                    f"{where}: a key under {self._prefix!r} holds data of another kind "
                    f"({self._clean(exc)})"
                ) from exc
            raise SessionError(f"{where} failed: {self._clean(exc)}") from exc
        except exceptions.RedisError as exc:
            raise SessionError(f"{where} failed: {self._clean(exc)}") from exc

    def _clean(self, exc: BaseException) -> str:
        return redact(str(exc), [self._password])

    def _keys(self, name: str) -> tuple[str, str]:
        return f"{self._prefix}meta:{name}", f"{self._prefix}log:{name}"

    def _gone(self, name: str) -> SessionNotFoundError:
        return SessionNotFoundError(
            f"session {name!r} no longer exists in Redis (it was deleted or expired)"
        )

    def _queue_read(self, pipe: Pipeline, name: str) -> None:
        pipe.hgetall(self._keys(name)[0])
        pipe.zscore(self._index, name)

    def _metadata(self, name: str, raw: dict[bytes, bytes], score: float | None) -> SessionMetadata:
        """Metadata from a ``HGETALL`` reply and the index score."""
        if not raw:
            raise self._gone(name)
        try:
            data = {key.decode(): json.loads(value) for key, value in raw.items()}
            metadata = SessionMetadata.from_dict(data)
        except (ValueError, TypeError, RecursionError) as exc:
            raise SessionCorruptError(
                f"metadata of session {name!r} in Redis {self._keys(name)[0]} cannot be read: {exc}"
            ) from exc
        metadata.name = name
        metadata.last_used = utc(score) if score is not None else metadata.created
        return metadata

    async def _now(self, pipe: Pipeline) -> datetime:
        """The Redis server's time (*pipe* is watching, so this runs at once)."""
        seconds, microseconds = await pipe.time()
        return utc(seconds + microseconds / 1_000_000)

    async def _read_watched(self, pipe: Pipeline, name: str) -> SessionMetadata:
        """The metadata, read while the session's keys are watched."""
        raw = await pipe.hgetall(self._keys(name)[0])
        return self._metadata(name, raw, await pipe.zscore(self._index, name))

    def _queue_touch(self, pipe: Pipeline, metadata: SessionMetadata, now: datetime) -> None:
        """Queue marking the session used at *now* and renewing its expiry in Redis."""
        pipe.zadd(self._index, {metadata.name: now.timestamp()})
        ttl = metadata.ttl if metadata.ttl is not None else self._ttl
        for key in self._keys(metadata.name):
            if ttl is None:
                pipe.persist(key)
            else:
                pipe.pexpire(key, max(1, round(ttl * 1000)))

    async def _transaction(self, name: str, attempt: Callable[[Pipeline], Awaitable[_T]]) -> _T:
        """Run *attempt* with the session's keys watched, again whenever another client
        changed them before it committed."""
        from redis.exceptions import WatchError

        async with self._errors():
            client = await self._client()
            async with client.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        await pipe.watch(*self._keys(name))
                        return await attempt(pipe)
                    except WatchError:
                        continue

    # ------------------------------------------------------------------ the store

    async def get(self, name: str, *, defaults: SessionMetadata | None = None) -> RedisSession:
        """The session called *name*, created if missing or expired."""
        self._check_open()
        validate_session_name(name)
        meta, log = self._keys(name)

        async def attempt(pipe: Pipeline) -> None:
            now = await self._now(pipe)
            raw = await pipe.hgetall(meta)
            if raw:
                current = self._metadata(name, raw, await pipe.zscore(self._index, name))
                if not is_expired(current, now, self._ttl):
                    pipe.multi()
                    self._queue_touch(pipe, current, now)
                    await pipe.execute()
                    return
            new = self._new_metadata(name, defaults, now)
            lines = await anyio.to_thread.run_sync(encode, initial_history(new))
            pipe.multi()
            pipe.delete(meta, log)
            pipe.hset(meta, mapping=_metadata_fields(new))
            if lines:
                pipe.rpush(log, *lines)
            self._queue_touch(pipe, new, now)
            await pipe.execute()

        await self._transaction(name, attempt)
        return RedisSession(self, name)

    async def delete(self, name: str) -> bool:
        """Remove a session's keys; ``True`` if it existed."""
        self._check_open()
        validate_session_name(name)
        meta, log = self._keys(name)
        async with self._errors():
            client = await self._client()
            async with client.pipeline(transaction=True) as pipe:
                pipe.exists(meta)
                pipe.delete(meta, log)
                pipe.zrem(self._index, name)
                existed, _, _ = await pipe.execute()
        return bool(existed)

    async def _indexed(self) -> builtins.list[tuple[str, float]]:
        """(name, last use) of every session in the index whose metadata still exists,
        newest first."""
        async with self._errors():
            client = await self._client()
            reply: Any = await client.zrevrange(self._index, 0, -1, withscores=True)
            indexed = [(name.decode(), float(score)) for name, score in reply]
            async with client.pipeline(transaction=False) as pipe:
                for name, _ in indexed:
                    pipe.exists(self._keys(name)[0])
                present = await pipe.execute()
        return [entry for entry, alive in zip(indexed, present, strict=True) if alive]

    async def list(self) -> builtins.list[str]:
        """Names of all sessions, sorted."""
        self._check_open()
        return sorted(name for name, _ in await self._indexed())

    async def exists(self, name: str) -> bool:
        """Whether *name* exists and has not expired."""
        self._check_open()
        validate_session_name(name)
        async with self._errors():
            client = await self._client()
            async with client.pipeline(transaction=True) as pipe:
                self._queue_read(pipe, name)
                pipe.time()
                raw, score, (seconds, microseconds) = await pipe.execute()
        if not raw:
            return False
        metadata = self._metadata(name, raw, score)
        return not is_expired(metadata, utc(seconds + microseconds / 1_000_000), self._ttl)

    async def last(self) -> str | None:
        """The most recently used session's name, or ``None``."""
        self._check_open()
        indexed = await self._indexed()
        return indexed[0][0] if indexed else None

    async def all_metadata(self) -> dict[str, SessionMetadata]:
        """Every session's metadata by name."""
        self._check_open()
        names = await self.list()
        async with self._errors():
            client = await self._client()
            async with client.pipeline(transaction=False) as pipe:
                for name in names:
                    self._queue_read(pipe, name)
                replies = await pipe.execute()
        result: dict[str, SessionMetadata] = {}
        for name, raw, score in zip(names, replies[::2], replies[1::2], strict=True):
            if raw:  # else removed since it was listed
                result[name] = self._metadata(name, raw, score)
        return result

    async def expire(self) -> builtins.list[str]:
        """Remove every session idle for longer than its ``ttl`` (including those Redis
        already removed by itself); returns their names. A session whose metadata cannot be
        read is skipped with a warning."""
        self._check_open()
        async with self._errors():
            client = await self._client()
            reply: Any = await client.zrange(self._index, 0, -1)
            names = [name.decode() for name in reply]
        expired: builtins.list[str] = []
        problems: builtins.list[str] = []
        for name in names:
            try:
                if await self._expire_one(name):
                    expired.append(name)
            except SessionCorruptError as exc:
                problems.append(f"{exc}; not expired")
        warn_recovered(problems)
        return sorted(expired)

    async def _expire_one(self, name: str) -> bool:
        async def attempt(pipe: Pipeline) -> bool:
            raw = await pipe.hgetall(self._keys(name)[0])
            if raw:
                metadata = self._metadata(name, raw, await pipe.zscore(self._index, name))
                if not is_expired(metadata, await self._now(pipe), self._ttl):
                    await pipe.unwatch()
                    return False
            pipe.multi()
            pipe.delete(*self._keys(name))
            pipe.zrem(self._index, name)
            await pipe.execute()
            return True

        return await self._transaction(name, attempt)

    async def aclose(self) -> None:
        """Stop using the store and close its connections (idempotent)."""
        await super().aclose()
        client, self._redis = self._redis, None
        if client is not None:
            await client.aclose()
