"""How much the model should think before it answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from .errors import InvalidThinkingError

__all__ = ["Thinking", "ThinkingLevel"]


class ThinkingLevel(StrEnum):
    """Named effort levels, from least to most thinking."""

    MINIMAL = "minimal"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    XHIGH = "xhigh"
    MAX = "max"


#: Token budget that stands for each level where a provider wants a number.
LEVEL_BUDGETS: dict[ThinkingLevel, int] = {
    ThinkingLevel.MINIMAL: 1024,
    ThinkingLevel.LOW: 4096,
    ThinkingLevel.MEDIUM: 8192,
    ThinkingLevel.HIGH: 16384,
    ThinkingLevel.XHIGH: 32768,
    ThinkingLevel.MAX: 65536,
}

ThinkingMode = Literal["off", "dynamic", "level", "budget"]


@dataclass(frozen=True, slots=True)
class Thinking:
    """A thinking setting: off, dynamic (the model decides), a level, or a token budget.

    Build one with :meth:`off`, :meth:`dynamic`, :meth:`level`, :meth:`budget` or
    :meth:`parse`::

        Thinking.parse("high")      # a level
        Thinking.parse("12000")     # a budget of 12,000 tokens
        Thinking.parse("dynamic")   # let the model decide ("auto" means the same)
        Thinking.parse("off")

    Each adapter maps it to its provider: OpenAI reasoning effort, Anthropic adaptive or
    budgeted thinking, Gemini thinking config, Ollama ``think``.

    ``explicit`` tells whether the caller chose this setting; ``CompletionRequest``'s default
    is an implicit off, which adapters leave out of the request entirely, while an explicit
    :meth:`off` is sent where the provider can turn thinking off.
    """

    mode: ThinkingMode = "off"
    effort: ThinkingLevel | None = None
    tokens: int | None = None
    explicit: bool = field(default=True, compare=False)

    # ------------------------------------------------------------------ constructors

    @classmethod
    def off(cls) -> Thinking:
        """No thinking, asked for explicitly."""
        return cls("off")

    @classmethod
    def default(cls) -> Thinking:
        """No thinking setting: the provider's default applies (nothing is sent)."""
        return _DEFAULT

    @classmethod
    def dynamic(cls) -> Thinking:
        """Let the model decide how much to think."""
        return cls("dynamic")

    @classmethod
    def level(cls, level: ThinkingLevel | str) -> Thinking:
        """Think at a named effort level (``minimal`` … ``max``)."""
        try:
            return cls("level", effort=ThinkingLevel(str(level).strip().lower()))
        except ValueError:
            raise InvalidThinkingError(_bad_value(level)) from None

    @classmethod
    def budget(cls, tokens: int) -> Thinking:
        """Think with a budget of *tokens* tokens (a positive integer)."""
        if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens <= 0:
            raise InvalidThinkingError(
                f"invalid thinking budget {tokens!r}: must be a positive number of tokens"
            )
        return cls("budget", tokens=tokens)

    @classmethod
    def parse(cls, value: Thinking | str | int | None) -> Thinking:
        """Read a setting from a string such as ``"high"``, ``"12000"``, ``"off"``,
        ``"dynamic"`` or ``"auto"`` (case and surrounding space ignored), an int budget, an
        existing :class:`Thinking`, or ``None`` (the provider default)."""
        if value is None:
            return _DEFAULT
        if isinstance(value, Thinking):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return cls.budget(value)
        if not isinstance(value, str):
            raise InvalidThinkingError(_bad_value(value))
        text = value.strip().lower()
        if text in ("off", "none", "false", "disabled"):
            return cls.off()
        if text in ("dynamic", "auto"):
            return cls.dynamic()
        if text.isdigit():
            return cls.budget(int(text))
        if text in ThinkingLevel.__members__.values():
            return cls("level", effort=ThinkingLevel(text))
        raise InvalidThinkingError(_bad_value(value))

    # ------------------------------------------------------------------ reading

    @property
    def enabled(self) -> bool:
        """True unless thinking is off."""
        return self.mode != "off"

    def as_level(self, fallback: ThinkingLevel = ThinkingLevel.MEDIUM) -> ThinkingLevel:
        """The nearest level: a budget maps to the highest level whose budget fits in it;
        dynamic and off give *fallback*."""
        if self.mode == "level" and self.effort is not None:
            return self.effort
        if self.mode == "budget" and self.tokens is not None:
            chosen = ThinkingLevel.MINIMAL
            for level, budget in LEVEL_BUDGETS.items():
                if budget <= self.tokens:
                    chosen = level
            return chosen
        return fallback

    def as_budget(self, fallback: int = LEVEL_BUDGETS[ThinkingLevel.MEDIUM]) -> int:
        """A token budget: the explicit budget, the level's budget, or *fallback*."""
        if self.mode == "budget" and self.tokens is not None:
            return self.tokens
        if self.mode == "level" and self.effort is not None:
            return LEVEL_BUDGETS[self.effort]
        return fallback

    def __str__(self) -> str:
        if self.mode == "level" and self.effort is not None:
            return self.effort.value
        if self.mode == "budget":
            return str(self.tokens)
        return self.mode


_DEFAULT = Thinking("off", explicit=False)


def _bad_value(value: object) -> str:
    levels = ", ".join(level.value for level in ThinkingLevel)
    return (
        f"invalid thinking setting {value!r}: use off, dynamic, a level ({levels}) "
        "or a positive token budget such as 12000"
    )
