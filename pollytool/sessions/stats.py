"""Numbers about a session for status displays: tokens, capacity, counts, time to expiry."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..messages import ChatMessage
from .trim import history_tokens

__all__ = ["SessionStats", "history_stats"]


@dataclass(frozen=True, slots=True)
class SessionStats:
    """Numbers about a session's history.

    Attributes:
        total_tokens: estimated tokens of the history (:func:`~pollytool.sessions.estimate_tokens`).
        max_tokens: the ``max_history_tokens`` budget, or ``None``.
        message_counts: number of messages per role (``"user"``, ``"assistant"``, …).
        tool_call_count: number of tool calls made by the assistant.
        time_to_expiry: time left before the session may expire, or ``None`` without a TTL.
    """

    total_tokens: int
    max_tokens: int | None
    message_counts: dict[str, int]
    tool_call_count: int
    time_to_expiry: timedelta | None

    @property
    def capacity(self) -> float:
        """Share of the token budget in use (``0.5`` = half); 0 without a budget."""
        if not self.max_tokens:
            return 0.0
        return self.total_tokens / self.max_tokens


def history_stats(
    history: Sequence[ChatMessage],
    *,
    max_tokens: int | None = None,
    ttl: float | None = None,
    last_used: datetime | None = None,
    now: datetime | None = None,
) -> SessionStats:
    """Compute :class:`SessionStats` for *history*. ``time_to_expiry`` is
    ``last_used + ttl - now`` (never negative) when both *ttl* and *last_used* are given."""
    expiry: timedelta | None = None
    if ttl is not None and last_used is not None:
        left = last_used + timedelta(seconds=ttl) - (now or datetime.now(last_used.tzinfo))
        expiry = max(left, timedelta(0))
    return SessionStats(
        total_tokens=history_tokens(history),
        max_tokens=max_tokens,
        message_counts=dict(Counter(str(m.role) for m in history)),
        tool_call_count=sum(len(m.tool_calls) for m in history),
        time_to_expiry=expiry,
    )
