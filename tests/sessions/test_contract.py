"""The session contract: every behaviour below holds for every store (memory, file, SQLite,
Redis); tests that need a second process or raw access run against the persistent ones.

Reference section F.1 (the Go tests), item by item:

- a new session starts with the default system prompt:
  test_new_session_starts_with_the_system_prompt
- add one message -> history of 2, history[1] is it: test_add_message_appends
- clear leaves only the system prompt: test_clear_leaves_only_the_system_prompt
- delete then get gives a fresh session (while an old handle exists):
  test_delete_then_get_gives_a_fresh_session
- 15 messages over the budget keep the system prompt: test_history_is_trimmed_to_the_token_budget
- trimming never starts with a tool result: test_trimming_never_starts_with_a_tool_result
- budget for 5 of 10 messages keeps system + msg-5..msg-9: test_trimming_keeps_the_newest_messages
- 50 tasks x 10 appends: test_concurrent_adds_from_many_tasks (and across processes:
  test_several_processes_append_to_one_session)
- metadata survives close; partial update merges: test_metadata_persists_and_partial_update_merges
- TTL expiry in the background, a touched session survives:
  test_sessions_expire_after_their_ttl, test_run_expiry_removes_idle_sessions_in_the_background
- statistics (tokens, capacity, expiry, counts by role, tool calls): test_stats
  (estimate and trim tables: test_trim.py; name validation: test_names.py)
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
from datetime import timedelta
from pathlib import Path

import anyio
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream

from pollytool.errors import (
    ConfigurationError,
    InvalidSessionNameError,
    SessionCorruptError,
    SessionError,
    SessionNotFoundError,
    UnstorableMessageError,
)
from pollytool.messages import (
    ChatMessage,
    ChatMessageToolCall,
    FilePart,
    FileURLPart,
    ImagePart,
    ImageURLPart,
    MessageRole,
    StopReason,
    TextPart,
    Usage,
)
from pollytool.sessions import Session, SessionMetadata, SessionRecoveryWarning, SessionStore
from tests.sessions.conftest import StoreKit

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[2]

SYSTEM = "test system prompt"  # 18 chars: 8 estimated tokens


def defaults(**changes: object) -> SessionMetadata:
    return SessionMetadata(system_prompt=SYSTEM).with_changes(**changes)  # type: ignore[arg-type]


async def test_stores_follow_the_protocols(kit: StoreKit) -> None:
    store = kit.make()
    assert isinstance(store, SessionStore)
    assert isinstance(await store.get("a"), Session)


async def test_new_session_starts_with_the_system_prompt(kit: StoreKit) -> None:
    store = kit.make(defaults())
    history = await (await store.get("fresh")).get_history()
    assert [(m.role, m.content) for m in history] == [(MessageRole.SYSTEM, SYSTEM)]


async def test_new_session_without_system_prompt_is_empty(kit: StoreKit) -> None:
    session = await kit.make().get("empty")
    assert await session.get_history() == []
    await session.clear()
    assert await session.get_history() == []


async def test_add_message_appends(kit: StoreKit) -> None:
    session = await kit.make(defaults()).get("chat")
    await session.add_message(ChatMessage.user("Hello"))
    history = await session.get_history()
    assert len(history) == 2
    assert history[1].content == "Hello"


async def test_get_returns_the_same_session(kit: StoreKit) -> None:
    store = kit.make(defaults())
    await (await store.get("chat")).add_message(ChatMessage.user("Hello"))
    again = await store.get("chat")
    assert [m.content for m in await again.get_history()] == [SYSTEM, "Hello"]


async def test_add_messages_adds_all_in_order(kit: StoreKit) -> None:
    session = await kit.make().get("batch")
    await session.add_messages([ChatMessage.user("a"), ChatMessage.assistant("b")])
    await session.add_messages([])
    assert [m.content for m in await session.get_history()] == ["a", "b"]


async def test_clear_leaves_only_the_system_prompt(kit: StoreKit) -> None:
    session = await kit.make(defaults()).get("chat")
    await session.add_messages([ChatMessage.user("one"), ChatMessage.assistant("two")])
    await session.clear()
    history = await session.get_history()
    assert len(history) == 1
    assert (history[0].role, history[0].content) == (MessageRole.SYSTEM, SYSTEM)


async def test_clear_uses_the_current_system_prompt(kit: StoreKit) -> None:
    session = await kit.make(defaults()).get("chat")
    await session.update_metadata(system_prompt="new prompt")
    await session.clear()
    assert [m.content for m in await session.get_history()] == ["new prompt"]


async def test_delete_then_get_gives_a_fresh_session(kit: StoreKit) -> None:
    store = kit.make(defaults())
    first = await store.get("deleteme")
    await first.add_message(ChatMessage.user("old"))
    assert await store.delete("deleteme") is True
    assert await store.delete("deleteme") is False
    assert not await store.exists("deleteme")
    with pytest.raises(SessionNotFoundError, match="deleteme"):
        await first.add_message(ChatMessage.user("lost?"))
    fresh = await store.get("deleteme")
    assert [m.content for m in await fresh.get_history()] == [SYSTEM]


async def test_history_is_trimmed_to_the_token_budget(kit: StoreKit) -> None:
    session = await kit.make(defaults(max_history_tokens=70)).get("long")
    for i in range(15):
        await session.add_message(ChatMessage.user(f"message number {i}"))  # 8 tokens each
    history = await session.get_history()
    assert history[0].role == MessageRole.SYSTEM and history[0].content == SYSTEM
    assert len(history) < 16
    assert sum(len(m.content) // 4 + 4 for m in history) <= 70
    assert history[-1].content == "message number 14"


async def test_trimming_keeps_the_newest_messages(kit: StoreKit) -> None:
    # system 8 tokens + five "msg-N" messages of 5 tokens each
    session = await kit.make(defaults(max_history_tokens=33)).get("ten")
    await session.add_messages([ChatMessage.user(f"msg-{i}") for i in range(10)])
    history = await session.get_history()
    assert [m.content for m in history] == [SYSTEM] + [f"msg-{i}" for i in range(5, 10)]


async def test_trimming_never_starts_with_a_tool_result(kit: StoreKit) -> None:
    session = await kit.make(defaults(max_history_tokens=30)).get("tools")
    call = ChatMessageToolCall("c1", "lookup", '{"q": "x"}')
    await session.add_messages(
        [
            ChatMessage.user("first question"),
            ChatMessage.assistant("", [call]),
            ChatMessage.tool_result("c1", "result text"),
            ChatMessage.user("second"),
            ChatMessage.user("third"),
        ]
    )
    history = await session.get_history()
    assert history[0].content == SYSTEM
    assert history[1].role != MessageRole.TOOL
    assert len(history) < 6


async def test_trimming_keeps_the_full_log(kit: StoreKit) -> None:
    session = await kit.make(defaults(max_history_tokens=20)).get("kept")
    await session.add_messages([ChatMessage.user(f"msg-{i}") for i in range(6)])
    trimmed = await session.get_history()
    full = await session.get_history(full=True)
    assert len(full) == 7 and len(trimmed) == 3
    assert await session.compact() == 4
    assert [m.content for m in await session.get_history(full=True)] == [m.content for m in trimmed]


async def test_concurrent_adds_from_many_tasks(kit: StoreKit) -> None:
    session = await kit.make(defaults()).get("busy")

    async def writer(task: int) -> None:
        for i in range(10):
            await session.add_message(ChatMessage.user(f"{task}-{i}"))

    async with anyio.create_task_group() as tasks:
        for task in range(50):
            tasks.start_soon(writer, task)
    history = await session.get_history()
    assert history[0].content == SYSTEM
    contents = [m.content for m in history[1:]]
    assert sorted(contents) == sorted(f"{t}-{i}" for t in range(50) for i in range(10))
    for task in range(50):  # each writer's messages stay in its order
        mine = [c for c in contents if c.startswith(f"{task}-")]
        assert mine == [f"{task}-{i}" for i in range(10)]


async def test_metadata_persists_and_partial_update_merges(kit: StoreKit) -> None:
    store = kit.make()
    session = await store.get("test-context")
    await session.set_metadata(
        SessionMetadata(max_tokens=8192, model="openai/gpt-5.4", temperature=0.7)
    )
    await session.close()
    assert (await store.all_metadata())["test-context"].max_tokens == 8192
    session = await store.get("test-context")
    updated = await session.update_metadata(model="anthropic/claude-3")
    assert (updated.model, updated.max_tokens, updated.temperature) == (
        "anthropic/claude-3",
        8192,
        0.7,
    )
    again = await session.get_metadata()
    assert (again.name, again.model, again.max_tokens) == (
        "test-context",
        "anthropic/claude-3",
        8192,
    )


async def test_zero_and_empty_values_persist_through_partial_update(kit: StoreKit) -> None:
    store = kit.make()
    session = await store.get("settings")
    await session.update_metadata(
        temperature=0.7,
        max_history_tokens=5000,
        tools=[{"name": "bash", "type": "native", "source": ""}],
        skills=["pdf"],
        mcp_servers=["fs"],
        model="openai/gpt-5.4",
        description="kept",
    )
    await session.update_metadata(
        temperature=0, max_history_tokens=0, tools=[], skills=[], mcp_servers=[], model=None
    )
    reread = (await kit.make().all_metadata())["settings"] if kit.kind != "memory" else None
    for metadata in filter(None, [await session.get_metadata(), reread]):
        assert metadata.temperature == 0
        assert metadata.max_history_tokens == 0
        assert (metadata.tools, metadata.skills, metadata.mcp_servers) == ([], [], [])
        assert metadata.model is None
        assert metadata.description == "kept"


async def test_set_metadata_keeps_name_and_created(kit: StoreKit) -> None:
    session = await kit.make().get("named")
    created = (await session.get_metadata()).created
    await session.set_metadata(SessionMetadata(name="other", model="m/x"))
    metadata = await session.get_metadata()
    assert (metadata.name, metadata.created, metadata.model) == ("named", created, "m/x")


async def test_bad_metadata_update_is_rejected_and_changes_nothing(kit: StoreKit) -> None:
    session = await kit.make().get("strict")
    await session.update_metadata(temperature=0.5)
    with pytest.raises(ConfigurationError, match="temperature"):
        await session.update_metadata(temperature="hot")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="created"):
        await session.update_metadata(created=None)  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="ttl"):
        await session.update_metadata(ttl=-1)
    assert (await session.get_metadata()).temperature == 0.5


async def test_unknown_metadata_keys_are_kept(kit: StoreKit) -> None:
    session = await kit.make().get("extra")
    await session.update_metadata(extra={"color": "blue", "nested": {"n": [1, 2]}})
    await session.update_metadata(model="m/x")
    assert (await session.get_metadata()).extra == {"color": "blue", "nested": {"n": [1, 2]}}


async def test_sessions_expire_after_their_ttl(kit: StoreKit) -> None:
    store = kit.make(defaults(), ttl=50)
    idle = await store.get("idle")
    busy = await store.get("busy")
    kit.advance(30)
    await busy.add_messages([ChatMessage.user("ping"), ChatMessage.assistant("pong")])
    kit.advance(30)
    assert not await store.exists("idle")
    assert await store.expire() == ["idle"]
    assert await store.list() == ["busy"]
    assert len(await busy.get_history()) == 3
    with pytest.raises(SessionNotFoundError):
        await idle.get_history()
    assert [m.content for m in await (await store.get("idle")).get_history()] == [SYSTEM]
    kit.advance(120)
    assert await store.expire() == ["busy", "idle"]
    assert await store.list() == []


async def test_expired_session_is_replaced_on_access(kit: StoreKit) -> None:
    store = kit.make(defaults(ttl=10))
    await (await store.get("short")).add_message(ChatMessage.user("old"))
    kit.advance(11)
    assert [m.content for m in await (await store.get("short")).get_history()] == [SYSTEM]


async def test_sessions_without_ttl_never_expire(kit: StoreKit) -> None:
    store = kit.make(defaults())
    await store.get("forever")
    kit.advance(10**8)
    assert await store.expire() == []
    assert await store.exists("forever")


async def test_run_expiry_removes_idle_sessions_in_the_background(kit: StoreKit) -> None:
    store = kit.make(defaults(), ttl=50)
    await store.get("idle")
    kit.advance(60)
    with anyio.fail_after(10):
        async with store.run_expiry(0.01):
            while await store.list():
                await anyio.sleep(0.01)
    assert await store.list() == []


async def test_list_exists_and_last(kit: StoreKit) -> None:
    store = kit.make()
    assert await store.list() == []
    assert await store.last() is None
    assert not await store.exists("b")
    await store.get("b")
    kit.advance(5)
    await store.get("a")
    assert await store.list() == ["a", "b"]
    assert await store.exists("b")
    assert await store.last() == "a"
    kit.advance(5)
    await (await store.get("b")).add_message(ChatMessage.user("x"))
    assert await store.last() == "b"


async def test_history_is_a_copy(kit: StoreKit) -> None:
    session = await kit.make(defaults()).get("copy")
    message = ChatMessage.user("original")
    await session.add_message(message)
    message.content = "changed after adding"
    history = await session.get_history()
    history[1].content = "changed after reading"
    history.append(ChatMessage.user("appended"))
    assert [m.content for m in await session.get_history()] == [SYSTEM, "original"]


async def test_messages_round_trip_with_every_part_and_provider_metadata(kit: StoreKit) -> None:
    png = bytes(range(256)) * 4
    assistant = ChatMessage(
        MessageRole.ASSISTANT,
        "answer",
        parts=[TextPart("more", extra={"cache_control": {"type": "ephemeral"}})],
        tool_calls=[ChatMessageToolCall("call_1", "lookup", '{"q": "ünïcode\\n"}')],
        reasoning="thinking…",
        stop_reason=StopReason.TOOL_USE,
        raw_stop_reason="tool_use",
        usage=Usage(10, 20, 5, 3, 1),
        provider_metadata={
            "anthropic": {"thinking": [{"signature": b"\x00sig\xff", "redacted": b"\x01"}]},
            "gemini": {"thought_signatures": {"call_1": b"\xfe\xed"}},
        },
        metadata={"trace": b"raw", "n": 1.5},
    )
    messages = [
        ChatMessage.system("sys"),
        ChatMessage.user(
            "look\nat this",
            ImagePart(png, "image/png", "high"),
            ImageURLPart("https://example.com/a.png", "image/png", "low"),
            FilePart(b"%PDF-1.7\x00\xff", "application/pdf", "report.pdf"),
            FileURLPart("https://example.com/doc.pdf", "application/pdf", "doc.pdf"),
            TextPart("caption"),
        ),
        assistant,
        ChatMessage.tool_result("call_1", "result", tool_name="lookup", is_error=True),
    ]
    store = kit.make()
    session = await store.get("roundtrip")
    await session.add_messages(messages)
    assert await session.get_history() == messages
    if kit.kind != "memory":  # and from a store that never saw the objects
        assert await (await kit.make().get("roundtrip")).get_history() == messages


def _nested(depth: int) -> list[object]:
    outer: list[object] = []
    inner = outer
    for _ in range(depth):
        inner.append([])
        inner = inner[0]  # type: ignore[assignment]
    return outer


def _circular() -> dict[str, object]:
    loop: dict[str, object] = {}
    loop["self"] = loop
    return loop


@pytest.mark.parametrize(
    ("metadata", "content", "reason"),
    [
        ({"handle": object()}, "x", "not JSON serializable"),
        ({"deep": _nested(100_000)}, "x", "recursion"),
        ({"loop": _circular()}, "x", "ircular|recursion"),
        ({}, "half an emoji \ud83e", "surrogate"),
    ],
)
async def test_unstorable_message_is_a_typed_error_and_nothing_is_stored(
    kit: StoreKit, metadata: dict[str, object], content: str, reason: str
) -> None:
    session = await kit.make().get("bad")
    bad = ChatMessage.user(content)
    bad.metadata = metadata
    with pytest.raises(UnstorableMessageError, match=rf"message 1 \(user\).*({reason})"):
        await session.add_messages([ChatMessage.user("first"), bad])
    with pytest.raises(UnstorableMessageError):
        await session.add_message(bad)
    assert await session.get_history() == []


async def test_messages_are_encoded_and_decoded_off_the_event_loop(
    kit: StoreKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JSON and base64 work for a large message happens in a worker thread, never on the
    event loop's thread (89 ms of stall for a 10 MB image otherwise)."""
    session = await kit.make().get("big")
    loop_thread = threading.get_ident()
    on_loop: list[str] = []
    to_json, from_dict = ChatMessage.to_json, ChatMessage.from_dict.__func__  # type: ignore[attr-defined]

    def spying_to_json(self: ChatMessage) -> str:
        if threading.get_ident() == loop_thread:
            on_loop.append("encode")
        return to_json(self)

    def spying_from_dict(cls: type[ChatMessage], data: dict[str, object]) -> ChatMessage:
        if threading.get_ident() == loop_thread:
            on_loop.append("decode")
        result: ChatMessage = from_dict(cls, data)
        return result

    image = ChatMessage.user("look", ImagePart(b"\x89PNG" * 1000, "image/png"))
    monkeypatch.setattr(ChatMessage, "to_json", spying_to_json)
    monkeypatch.setattr(ChatMessage, "from_dict", classmethod(spying_from_dict))
    await session.add_message(image)
    await session.add_messages([ChatMessage.user("a"), image])
    assert await session.get_history() == [image, ChatMessage.user("a"), image]
    await session.update_metadata(max_history_tokens=2000)
    assert await session.compact() == 1
    await session.clear()
    monkeypatch.undo()
    assert on_loop == []


async def test_metadata_extra_keys_cannot_shadow_fields(kit: StoreKit) -> None:
    """A key of ``extra`` named like a real field would vanish when stored: it is refused."""
    store = kit.make()
    session = await store.get("shadow")
    await session.update_metadata(model="m/kept", extra={"color": "blue"})
    with pytest.raises(ConfigurationError, match=r"extra key 'model'.*field"):
        await session.update_metadata(extra={"model": "m/lost"})
    with pytest.raises(ConfigurationError, match=r"extra key 'temperature'"):
        await session.set_metadata(SessionMetadata(extra={"temperature": 1}))
    with pytest.raises(ConfigurationError, match=r"extra key 'name'"):
        await store.get("other", defaults=SessionMetadata(extra={"name": "x"}))
    metadata = await session.get_metadata()
    assert (metadata.model, metadata.extra) == ("m/kept", {"color": "blue"})
    assert not await store.exists("other")


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"handle": object()}, "not JSON serializable"),
        ({"deep": _nested(100_000)}, "recursion"),
        ({"nan": float("nan")}, "not JSON compliant|nan"),
        ({1: "int key"}, "would change"),
        ({"nested": {2: "int key"}}, "would change"),
    ],
)
async def test_unstorable_session_metadata_is_a_typed_error_and_nothing_is_written(
    kit: StoreKit, extra: dict[str, object], reason: str
) -> None:
    session = await kit.make().get("meta")
    await session.update_metadata(extra={"kept": True})
    with pytest.raises(ConfigurationError, match=reason):
        await session.update_metadata(extra=extra)
    with pytest.raises(ConfigurationError, match=reason):
        await session.set_metadata(SessionMetadata(extra=extra))
    assert (await session.get_metadata()).extra == {"kept": True}


async def test_stats(kit: StoreKit) -> None:
    store = kit.make(defaults(max_history_tokens=42))
    session = await store.get("stats")
    await session.add_messages(
        [
            ChatMessage.user("1234"),  # 5 tokens
            ChatMessage.assistant("", [ChatMessageToolCall("c", "t", "{}")]),
            ChatMessage.tool_result("c", "ok"),
        ]
    )
    stats = await session.stats()
    assert stats.message_counts == {"system": 1, "user": 1, "assistant": 1, "tool": 1}
    assert stats.tool_call_count == 1
    assert stats.total_tokens == 8 + 5 + 4 + 4
    assert stats.max_tokens == 42
    assert stats.capacity == pytest.approx(0.5)
    assert stats.time_to_expiry is None
    await session.update_metadata(ttl=3600)
    left = (await session.stats()).time_to_expiry
    assert left is not None and timedelta(0) < left <= timedelta(hours=1)
    await session.update_metadata(max_history_tokens=10)  # stats describe what is sent
    assert (await session.stats()).message_counts == {"system": 1}


async def test_closed_handles_and_stores_refuse_work(kit: StoreKit) -> None:
    store = kit.make()
    async with store.session("ctx") as session:
        await session.add_message(ChatMessage.user("inside"))
    with pytest.raises(SessionError, match="closed"):
        await session.get_history()
    await session.close()  # idempotent
    async with store:
        assert await store.list() == ["ctx"]
    with pytest.raises(SessionError, match="closed"):
        await store.get("ctx")


@pytest.mark.parametrize("name", ["", "a/b", "..", ".hidden", "tab\there", "x" * 300])
async def test_invalid_names_are_rejected(kit: StoreKit, name: str) -> None:
    store = kit.make()
    with pytest.raises(InvalidSessionNameError):
        await store.get(name)
    with pytest.raises(InvalidSessionNameError):
        await store.delete(name)


async def test_reading_a_deleted_session_fails(kit: StoreKit) -> None:
    store = kit.make()
    session = await store.get("gone")
    await store.delete("gone")
    calls = (session.get_history(), session.get_metadata(), session.clear(), session.compact())
    for call in calls:
        with pytest.raises(SessionNotFoundError, match="gone"):
            await call
    with pytest.raises(SessionNotFoundError):
        await session.update_metadata(model="m/x")
    assert await store.list() == []


async def test_handles_in_two_stores_see_each_other(persistent_kit: StoreKit) -> None:
    first = await persistent_kit.make().get("shared")
    second = await persistent_kit.make().get("shared")
    await first.add_message(ChatMessage.user("from first"))
    await second.add_message(ChatMessage.user("from second"))
    await second.update_metadata(model="m/x")
    assert [m.content for m in await first.get_history()] == ["from first", "from second"]
    assert (await first.get_metadata()).model == "m/x"


async def test_several_processes_append_to_one_session(persistent_kit: StoreKit) -> None:
    """Four processes append at once while this one reads: nothing lost, duplicated or
    half-read, and each writer's messages stay in its order."""
    workers, count = 4, 150
    session = await persistent_kit.make().get("shared")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "tests.sessions._append_worker", persistent_kit.kind,
               persistent_kit.location, "shared"]  # fmt: skip
    processes = [
        await anyio.open_process([*command, str(w), str(count)], cwd=REPO, env=env)
        for w in range(workers)
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            reader = BufferedByteReceiveStream(process.stdout)
            with anyio.fail_after(60):
                assert await reader.receive_until(b"\n", 100) == b"ready"
        for process in processes:
            assert process.stdin is not None
            await process.stdin.send(b"go\n")
        with warnings.catch_warnings():
            warnings.simplefilter("error", SessionRecoveryWarning)  # never half a message
            seen = 0
            while any(p.returncode is None for p in processes):
                history = await session.get_history()
                assert len(history) >= seen
                seen = len(history)
                await anyio.sleep(0.005)
        with anyio.fail_after(60):
            codes = [await p.wait() for p in processes]
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
            await process.aclose()
    assert codes == [0] * workers
    contents = [m.content for m in await session.get_history()]
    assert sorted(contents) == sorted(f"{w}:{i}" for w in range(workers) for i in range(count))
    for w in range(workers):
        assert [c for c in contents if c.startswith(f"{w}:")] == [f"{w}:{i}" for i in range(count)]


WRONG_SHAPES = [
    b"\x00\x00not json",
    b"\xff\xfe not UTF-8",
    b"[1,2]",
    b'"just text"',
    b"null",
    b'{"content": "no role"}',
    b'{"role":"assistant","tool_calls":[1]}',
    b'{"role":"user","parts":[7]}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"role":"user","metadata":' + b'{"a":' * 5_000 + b"1" + b"}" * 5_001,
]


@pytest.mark.parametrize("item", WRONG_SHAPES, ids=lambda item: repr(item[:24]))
async def test_items_that_are_not_messages_are_skipped_and_never_deleted(
    persistent_kit: StoreKit, item: bytes
) -> None:
    """A complete stored item that is not a message (damage, a hand edit, a newer version)
    is skipped with a warning; compact and clear keep it verbatim, in its place."""
    kit = persistent_kit
    assert kit.inject is not None and kit.items is not None
    session = await kit.make(SessionMetadata(system_prompt="sys")).get("odd")
    await session.add_message(ChatMessage.user("before"))
    kit.inject("odd", item)
    await session.add_messages([ChatMessage.user("after"), ChatMessage.assistant("reply")])
    with pytest.warns(SessionRecoveryWarning, match="not a valid message"):
        history = await session.get_history()
    assert [m.content for m in history] == ["sys", "before", "after", "reply"]

    await session.update_metadata(max_history_tokens=14)  # keeps sys + the last turn
    with pytest.warns(SessionRecoveryWarning):
        assert await session.compact() == 1
    assert kit.items("odd") == [
        ChatMessage.system("sys").to_json().encode(),
        item,  # kept verbatim, where it was among the kept messages
        ChatMessage.user("after").to_json().encode(),
        ChatMessage.assistant("reply").to_json().encode(),
    ]
    with pytest.warns(SessionRecoveryWarning):
        await session.clear()
    assert kit.items("odd") == [ChatMessage.system("sys").to_json().encode(), item]
    with pytest.warns(SessionRecoveryWarning):
        assert [m.content for m in await session.get_history()] == ["sys"]


async def test_unreadable_metadata_is_an_error_and_changes_nothing(
    persistent_kit: StoreKit,
) -> None:
    kit = persistent_kit
    assert kit.corrupt_metadata is not None and kit.items is not None
    store = kit.make()
    session = await store.get("broken")
    await session.add_message(ChatMessage.user("precious"))
    kit.corrupt_metadata("broken")
    items = kit.items("broken")
    for call in (store.get("broken"), session.get_metadata(), session.get_history()):
        with pytest.raises(SessionCorruptError, match="broken"):
            await call
    with pytest.raises(SessionCorruptError, match="broken"):
        await session.update_metadata(model="m/x")
    with pytest.raises(SessionCorruptError):
        await store.all_metadata()
    kit.advance(10**6)
    with pytest.warns(SessionRecoveryWarning, match="broken"):
        assert await store.expire() == []
    assert kit.items("broken") == items
    assert await store.list() == ["broken"]
