"""The ``<think>`` splitter, fed the way a stream feeds it: in arbitrary pieces."""

from __future__ import annotations

import pytest

from pollytool.providers.ollama._think_tags import ThinkTagSplitter


def split(*pieces: str) -> tuple[str, str, int]:
    """(reasoning, text, number of pieces produced) after feeding *pieces* and flushing."""
    splitter = ThinkTagSplitter()
    out = [p for piece in pieces for p in splitter.feed(piece)] + splitter.flush()
    reasoning = "".join(text for is_reasoning, text in out if is_reasoning)
    answer = "".join(text for is_reasoning, text in out if not is_reasoning)
    return reasoning, answer, len(out)


@pytest.mark.parametrize(
    "pieces",
    [
        ["<think>Plan.</think>Answer."],
        ["<think>", "Plan.", "</think>", "Answer."],
        ["<", "thi", "nk>Pl", "an.</", "think", ">", "\n\n", "Answer."],
        ["  \n", "<think>Plan.</think>\n\nAnswer."],
    ],
)
def test_leading_block_becomes_reasoning(pieces: list[str]) -> None:
    assert split(*pieces)[:2] == ("Plan.", "Answer.")


def test_each_piece_of_reasoning_streams_without_waiting_for_the_end() -> None:
    splitter = ThinkTagSplitter()
    assert splitter.feed("<think>one ") == [(True, "one ")]
    assert splitter.feed("two</th") == [(True, "two")]  # "</th" may begin the closing tag
    assert splitter.feed("ink>three") == [(False, "three")]
    assert splitter.feed(" four") == [(False, " four")]


@pytest.mark.parametrize(
    "text",
    ["Hello <think>not reasoning</think>", "<thinking>is text</thinking>", "<th", "  ", "x"],
)
def test_text_not_starting_with_the_tag_is_untouched(text: str) -> None:
    assert split(text)[:2] == ("", text)
    assert split(*text)[:2] == ("", text)  # one character at a time


def test_only_the_first_block_is_reasoning() -> None:
    assert split("<think>a</think>b<think>c</think>")[:2] == ("a", "b<think>c</think>")


def test_empty_block_gives_no_reasoning() -> None:
    assert split("<think>\n\n</think>\n\nHi") == ("\n\n", "Hi", 2)
    assert split("<think></think>Hi") == ("", "Hi", 1)


def test_unfinished_block_is_reasoning() -> None:
    assert split("<think>cut off mid-thou", "ght</thi")[:2] == ("cut off mid-thought</thi", "")
