"""Turning Ollama ``ChatResponse`` chunks into pollytool events.

A streamed reply is many chunks; a non-streamed one is a single chunk with ``done: true``. Both
go through :class:`ChatDecoder`, so the events are the same either way:

* ``message.thinking`` → ``reasoning``; ``message.content`` → ``content`` (a leading
  ``<think>…</think>`` block in the content becomes reasoning, see
  :mod:`._think_tags`). Each chunk's fields are handled independently, so text that arrives
  before, between or after thinking chunks is never dropped.
* ``message.tool_calls`` → one whole tool call each (start, one delta, complete). Ollama sends
  no call ids, so each call gets a fresh unique id; arguments (an object) become JSON text.
* The final chunk: ``prompt_eval_count``/``eval_count`` → usage; ``done_reason`` → stop reason
  (``stop`` → end_turn, or tool_use when the reply called tools; ``length`` → max_tokens; the
  raw word is kept). The model name and Ollama's timings (nanoseconds) go into the message's
  ``metadata``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ...messages import StopReason, Usage
from .._decoder import Decoder
from ._think_tags import ThinkTagSplitter

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ollama import ChatResponse

    from ...events import StreamEvent
    from .._accumulator import StreamAccumulator

__all__ = ["ChatDecoder"]

_STOP_REASONS = {"stop": StopReason.END_TURN, "length": StopReason.MAX_TOKENS}
_TIMINGS = ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration")


class ChatDecoder(Decoder):
    """Feeds one reply's chunks into a :class:`StreamAccumulator`; the final chunk
    (``done: true``) is the end marker."""

    __slots__ = ("_tags",)

    def __init__(self, acc: StreamAccumulator) -> None:
        super().__init__(acc)
        self._tags = ThinkTagSplitter()

    def feed(self, item: ChatResponse) -> Sequence[StreamEvent]:
        """The events of one chunk, in the order its fields describe them."""
        chunk = item
        acc = self.acc
        self.started = True
        message = chunk.message
        if (
            self._tags.passthrough
            and not chunk.done
            and not message.thinking
            and not message.tool_calls
        ):  # the hot path: a plain text delta
            event = acc.text(message.content)
            return (event,) if event is not None else ()
        events: list[StreamEvent] = []
        if (reasoning := acc.reasoning(message.thinking)) is not None:
            events.append(reasoning)
        self._text(self._tags.feed(message.content or ""), events)
        for call in message.tool_calls or ():
            arguments = json.dumps(dict(call.function.arguments), ensure_ascii=False)
            events.extend(acc.whole_tool_call(None, call.function.name, arguments))
        if chunk.done:
            self._finish(chunk, events)
        return events

    def _text(self, pieces: list[tuple[bool, str]], events: list[StreamEvent]) -> None:
        for is_reasoning, text in pieces:
            event = self.acc.reasoning(text) if is_reasoning else self.acc.text(text)
            if event is not None:
                events.append(event)

    def _finish(self, chunk: ChatResponse, events: list[StreamEvent]) -> None:
        acc = self.acc
        self.finished = True
        self._text(self._tags.flush(), events)
        if chunk.prompt_eval_count is not None or chunk.eval_count is not None:
            usage = Usage(chunk.prompt_eval_count or 0, chunk.eval_count or 0)
            events.append(acc.set_usage(usage))
        if chunk.done_reason:
            reason = _STOP_REASONS.get(chunk.done_reason, StopReason.END_TURN)
            acc.set_stop_reason(reason, chunk.done_reason)
        metadata: dict[str, Any] = {"model": chunk.model} if chunk.model else {}
        for name in _TIMINGS:
            value = getattr(chunk, name)
            if value is not None:
                metadata[name] = value
        acc.message_metadata.update(metadata)
