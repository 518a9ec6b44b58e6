"""Fit a conversation into a token budget without breaking its structure.

:func:`trim_history` drops whole turns from the oldest end; it never leaves a tool result
without the call it answers, never keeps a tool call without its results, and always keeps a
leading system prompt. Token counts are estimated per message by :func:`estimate_tokens`
(never taken from a response's ``usage``, whose input count covers the whole prompt).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..messages import ChatMessage, FilePart, FileURLPart, ImagePart, ImageURLPart, MessageRole

__all__ = ["estimate_tokens", "history_tokens", "trim_history"]

#: Fixed cost of any message (role, separators).
MESSAGE_OVERHEAD = 4
#: Rough cost of one image; providers charge by resolution, which is not known here.
IMAGE_TOKENS = 1024
#: Rough cost of one document (a PDF page costs about this much or more).
FILE_TOKENS = 2048

_Block = list[ChatMessage]


def estimate_tokens(message: ChatMessage) -> int:
    """Estimate the tokens *message* takes in a prompt: about one token per four characters
    of its text, reasoning and tool calls, plus :data:`MESSAGE_OVERHEAD`, plus a flat
    :data:`IMAGE_TOKENS` per image and :data:`FILE_TOKENS` per document.

    >>> estimate_tokens(ChatMessage.user("hello world"))
    6
    """
    tokens = MESSAGE_OVERHEAD + len(message.content) // 4
    for part in message.parts:
        if isinstance(part, ImagePart | ImageURLPart):
            tokens += IMAGE_TOKENS
        elif isinstance(part, FilePart | FileURLPart):
            tokens += FILE_TOKENS
        else:
            tokens += len(part.text) // 4
    for call in message.tool_calls:
        tokens += len(call.name) // 4 + len(call.arguments) // 4
    return tokens + len(message.reasoning) // 4 + len(message.tool_call_id) // 4


def history_tokens(history: Sequence[ChatMessage]) -> int:
    """The sum of :func:`estimate_tokens` over *history*."""
    return sum(estimate_tokens(m) for m in history)


def trim_history(history: Sequence[ChatMessage], max_tokens: int) -> list[ChatMessage]:
    """Return the newest part of *history* that fits in *max_tokens* estimated tokens.

    - A leading system message is always kept (even when it alone is over the budget).
    - The rest is cut into turns, each a user message with every reply, tool call and tool
      result up to the next user message. Whole turns are dropped from the oldest end until
      the rest fits.
    - If even the newest turn does not fit, its user message is kept with as many of its
      newest steps as fit; a step is one message, or an assistant message with tool calls
      together with their results. If that does not fit either, only the system message is
      left.
    - Tool results that answer no preceding tool call are always dropped.

    The input is not changed; the messages in the result are the same objects.
    """
    if max_tokens < 0:
        raise ValueError(f"max_tokens must not be negative, got {max_tokens}")
    head = list(history[:1]) if history and history[0].role == MessageRole.SYSTEM else []
    budget = max_tokens - history_tokens(head)
    turns = _turns(_blocks(history[len(head) :]))
    kept: list[_Block] = []
    for turn in reversed(turns):
        cost = sum(history_tokens(block) for block in turn)
        if cost > budget:
            break
        kept[:0] = turn
        budget -= cost
    if not kept and turns:
        kept = _partial_turn(turns[-1], budget)
    return head + [message for block in kept for message in block]


def _blocks(messages: Sequence[ChatMessage]) -> list[_Block]:
    """Group *messages* into steps: an assistant message with tool calls plus the tool results
    right after it that answer those calls; every other message alone. Tool results that
    answer nothing before them are left out."""
    blocks: list[_Block] = []
    open_calls: set[str] = set()
    for message in messages:
        if message.role == MessageRole.TOOL:
            if message.tool_call_id in open_calls:
                blocks[-1].append(message)
            continue
        blocks.append([message])
        open_calls = {c.id for c in message.tool_calls}
    return blocks


def _turns(blocks: list[_Block]) -> list[list[_Block]]:
    turns: list[list[_Block]] = []
    for block in blocks:
        if not turns or block[0].role == MessageRole.USER:
            turns.append([block])
        else:
            turns[-1].append(block)
    return turns


def _partial_turn(turn: list[_Block], budget: int) -> list[_Block]:
    """The turn's opening user message and its newest steps that fit in *budget*."""
    first = turn[0]
    if first[0].role != MessageRole.USER:
        return []
    budget -= history_tokens(first)
    if budget < 0:
        return []
    steps: list[_Block] = []
    for block in reversed(turn[1:]):
        cost = history_tokens(block)
        if cost > budget:
            break
        steps.insert(0, block)
        budget -= cost
    return [first, *steps]
