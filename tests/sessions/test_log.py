"""How a rewrite keeps the stored items it cannot read (the rule every store uses)."""

from __future__ import annotations

from pollytool.messages import ChatMessage
from pollytool.sessions._common import decode_log


def item(content: str) -> bytes:
    return ChatMessage.user(content).to_json().encode()


def test_unreadable_items_stay_before_the_next_kept_message() -> None:
    items = [b"bad-0", item("a"), b"bad-2", item("b"), b"", item("c"), b"bad-6", b"bad-7"]
    log = decode_log(items, lambda i: f"item {i}")
    assert [m.content for m in log.messages] == ["a", "b", "c"]
    assert log.problems == [
        f"item {i}: not a valid message (JSONDecodeError); skipped, and kept as it is"
        for i in (0, 2, 6, 7)
    ]
    _, b, c = log.messages
    kept = [stored for stored, _ in log.rewritten([c])]  # "a" and "b" dropped
    assert kept == [b"bad-0", b"bad-2", item("c"), b"bad-6", b"bad-7"]  # the blank line goes
    mixed = log.rewritten([ChatMessage.system("new"), b, c])
    assert [stored for stored, _ in mixed] == [
        ChatMessage.system("new").to_json().encode(), b"bad-0", b"bad-2", item("b"), item("c"),
        b"bad-6", b"bad-7",
    ]  # fmt: skip
    assert [message for _, message in mixed] == [
        ChatMessage.system("new"),
        None,
        None,
        b,
        c,
        None,
        None,
    ]
    assert [stored for stored, _ in log.rewritten([])] == [b"bad-0", b"bad-2", b"bad-6", b"bad-7"]


def test_kept_messages_keep_their_stored_bytes() -> None:
    spaced = b'{"role": "user",   "content": "as written"}'
    log = decode_log([spaced], str)
    assert log.rewritten(log.messages) == [(spaced, log.messages[0])]
