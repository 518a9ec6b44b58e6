"""Open any store kind from a kind name and a location string, so that the test kit and the
worker processes of the concurrency test build the same store."""

from __future__ import annotations

from pollytool.sessions import (
    FileSessionStore,
    MemorySessionStore,
    RedisSessionStore,
    SessionMetadata,
    SessionStore,
    SQLiteSessionStore,
)

__all__ = ["KINDS", "PERSISTENT", "open_store"]

KINDS = ["memory", "file", "sqlite", "redis"]
PERSISTENT = ["file", "sqlite", "redis"]  # reachable from several processes


def open_store(
    kind: str,
    location: str,
    defaults: SessionMetadata | None = None,
    ttl: float | None = None,
) -> SessionStore:
    """A store of *kind*. *location* is a directory (file), a database path (sqlite) or
    ``"URL PREFIX"`` (redis); the memory store ignores it."""
    if kind == "file":
        return FileSessionStore(location, defaults, ttl=ttl)
    if kind == "sqlite":
        return SQLiteSessionStore(location, defaults, ttl=ttl)
    if kind == "redis":
        url, prefix = location.split(" ")
        return RedisSessionStore(url, defaults, ttl=ttl, prefix=prefix)
    if kind == "memory":
        return MemorySessionStore(defaults, ttl)
    raise ValueError(f"unknown store kind {kind!r}")
