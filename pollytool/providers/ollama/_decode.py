"""Turning Ollama ``/api/chat`` chunks (wire JSON, as dicts) into pollytool events.

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
* A line without a ``message`` object is not a chat response: :class:`ResponseError`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ...errors import ResponseError
from ...messages import StopReason, Usage
from .._decoder import Decoder
from ._think_tags import ThinkTagSplitter

if TYPE_CHECKING:
    from collections.abc import Sequence

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

    def feed(self, item: Any) -> Sequence[StreamEvent]:
        """The events of one chunk, in the order its fields describe them."""
        message = item.get("message") if isinstance(item, dict) else None
        if not isinstance(message, dict):
            raise ResponseError(
                f"Ollama sent a line that is not a chat response (no message object): "
                f"{str(item)[:200]}",
                provider=self.acc.provider,
            )
        chunk = item
        acc = self.acc
        self.started = True
        done = chunk.get("done")
        thinking, tool_calls = message.get("thinking"), message.get("tool_calls")
        if self._tags.passthrough and not done and not thinking and not tool_calls:
            event = acc.text(message.get("content"))  # the hot path: a plain text delta
            return (event,) if event is not None else ()
        events: list[StreamEvent] = []
        if (reasoning := acc.reasoning(thinking)) is not None:
            events.append(reasoning)
        self._text(self._tags.feed(message.get("content") or ""), events)
        for call in tool_calls or ():
            function = call.get("function") or {}
            arguments = json.dumps(function.get("arguments") or {}, ensure_ascii=False)
            events.extend(acc.whole_tool_call(None, function.get("name") or "", arguments))
        if done:
            self._finish(chunk, events)
        return events

    def _text(self, pieces: list[tuple[bool, str]], events: list[StreamEvent]) -> None:
        for is_reasoning, text in pieces:
            event = self.acc.reasoning(text) if is_reasoning else self.acc.text(text)
            if event is not None:
                events.append(event)

    def _finish(self, chunk: dict[str, Any], events: list[StreamEvent]) -> None:
        acc = self.acc
        self.finished = True
        self._text(self._tags.flush(), events)
        prompt, output = chunk.get("prompt_eval_count"), chunk.get("eval_count")
        if prompt is not None or output is not None:
            events.append(acc.set_usage(Usage(prompt or 0, output or 0)))
        if done_reason := chunk.get("done_reason"):
            reason = _STOP_REASONS.get(done_reason, StopReason.END_TURN)
            acc.set_stop_reason(reason, done_reason)
        metadata: dict[str, Any] = {"model": chunk["model"]} if chunk.get("model") else {}
        for name in _TIMINGS:
            value = chunk.get(name)
            if value is not None:
                metadata[name] = value
        acc.message_metadata.update(metadata)
