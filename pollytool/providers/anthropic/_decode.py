"""Messages API responses (stream events or a whole message, as wire JSON) → pollytool events.

A :class:`MessageStreamDecoder` (streamed) or :class:`MessageDecoder` (whole) per response
feeds the shared :class:`~pollytool.providers._accumulator.StreamAccumulator`:

* ``text`` blocks → ``content``; ``thinking`` blocks → ``reasoning``; ``tool_use`` blocks →
  ``tool_call_start`` / ``tool_call_delta`` / ``tool_call`` (keyed by the block index, so
  several calls per turn work). Server-side blocks (web search and the like) are skipped.
* Every block is a response part in order; ``thinking`` blocks are reasoning parts carrying
  ``{"anthropic": {"signature": ...}}``, ``redacted_thinking`` blocks empty reasoning parts
  carrying ``{"anthropic": {"redacted_data": ...}}``. The encoder replays them, unchanged and
  where they stood, on the next turn, which Anthropic requires for thinking with tools.
* The tool that carries structured output on older models becomes ``content`` text and is
  not reported as a tool call.
* Usage counts are cumulative: each report replaces the previous one. ``input_tokens`` is the
  whole prompt (Anthropic's uncached ``input_tokens`` plus cache reads and writes), with the
  cache parts also in ``cache_read_tokens`` / ``cache_write_tokens``; ``reasoning_tokens``
  comes from ``output_tokens_details.thinking_tokens`` when reported.
* Stop reasons: ``end_turn`` / ``stop_sequence`` → ``end_turn``; ``tool_use``; ``max_tokens``
  and ``model_context_window_exceeded`` → ``max_tokens``; ``refusal`` → ``content_filter``;
  ``pause_turn`` (a long server-tool turn paused) → ``end_turn`` with ``raw_stop_reason``
  ``"pause_turn"``: send the history back unchanged to let the model continue.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ...messages import StopReason, Usage
from .._decoder import NO_EVENTS, Decoder

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ...events import StreamEvent
    from .._accumulator import StreamAccumulator

__all__ = ["MessageDecoder", "MessageStreamDecoder"]

_STOP_REASONS = {
    "end_turn": StopReason.END_TURN,
    "stop_sequence": StopReason.END_TURN,
    "pause_turn": StopReason.END_TURN,
    "tool_use": StopReason.TOOL_USE,
    "max_tokens": StopReason.MAX_TOKENS,
    "model_context_window_exceeded": StopReason.MAX_TOKENS,
    "refusal": StopReason.CONTENT_FILTER,
}

# What a content-block index holds.
_TOOL, _OUTPUT, _THINKING = "tool", "output", "thinking"


class _BlockDecoder(Decoder):
    """Content blocks → events; shared by the streamed and the whole response.

    Args:
        acc: the accumulator of this response.
        output_tool: name of the tool carrying structured output, if the request used one.
    """

    __slots__ = (
        "_cache_read",
        "_cache_write",
        "_input_tokens",
        "_kinds",
        "_output_tool",
        "_start_input",
        "_thinking",
    )

    def __init__(self, acc: StreamAccumulator, output_tool: str | None = None) -> None:
        super().__init__(acc)
        self._output_tool = output_tool
        self._kinds: dict[int, str] = {}
        self._start_input: dict[int, object] = {}
        self._thinking: dict[int, tuple[Any, list[str]]] = {}  # index -> (part, signature)
        self._input_tokens = 0
        self._cache_read = 0
        self._cache_write = 0

    # ------------------------------------------------------------------ blocks

    def _start(self, index: int, block: dict[str, Any]) -> StreamEvent | None:
        acc = self.acc
        kind = block.get("type")
        if kind == "text":
            acc.start_part("text")
            return acc.text(block.get("text"))
        if kind == "thinking":
            self._kinds[index] = _THINKING
            self._thinking[index] = (acc.start_part("reasoning"), [block.get("signature") or ""])
            return acc.reasoning(block.get("thinking"))
        if kind == "redacted_thinking":
            acc.start_part("reasoning", {"redacted_data": block.get("data")})
            acc.end_part()
            return None
        if kind == "tool_use":
            self._start_input[index] = block.get("input")
            name = block.get("name") or ""
            if name == self._output_tool:
                self._kinds[index] = _OUTPUT
                return None
            self._kinds[index] = _TOOL
            return acc.start_tool_call(index, block.get("id"), name)
        return None

    def _delta(self, index: int, delta: dict[str, Any]) -> StreamEvent | None:
        kind = delta.get("type")
        if kind == "text_delta":
            return self.acc.text(delta.get("text"))
        if kind == "input_json_delta":
            return self._input(index, delta.get("partial_json") or "")
        if kind == "thinking_delta":
            return self.acc.reasoning(delta.get("thinking"))
        if kind == "signature_delta":
            state = self._thinking.get(index)
            if state is not None:
                state[1].append(delta.get("signature") or "")
        return None

    def _input(self, index: int, partial_json: str) -> StreamEvent | None:
        kind = self._kinds.get(index)
        if not partial_json or kind is None:
            return None
        self._start_input.pop(index, None)
        if kind == _TOOL:
            return self.acc.tool_call_delta(index, partial_json)
        return self.acc.text(partial_json)

    def _stop(self, index: int) -> Sequence[StreamEvent]:
        kind = self._kinds.pop(index, None)
        if kind == _THINKING:
            part, signature = self._thinking.pop(index)
            self.acc.part_data(part, {"signature": "".join(signature)})
            return NO_EVENTS
        # Arguments that came whole in the start block instead of as deltas.
        whole = json.dumps(self._start_input.pop(index)) if index in self._start_input else None
        if kind == _TOOL:
            return self.acc.finish_tool_call(index, whole)
        if kind == _OUTPUT:
            return _one(self.acc.text(whole))
        return NO_EVENTS

    # ------------------------------------------------------------------ message level

    def _identify(self, message: dict[str, Any]) -> None:
        self.acc.message_metadata.update(id=message.get("id"), model=message.get("model"))

    def _stop_reason(self, raw: str | None) -> None:
        if raw is None:
            return
        reason = _STOP_REASONS.get(raw, StopReason.END_TURN)
        if reason == StopReason.TOOL_USE and not self.acc.has_tool_calls:
            reason = StopReason.END_TURN  # only the structured-output tool was called
        self.acc.set_stop_reason(reason, raw)

    def _usage(self, usage: dict[str, Any]) -> StreamEvent:
        if (value := usage.get("input_tokens")) is not None:
            self._input_tokens = value
        if (value := usage.get("cache_read_input_tokens")) is not None:
            self._cache_read = value
        if (value := usage.get("cache_creation_input_tokens")) is not None:
            self._cache_write = value
        details = usage.get("output_tokens_details")
        thinking = details.get("thinking_tokens") if isinstance(details, dict) else None
        return self.acc.set_usage(
            Usage(
                input_tokens=self._input_tokens + self._cache_read + self._cache_write,
                output_tokens=usage.get("output_tokens") or 0,
                reasoning_tokens=thinking or 0,
                cache_read_tokens=self._cache_read,
                cache_write_tokens=self._cache_write,
            )
        )


class MessageStreamDecoder(_BlockDecoder):
    """A streamed reply: its stream events, from ``message_start`` to the end marker
    ``message_stop``; an ``event: error`` raises inside the SDK."""

    __slots__ = ()

    def feed(self, item: Any) -> Sequence[StreamEvent]:
        if not isinstance(item, dict):
            return NO_EVENTS
        kind = item.get("type")
        if kind == "content_block_delta":
            return _one(self._delta(item["index"], item.get("delta") or {}))
        if kind == "content_block_start":
            return _one(self._start(item["index"], item.get("content_block") or {}))
        if kind == "content_block_stop":
            return self._stop(item["index"])
        if kind == "message_delta":
            self._stop_reason((item.get("delta") or {}).get("stop_reason"))
            return (self._usage(item.get("usage") or {}),)
        if kind == "message_start":
            self.started = True
            message = item.get("message") or {}
            self._identify(message)
            return (self._usage(message.get("usage") or {}),)
        if kind == "message_stop":
            self.finished = True
        return NO_EVENTS


class MessageDecoder(_BlockDecoder):
    """A whole reply: one ``message`` object, decoded into the events its stream would give."""

    __slots__ = ()

    def feed(self, item: Any) -> Sequence[StreamEvent]:
        if not isinstance(item, dict) or item.get("type") != "message":
            return NO_EVENTS  # not a Messages API response
        content = item.get("content")
        if not isinstance(content, list):
            return NO_EVENTS
        self.started = self.finished = True
        events: list[StreamEvent | None] = []
        self._identify(item)
        for index, block in enumerate(content):
            events.append(self._start(index, block))
            if block.get("type") == "tool_use":
                events.append(self._input(index, json.dumps(block.get("input"))))
            events.extend(self._stop(index))
        self._stop_reason(item.get("stop_reason"))
        events.append(self._usage(item.get("usage") or {}))
        return [event for event in events if event is not None]


def _one(event: StreamEvent | None) -> Sequence[StreamEvent]:
    return NO_EVENTS if event is None else (event,)
