"""Separating a leading ``<think>…</think>`` block from a reply's text.

Some models served by Ollama (Qwen3, DeepSeek-R1 distills) write their reasoning into the reply
text, wrapped in ``<think>`` tags, when the request does not set ``think`` or when the Ollama
server is too old to parse it out. :class:`ThinkTagSplitter` turns that block into reasoning.

It is deliberately narrow, so that ordinary text is never misread: only a reply whose text
*begins* with ``<think>`` (leading whitespace allowed) is split, and only up to the first
``</think>``. Tags anywhere else, and a reply that does not start with the tag, pass through
unchanged. Tags split across stream chunks are recognised; text is held back only while it
could still be the start of a tag.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["Piece", "ThinkTagSplitter"]

_OPEN = "<think>"
_CLOSE = "</think>"

#: A piece of output: ``(True, text)`` is reasoning, ``(False, text)`` is reply text.
Piece = tuple[bool, str]


class _State(Enum):
    START = "start"  # nothing but whitespace seen yet
    INSIDE = "inside"  # within the leading think block
    AFTER = "after"  # just after </think>: whitespace before the answer is dropped
    TEXT = "text"  # plain text from here on


class ThinkTagSplitter:
    """Feed reply text with :meth:`feed`; call :meth:`flush` when the reply ends."""

    __slots__ = ("_buffer", "_state")

    def __init__(self) -> None:
        self._state = _State.START
        self._buffer = ""

    @property
    def passthrough(self) -> bool:
        """Whether all further text is reply text (no think block can start any more)."""
        return self._state is _State.TEXT

    def feed(self, text: str) -> list[Piece]:
        """The reasoning and reply pieces that *text* completes (possibly none yet)."""
        if not text:
            return []
        if self._state is _State.TEXT:
            return [(False, text)]
        self._buffer += text
        pieces: list[Piece] = []
        if self._state is _State.START:
            head = self._buffer.lstrip()
            if not head or (len(head) < len(_OPEN) and _OPEN.startswith(head)):
                return []  # still undecided
            if not head.startswith(_OPEN):
                return self._to_text()
            self._state = _State.INSIDE
            self._buffer = head[len(_OPEN) :]
        if self._state is _State.INSIDE:
            end = self._buffer.find(_CLOSE)
            if end < 0:
                keep = _partial_suffix(self._buffer, _CLOSE)
                reasoning = self._buffer[: len(self._buffer) - keep]
                self._buffer = self._buffer[len(reasoning) :]
                return [(True, reasoning)] if reasoning else []
            if end:
                pieces.append((True, self._buffer[:end]))
            self._buffer = self._buffer[end + len(_CLOSE) :]
            self._state = _State.AFTER
        rest = self._buffer.lstrip()
        if rest:
            pieces.extend(self._to_text(rest))
        else:
            self._buffer = ""
        return pieces

    def flush(self) -> list[Piece]:
        """What is still held back when the reply ends: an unfinished think block is
        reasoning (the reply was cut while thinking); anything else is reply text."""
        buffer, self._buffer = self._buffer, ""
        if not buffer:
            return []
        return [(self._state is _State.INSIDE, buffer)]

    def _to_text(self, text: str | None = None) -> list[Piece]:
        out = self._buffer if text is None else text
        self._state = _State.TEXT
        self._buffer = ""
        return [(False, out)]


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of *text* that is a proper beginning of *tag*."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0
