"""What only the SQLite store does: its file, schema and migrations, queries, a busy
database. The shared behaviour is in test_contract.py."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import anyio
import pytest

from pollytool.errors import SessionCorruptError, SessionError, SessionUnavailableError
from pollytool.messages import ChatMessage, ChatMessageToolCall
from pollytool.sessions import SessionMetadata, SQLiteSessionStore, estimate_tokens
from pollytool.sessions._sqlite_db import MIGRATIONS, migrate

pytestmark = pytest.mark.anyio


def query(path: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(path, isolation_level=None) as connection:
        return connection.execute(sql, args).fetchall()


async def test_file_mode_schema_and_rows(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "sessions.db"
    async with SQLiteSessionStore(path, SessionMetadata(system_prompt="sys")) as store:
        session = await store.get("chat")
        call = ChatMessageToolCall("c1", "lookup", "{}")
        await session.add_messages([ChatMessage.user("hello"), ChatMessage.assistant("", [call])])
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert query(path, "PRAGMA journal_mode") == [("wal",)]
    assert query(path, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    rows = query(path, "SELECT role, tokens, json_extract(body, '$.content') FROM messages")
    assert rows == [
        ("system", estimate_tokens(ChatMessage.system("sys")), "sys"),
        ("user", estimate_tokens(ChatMessage.user("hello")), "hello"),
        ("assistant", estimate_tokens(ChatMessage.assistant("", [call])), ""),
    ]
    ((name, metadata),) = query(path, "SELECT name, metadata FROM sessions")
    assert name == "chat" and json.loads(str(metadata))["system_prompt"] == "sys"


async def test_summaries_list_sessions_by_last_use_with_token_counts(tmp_path: Path) -> None:
    async with SQLiteSessionStore(tmp_path / "s.db") as store:
        for name in ("old", "middle", "new"):
            session = await store.get(name)
            await session.add_messages([ChatMessage.user(name * 8)] * len(name))
        summaries = await store.summaries()
        assert [s.name for s in summaries] == ["new", "middle", "old"]
        assert [(s.messages, s.tokens) for s in summaries] == [
            (3, 3 * estimate_tokens(ChatMessage.user("new" * 8))),
            (6, 6 * estimate_tokens(ChatMessage.user("middle" * 8))),
            (3, 3 * estimate_tokens(ChatMessage.user("old" * 8))),
        ]
        assert summaries[0].last_used >= summaries[1].last_used >= summaries[2].last_used
        assert [s.name for s in await store.summaries(limit=1)] == ["new"]
        await store.get("old")  # opening counts as use
        assert (await store.summaries(limit=1))[0].name == "old"
        with pytest.raises(ValueError, match="limit"):
            await store.summaries(limit=-1)


async def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    query(path, f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    async with SQLiteSessionStore(path) as store:
        with pytest.raises(SessionError, match="newer than this pollytool"):
            await store.list()


def test_migrations_apply_each_missing_step_once(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    connection = sqlite3.connect(path, isolation_level=None)
    migrate(connection, MIGRATIONS)
    connection.execute("INSERT INTO sessions VALUES ('kept', 1, 2, '{}')")
    step = ("ALTER TABLE sessions ADD COLUMN note TEXT DEFAULT 'added'",)
    migrate(connection, [*MIGRATIONS, step])
    migrate(connection, [*MIGRATIONS, step])  # already there: nothing to do
    assert connection.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS) + 1,)
    assert connection.execute("SELECT name, note FROM sessions").fetchall() == [("kept", "added")]
    broken = ("CREATE TABLE extra (x)", "THIS IS NOT SQL")
    with pytest.raises(sqlite3.OperationalError):
        migrate(connection, [*MIGRATIONS, step, broken])
    assert connection.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS) + 1,)
    tables = connection.execute("SELECT name FROM sqlite_master WHERE name = 'extra'")
    assert tables.fetchall() == []  # the failed step left nothing behind
    connection.close()


async def test_many_stores_opening_a_new_database_at_once(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    stores = [SQLiteSessionStore(path) for _ in range(6)]
    async with anyio.create_task_group() as tasks:
        for number, store in enumerate(stores):
            tasks.start_soon(store.get, f"s{number}")
    assert await stores[0].list() == [f"s{n}" for n in range(6)]
    for store in stores:
        await store.aclose()


async def test_a_busy_database_is_a_typed_error_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    async with SQLiteSessionStore(path, busy_timeout=0.05) as store:
        session = await store.get("s")
        await session.add_message(ChatMessage.user("kept"))
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process is writing
        try:
            with pytest.raises(SessionUnavailableError, match="busy"):
                await session.add_message(ChatMessage.user("waits too long"))
            assert [m.content for m in await session.get_history()] == ["kept"]  # reads go on
        finally:
            other.execute("ROLLBACK")
            other.close()
        await session.add_message(ChatMessage.user("later"))
        assert [m.content for m in await session.get_history()] == ["kept", "later"]


async def test_a_file_that_is_not_a_database_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"these are my notes, not a database" * 100)
    async with SQLiteSessionStore(path) as store:
        with pytest.raises(SessionCorruptError, match="not a database"):
            await store.get("x")
    assert path.read_bytes() == b"these are my notes, not a database" * 100


async def test_home_is_expanded_and_repr_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    async with SQLiteSessionStore("~/sessions.db") as store:
        assert store.path == tmp_path / "sessions.db"
        assert repr(store) == f"SQLiteSessionStore({str(tmp_path / 'sessions.db')!r})"
        await store.get("x")
    assert (tmp_path / "sessions.db").exists()
