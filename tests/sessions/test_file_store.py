"""The file store's guarantees: format, durability, crashes, corruption, several processes."""

from __future__ import annotations

import json
import os
import stat
import sys
import warnings
from pathlib import Path

import anyio
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream

from pollytool.errors import SessionCorruptError, SessionError, SessionNotFoundError
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


async def test_damaged_line_in_the_middle_is_skipped_with_a_warning(tmp_path: Path) -> None:
    session = await FileSessionStore(tmp_path).get("damaged")
    await session.add_message(ChatMessage.user("before"))
    with session.path.open("ab") as file:
        file.write(b"\x00\x00not json\n")
    await session.add_message(ChatMessage.user("after"))
    with pytest.warns(SessionRecoveryWarning, match=r"line 2"):
        assert [m.content for m in await session.get_history()] == ["before", "after"]
    with pytest.warns(SessionRecoveryWarning):
        assert await session.compact() == 0
    assert session.path.read_bytes().splitlines()[1] == b"\x00\x00not json"


WRONG_SHAPES = [
    b"[1,2]",
    b'"just text"',
    b"null",
    b'{"content": "no role"}',
    b'{"role":"assistant","tool_calls":[1]}',
    b'{"role":"user","parts":[7]}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"role":"user","metadata":' + b'{"a":' * 5_000 + b"1" + b"}" * 5_001,
]


@pytest.mark.parametrize("line", WRONG_SHAPES, ids=lambda line: repr(line[:24]))
async def test_complete_lines_of_the_wrong_shape_are_skipped_and_never_deleted(
    tmp_path: Path, line: bytes
) -> None:
    store = FileSessionStore(tmp_path, SessionMetadata(system_prompt="sys"))
    session = await store.get("odd")
    await session.add_message(ChatMessage.user("before"))
    with session.path.open("ab") as file:
        file.write(line + b"\n")
    await session.add_messages([ChatMessage.user("after"), ChatMessage.assistant("reply")])
    with pytest.warns(SessionRecoveryWarning, match=r"line 3: not a valid message"):
        history = await session.get_history()
    assert [m.content for m in history] == ["sys", "before", "after", "reply"]

    await session.update_metadata(max_history_tokens=14)  # keeps sys + the last turn
    with pytest.warns(SessionRecoveryWarning, match="line 3"):
        assert await session.compact() == 1
    assert session.path.read_bytes().splitlines() == [
        ChatMessage.system("sys").to_json().encode(),
        line,  # kept verbatim, where it was among the kept messages
        ChatMessage.user("after").to_json().encode(),
        ChatMessage.assistant("reply").to_json().encode(),
    ]
    with pytest.warns(SessionRecoveryWarning, match="line 2"):
        await session.clear()
    assert line in session.path.read_bytes().splitlines()
    with pytest.warns(SessionRecoveryWarning):
        assert [m.content for m in await session.get_history()] == ["sys"]


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


async def test_reading_a_deleted_session_fails(tmp_path: Path) -> None:
    store = FileSessionStore(tmp_path)
    session = await store.get("gone")
    await store.delete("gone")
    for call in (session.get_history(), session.get_metadata(), session.clear()):
        with pytest.raises(SessionNotFoundError):
            await call


async def test_stray_files_are_not_sessions(tmp_path: Path) -> None:
    store = FileSessionStore(tmp_path)
    await store.get("real")
    (tmp_path / ".hidden.jsonl").write_text("")
    (tmp_path / "notes.txt").write_text("")
    assert await store.list() == ["real"]
    assert await FileSessionStore(tmp_path / "missing").list() == []


async def test_handles_in_two_stores_see_each_other(tmp_path: Path) -> None:
    first = await FileSessionStore(tmp_path).get("shared")
    second = await FileSessionStore(tmp_path).get("shared")
    await first.add_message(ChatMessage.user("from first"))
    await second.add_message(ChatMessage.user("from second"))
    await second.update_metadata(model="m/x")
    assert [m.content for m in await first.get_history()] == ["from first", "from second"]
    assert (await first.get_metadata()).model == "m/x"


async def test_four_processes_append_concurrently(tmp_path: Path) -> None:
    workers, count = 4, 250
    store = FileSessionStore(tmp_path)
    session = await store.get("shared")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "tests.sessions._append_worker", str(tmp_path), "shared"]
    processes = [
        await anyio.open_process([*command, str(w), str(count)], cwd=REPO, env=env)
        for w in range(workers)
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            reader = BufferedByteReceiveStream(process.stdout)
            assert await reader.receive_until(b"\n", 100) == b"ready"
        for process in processes:
            assert process.stdin is not None
            await process.stdin.send(b"go\n")
        with warnings.catch_warnings():
            warnings.simplefilter("error", SessionRecoveryWarning)  # never half a line
            seen = 0
            while any(p.returncode is None for p in processes):
                history = await session.get_history()
                assert len(history) >= seen
                seen = len(history)
                await anyio.sleep(0.005)
        with anyio.fail_after(30):
            codes = [await p.wait() for p in processes]
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
            await process.aclose()
    assert codes == [0] * workers

    lines = log_lines(session.path)
    contents = [str(line["content"]) for line in lines]
    assert len(contents) == workers * count
    assert sorted(contents) == sorted(f"{w}:{i}" for w in range(workers) for i in range(count))
    for w in range(workers):
        assert [c for c in contents if c.startswith(f"{w}:")] == [f"{w}:{i}" for i in range(count)]


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
