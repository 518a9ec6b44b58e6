"""Token estimates and history trimming, with its invariants checked by hypothesis."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pollytool.messages import (
    ChatMessage,
    ChatMessageToolCall,
    FilePart,
    ImagePart,
    ImageURLPart,
    MessageRole,
    TextPart,
    Usage,
)
from pollytool.sessions import estimate_tokens, history_tokens, trim_history
from pollytool.sessions.trim import FILE_TOKENS, IMAGE_TOKENS

SYSTEM = ChatMessage.system("sys")  # 4 tokens


def call(call_id: str, name: str = "t", arguments: str = "{}") -> ChatMessageToolCall:
    return ChatMessageToolCall(call_id, name, arguments)


@pytest.mark.parametrize(
    ("message", "tokens"),
    [
        (ChatMessage.user(""), 4),
        (ChatMessage.user("1234"), 5),
        (ChatMessage.user("12345678"), 6),
        (ChatMessage.user("hello world"), 6),
        (ChatMessage.assistant("", [call("", "test_tool", '{"key": "value"}')]), 10),
        (ChatMessage.user("", TextPart("12345678")), 6),
        (ChatMessage.tool_result("abcd", "1234"), 6),
        (ChatMessage(MessageRole.ASSISTANT, "1234", reasoning="12345678"), 7),
        (
            ChatMessage.user("", ImagePart(b"x" * 10_000), ImageURLPart("https://x")),
            4 + 2 * IMAGE_TOKENS,
        ),
        (ChatMessage.user("", FilePart(b"%PDF")), 4 + FILE_TOKENS),
    ],
)
def test_estimate_tokens(message: ChatMessage, tokens: int) -> None:
    assert estimate_tokens(message) == tokens


def test_estimate_ignores_usage_counts() -> None:
    message = ChatMessage.assistant("1234")
    message.usage = Usage(input_tokens=100_000, output_tokens=5)
    assert estimate_tokens(message) == 5


def contents(history: Sequence[ChatMessage]) -> list[str]:
    return [m.content for m in history]


def test_keeps_the_newest_messages_that_fit() -> None:
    history = [ChatMessage.user("1234"), ChatMessage.user("5678"), ChatMessage.user("12345678")]
    assert contents(trim_history(history, 12)) == ["5678", "12345678"]
    assert contents(trim_history(history, 8)) == ["12345678"]
    assert contents(trim_history(history, 100)) == ["1234", "5678", "12345678"]


def test_system_prompt_is_always_kept() -> None:
    history = [SYSTEM, ChatMessage.user("1234")]
    assert trim_history(history, 0) == [SYSTEM]
    assert trim_history(history, 9) == history
    assert trim_history([ChatMessage.system("x" * 400)], 1) == [ChatMessage.system("x" * 400)]


def test_leading_orphan_tool_results_are_dropped_even_with_room() -> None:
    history = [
        SYSTEM,
        ChatMessage.tool_result("gone1", "a"),
        ChatMessage.tool_result("gone2", "b"),
        ChatMessage.user("hi"),
    ]
    assert trim_history(history, 1000) == [SYSTEM, history[3]]


def test_tool_result_after_another_message_is_an_orphan() -> None:
    history = [
        ChatMessage.user("q"),
        ChatMessage.assistant("", [call("c1")]),
        ChatMessage.user("interrupting"),
        ChatMessage.tool_result("c1", "late"),
    ]
    assert contents(trim_history(history, 1000)) == ["q", "", "interrupting"]


def test_parallel_calls_stay_with_all_their_results() -> None:
    history = [
        SYSTEM,
        ChatMessage.user("old question " * 4),
        ChatMessage.assistant("", [call("a"), call("b")]),
        ChatMessage.tool_result("a", "x" * 40),
        ChatMessage.tool_result("b", "y" * 40),
        ChatMessage.assistant("old answer"),
        ChatMessage.user("new question"),
        ChatMessage.assistant("new answer"),
    ]
    full = history_tokens(history)
    for budget in range(full + 1):
        trimmed = trim_history(history, budget)
        assert_well_formed(trimmed, history)
    assert trim_history(history, full) == history
    assert trim_history(history, full - 1) == [SYSTEM, *history[6:]]


def test_a_turn_too_big_keeps_its_question_and_newest_steps() -> None:
    history = [
        SYSTEM,
        ChatMessage.user("question"),  # 6 tokens
        ChatMessage.assistant("", [call("a")]),  # 4
        ChatMessage.tool_result("a", "x" * 4000),  # 1004
        ChatMessage.assistant("", [call("b")]),  # 4
        ChatMessage.tool_result("b", "short"),  # 5
    ]
    assert trim_history(history, 100) == [SYSTEM, history[1], history[4], history[5]]
    assert trim_history(history, 12) == [SYSTEM, history[1]]
    assert trim_history(history, 5) == [SYSTEM]


def test_giant_tool_result_alone_leaves_only_the_system_prompt() -> None:
    history = [
        SYSTEM,
        ChatMessage.assistant("", [call("a")]),
        ChatMessage.tool_result("a", "x" * 4000),
    ]
    assert trim_history(history, 50) == [SYSTEM]


def test_input_is_not_changed() -> None:
    history = [SYSTEM, ChatMessage.tool_result("x", "orphan"), ChatMessage.user("hi")]
    copy = list(history)
    trim_history(history, 5)
    assert history == copy


def test_negative_budget_is_an_error() -> None:
    with pytest.raises(ValueError, match="negative"):
        trim_history([SYSTEM], -1)


# --------------------------------------------------------------------------- properties


def assert_well_formed(trimmed: list[ChatMessage], original: list[ChatMessage]) -> None:
    """No orphan results; every call has all its results; a subsequence of the original."""
    position = 0
    for message in trimmed:
        while original[position] is not message:
            position += 1
    open_calls: set[str] = set()
    answered: set[str] = set()
    for message in trimmed:
        if message.role == MessageRole.TOOL:
            assert message.tool_call_id in open_calls, "orphan tool result"
            answered.add(message.tool_call_id)
            continue
        assert open_calls <= answered, "tool call without its result"
        open_calls = {c.id for c in message.tool_calls}
        answered = set()
    assert open_calls <= answered, "tool call without its result"


_text = st.text(alphabet="abcdefgh ", max_size=60)


@st.composite
def steps(draw: st.DrawFn, turn: int, index: int) -> list[ChatMessage]:
    """An assistant reply, or an assistant message with tool calls and all their results."""
    calls = draw(st.integers(0, 3))
    if calls == 0:
        return [ChatMessage.assistant(draw(_text))]
    ids = [f"call-{turn}-{index}-{n}" for n in range(calls)]
    message = ChatMessage.assistant(draw(_text), [call(i, "tool", "{}") for i in ids])
    order = draw(st.permutations(ids))
    return [message, *(ChatMessage.tool_result(i, draw(_text)) for i in order)]


@st.composite
def histories(draw: st.DrawFn, orphans: bool = False) -> list[ChatMessage]:
    history: list[ChatMessage] = []
    if draw(st.booleans()):
        history.append(ChatMessage.system(draw(_text)))
    for turn in range(draw(st.integers(0, 6))):
        history.append(ChatMessage.user(draw(_text)))
        for index in range(draw(st.integers(0, 3))):
            history.extend(draw(steps(turn, index)))
    if orphans:
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(history)))
            history.insert(
                at, ChatMessage.tool_result(draw(st.sampled_from(["x", "call-0-0-0"])), "o")
            )
    return history


@settings(max_examples=300, deadline=None)
@given(histories(), st.integers(0, 400))
def test_trimming_invariants(history: list[ChatMessage], budget: int) -> None:
    trimmed = trim_history(history, budget)
    assert_well_formed(trimmed, history)
    head = history[:1] if history and history[0].role == MessageRole.SYSTEM else []
    assert trimmed[: len(head)] == head, "system prompt kept"
    rest = trimmed[len(head) :]
    assert history_tokens(rest) <= max(0, budget - history_tokens(head)), "within budget"
    if rest:
        assert rest[0].role == MessageRole.USER, "starts with a question"
    users = [i for i, m in enumerate(history) if m.role == MessageRole.USER]
    if users and history_tokens(history[users[-1] :]) <= budget - history_tokens(head):
        assert trimmed[-len(history) + users[-1] :] == history[users[-1] :], "last turn kept"
    if history_tokens(history) <= budget:
        assert trimmed == history, "nothing is dropped when everything fits"


@settings(max_examples=300, deadline=None)
@given(histories(orphans=True), st.integers(0, 400))
def test_trimming_never_keeps_an_orphan(history: list[ChatMessage], budget: int) -> None:
    trimmed = trim_history(history, budget)
    open_calls: set[str] = set()
    for message in trimmed:
        if message.role == MessageRole.TOOL:
            assert message.tool_call_id in open_calls
        else:
            open_calls = {c.id for c in message.tool_calls}
