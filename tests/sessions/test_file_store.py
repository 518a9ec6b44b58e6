"""The file store's guarantees: format, durability, crashes, corruption, several processes."""

from __future__ import annotations

import json
import os
import stat
import warnings
from pathlib import Path

import pytest

from pollytool.errors import SessionCorruptError, SessionError
from pollytool.messages import ChatMessage
from pollytool.sessions import FileSessionStore, SessionMetadata, SessionRecoveryWarning

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[2]


def log_lines(path: Path) -> list[dict[str, object]]:
    data = path.read_bytes()
    assert data.endswith(b"\n")
    return [json.loads(line) for line in data.splitlines()]


async def test_layout_and_permissions(tmp_path: Path) -> None:
    directory = tmp_path / "deep" / "contexts"
    store = FileSessionStore(directory, SessionMetadata(system_prompt="sys"))
    session = await store.get("chat")
    await session.add_message(ChatMessage.user("hi"))
    assert sorted(p.name for p in directory.iterdir()) == [
        ".chat.lock",
        "chat.jsonl",
        "chat.meta.json",
    ]
    for folder in (directory, directory.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for file in directory.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert session.path == directory / "chat.jsonl"
    assert log_lines(session.path) == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "hi"},
    ]
    meta = json.loads((directory / "chat.meta.json").read_text())
    assert (meta["name"], meta["system_prompt"]) == ("chat", "sys")


async def test_home_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    store = FileSessionStore()
    assert store.path == tmp_path / ".pollytool" / "contexts"
    await store.get("x")
    assert (tmp_path / ".pollytool" / "contexts" / "x.jsonl").exists()
    assert not Path("~").exists()


async def test_append_adds_one_line_without_rewriting(tmp_path: Path) -> None:
    session = await FileSessionStore(tmp_path).get("log")
    await session.add_messages([ChatMessage.user(f"m{i}") for i in range(100)])
    before = session.path.read_bytes()
    inode = session.path.stat().st_ino
    await session.add_message(ChatMessage.assistant("new"))
    after = session.path.read_bytes()
    assert session.path.stat().st_ino == inode
    assert after.startswith(before)
    assert after[len(before) :] == ChatMessage.assistant("new").to_json().encode() + b"\n"


async def test_clear_replaces_the_file_atomically(tmp_path: Path) -> None:
    store = FileSessionStore(tmp_path, SessionMetadata(system_prompt="sys"))
    session = await store.get("c")
    await session.add_message(ChatMessage.user("gone"))
    inode = session.path.stat().st_ino
    await session.clear()
    assert session.path.stat().st_ino != inode
    assert log_lines(session.path) == [{"role": "system", "content": "sys"}]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


async def test_crash_mid_append_keeps_earlier_messages(tmp_path: Path) -> None:
    store = FileSessionStore(tmp_path)
    session = await store.get("crash")
    await session.add_messages([ChatMessage.user("one"), ChatMessage.assistant("two")])
    torn = ChatMessage.user("three").to_json().encode()[:-7]
    with session.path.open("ab") as file:  # the process died half-way through a write
        file.write(torn)

    reopened = await FileSessionStore(tmp_path).get("crash")
    with pytest.warns(SessionRecoveryWarning, match="incomplete"):
        history = await reopened.get_history()
    assert [m.content for m in history] == ["one", "two"]

    with pytest.warns(SessionRecoveryWarning, match="removed an incomplete last line"):
        await reopened.add_message(ChatMessage.user("four"))
    assert [line["content"] for line in log_lines(session.path)] == ["one", "two", "four"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [m.content for m in await reopened.get_history()] == ["one", "two", "four"]


async def test_torn_line_without_any_newline_is_cut(tmp_path: Path) -> None:
    session = await FileSessionStore(tmp_path).get("only")
    session.path.write_bytes(b'{"role":"us')
    with pytest.warns(SessionRecoveryWarning):
        assert await session.get_history() == []
    with pytest.warns(SessionRecoveryWarning):
        await session.add_message(ChatMessage.user("ok"))
    assert log_lines(session.path) == [{"role": "user", "content": "ok"}]


async def test_a_complete_last_line_without_newline_is_kept(tmp_path: Path) -> None:
    """Only an unreadable tail is a torn write; a whole message missing its newline (a log
    edited by hand) is read and kept when the next message is appended."""
    session = await FileSessionStore(tmp_path).get("edited")
    session.path.write_bytes(ChatMessage.user("typed by hand").to_json().encode())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [m.content for m in await session.get_history()] == ["typed by hand"]
        await session.add_message(ChatMessage.user("next"))
    assert [line["content"] for line in log_lines(session.path)] == ["typed by hand", "next"]


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'["a list"]', b'{"temperature": "warm"}', b"\xff\xfe", b'{"created": 5}'],
)
async def test_corrupt_metadata_is_an_error_naming_the_file(tmp_path: Path, content: bytes) -> None:
    store = FileSessionStore(tmp_path)
    session = await store.get("broken")
    await session.add_message(ChatMessage.user("precious"))
    meta = tmp_path / "broken.meta.json"
    meta.write_bytes(content)
    log_before = session.path.read_bytes()
    for call in (store.get("broken"), session.get_metadata(), session.get_history()):
        with pytest.raises(SessionCorruptError, match=str(meta)):
            await call
    with pytest.raises(SessionCorruptError, match=str(meta)):
        await store.all_metadata()
    with pytest.warns(SessionRecoveryWarning, match=str(meta)):
        assert await store.expire() == []
    assert meta.read_bytes() == content
    assert session.path.read_bytes() == log_before


async def test_missing_metadata_is_an_error(tmp_path: Path) -> None:
    store = FileSessionStore(tmp_path)
    await store.get("half")
    (tmp_path / "half.meta.json").unlink()
    with pytest.raises(SessionCorruptError, match="missing"):
        await store.get("half")


async def test_delete_removes_every_file(tmp_path: Path) -> None:
    store = FileSessionStore(tmp_path)
    await (await store.get("gone")).add_message(ChatMessage.user("x"))
    await store.get("kept")
    assert await store.delete("gone")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".kept.lock",
        "kept.jsonl",
        "kept.meta.json",
    ]


async def test_stray_files_are_not_sessions(tmp_path: Path) -> None:
    store = FileSessionStore(tmp_path)
    await store.get("real")
    (tmp_path / ".hidden.jsonl").write_text("")
    (tmp_path / "notes.txt").write_text("")
    assert await store.list() == ["real"]
    assert await FileSessionStore(tmp_path / "missing").list() == []


async def test_failed_write_leaves_no_partial_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = await FileSessionStore(tmp_path).get("full-disk")
    await session.add_message(ChatMessage.user("kept"))
    before = session.path.read_bytes()

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", disk_full)
        with pytest.raises(SessionError, match="No space left"):
            await session.add_message(ChatMessage.user("x" * 10_000))
    assert session.path.read_bytes() == before
    await session.add_message(ChatMessage.user("next"))
    assert [line["content"] for line in log_lines(session.path)] == ["kept", "next"]


async def test_unusable_directory_is_a_session_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(SessionError, match="not-a-directory"):
        await FileSessionStore(blocker).get("x")
