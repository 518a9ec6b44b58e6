"""Thinking.parse and the level/budget mapping."""

from __future__ import annotations

import pytest

from pollytool.errors import InvalidThinkingError
from pollytool.llm import CompletionRequest
from pollytool.thinking import Thinking, ThinkingLevel


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("off", Thinking.off()),
        ("OFF ", Thinking.off()),
        ("none", Thinking.off()),
        ("dynamic", Thinking.dynamic()),
        ("auto", Thinking.dynamic()),
        ("minimal", Thinking.level("minimal")),
        ("low", Thinking.level(ThinkingLevel.LOW)),
        ("Medium", Thinking.level("medium")),
        ("high", Thinking.level("high")),
        ("xhigh", Thinking.level("xhigh")),
        ("max", Thinking.level("max")),
        ("12000", Thinking.budget(12000)),
        (" 1 ", Thinking.budget(1)),
        (4096, Thinking.budget(4096)),
        (None, Thinking.default()),
    ],
)
def test_parse(value: str | int | None, expected: Thinking) -> None:
    assert Thinking.parse(value) == expected


@pytest.mark.parametrize("value", ["", "hi", "-5", "0", "1.5", "ultra", "12k", 0, -1, 2.5, True])
def test_parse_rejects_bad_values_clearly(value: object) -> None:
    with pytest.raises(InvalidThinkingError, match="invalid thinking"):
        Thinking.parse(value)  # type: ignore[arg-type]


def test_error_lists_the_choices() -> None:
    with pytest.raises(InvalidThinkingError) as info:
        Thinking.parse("ultra")
    assert "minimal, low, medium, high, xhigh, max" in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("tokens", "level"),
    [(1, "minimal"), (1024, "minimal"), (4095, "minimal"), (4096, "low"), (10000, "medium"),
     (16384, "high"), (40000, "xhigh"), (10**6, "max")],
)  # fmt: skip
def test_budget_maps_to_nearest_level_below(tokens: int, level: str) -> None:
    assert Thinking.budget(tokens).as_level() == level


def test_level_budgets_and_flags() -> None:
    assert Thinking.level("high").as_budget() == 16384
    assert Thinking.budget(777).as_budget() == 777
    assert Thinking.dynamic().as_budget(fallback=-1) == -1
    assert not Thinking.off().enabled
    assert Thinking.dynamic().enabled
    assert Thinking.off().explicit
    assert not Thinking.default().explicit
    assert Thinking.default() == Thinking.off()
    assert str(Thinking.level("low")) == "low"
    assert str(Thinking.budget(99)) == "99"


def test_request_parses_thinking_and_defaults_to_unset() -> None:
    assert CompletionRequest("m", thinking="high").thinking == Thinking.level("high")  # type: ignore[arg-type]
    assert not CompletionRequest("m").thinking.explicit
