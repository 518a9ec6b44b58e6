"""Messages API responses (stream events or a whole message) → pollytool events.

One :class:`Decoder` per response feeds the shared
:class:`~pollytool.providers._accumulator.StreamAccumulator`:

* ``text`` blocks → ``content``; ``thinking`` blocks → ``reasoning``; ``tool_use`` blocks →
  ``tool_call_start`` / ``tool_call_delta`` / ``tool_call`` (keyed by the block index, so
  several calls per turn work). Server-side blocks (web search and the like) are skipped.
* ``thinking`` (text + signature) and ``redacted_thinking`` blocks are kept, unchanged, in the
  final message's ``provider_metadata["anthropic"]`` as ``{"blocks": [...], "positions":
  [...]}``; a position is the number of text/tool_use blocks before that block. The encoder
  replays them there on the next turn, which Anthropic requires for thinking with tools.
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

if TYPE_CHECKING:
    from anthropic.types import (
        ContentBlock,
        Message,
        MessageDeltaUsage,
        RawContentBlockDelta,
        RawMessageStreamEvent,
    )
    from anthropic.types import Usage as AnthropicUsage

    from ...events import StreamEvent
    from .._accumulator import StreamAccumulator

__all__ = ["Decoder"]

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


class Decoder:
    """Turns one response into events (see the module docstring).

    Args:
        acc: the accumulator of this response.
        output_tool: name of the tool carrying structured output, if the request used one.
    """

    __slots__ = (
        "_acc",
        "_cache_read",
        "_cache_write",
        "_input_tokens",
        "_kinds",
        "_output_tool",
        "_start_input",
        "_thinking",
        "_visible",
    )

    def __init__(self, acc: StreamAccumulator, output_tool: str | None = None) -> None:
        self._acc = acc
        self._output_tool = output_tool
        self._kinds: dict[int, str] = {}
        self._start_input: dict[int, object] = {}
        self._thinking: dict[int, tuple[list[str], list[str], int]] = {}
        self._visible = 0
        self._input_tokens = 0
        self._cache_read = 0
        self._cache_write = 0

    # ------------------------------------------------------------------ streaming

    def event(self, event: RawMessageStreamEvent) -> StreamEvent | None:
        """The event (if any) for one stream event."""
        if event.type == "content_block_delta":
            return self._delta(event.index, event.delta)
        if event.type == "content_block_start":
            return self._start(event.index, event.content_block)
        if event.type == "content_block_stop":
            return self._stop(event.index)
        if event.type == "message_delta":
            self._stop_reason(event.delta.stop_reason)
            return self._usage(event.usage)
        if event.type == "message_start":
            self._identify(event.message)
            return self._usage(event.message.usage)
        return None

    # ------------------------------------------------------------------ whole message

    def message(self, message: Message) -> list[StreamEvent]:
        """The events of a non-streamed response, the same as its stream would give."""
        events: list[StreamEvent | None] = []
        self._identify(message)
        for index, block in enumerate(message.content):
            events.append(self._start(index, block))
            if block.type == "tool_use":
                events.append(self._input(index, json.dumps(block.input)))
            events.append(self._stop(index))
        self._stop_reason(message.stop_reason)
        events.append(self._usage(message.usage))
        return [event for event in events if event is not None]

    # ------------------------------------------------------------------ blocks

    def _start(self, index: int, block: ContentBlock) -> StreamEvent | None:
        acc = self._acc
        if block.type == "text":
            self._visible += 1
            return acc.text(block.text)
        if block.type == "thinking":
            self._kinds[index] = _THINKING
            self._thinking[index] = ([block.thinking], [block.signature], self._visible)
            return acc.reasoning(block.thinking)
        if block.type == "redacted_thinking":
            self._keep({"type": "redacted_thinking", "data": block.data}, self._visible)
            return None
        if block.type == "tool_use":
            self._start_input[index] = block.input
            if block.name == self._output_tool:
                self._kinds[index] = _OUTPUT
                return None
            self._kinds[index] = _TOOL
            self._visible += 1
            return acc.start_tool_call(index, block.id, block.name)
        return None

    def _delta(self, index: int, delta: RawContentBlockDelta) -> StreamEvent | None:
        if delta.type == "text_delta":
            return self._acc.text(delta.text)
        if delta.type == "input_json_delta":
            return self._input(index, delta.partial_json)
        if delta.type == "thinking_delta":
            state = self._thinking.get(index)
            if state is not None:
                state[0].append(delta.thinking)
            return self._acc.reasoning(delta.thinking)
        if delta.type == "signature_delta":
            state = self._thinking.get(index)
            if state is not None:
                state[1].append(delta.signature)
        return None

    def _input(self, index: int, partial_json: str) -> StreamEvent | None:
        kind = self._kinds.get(index)
        if not partial_json or kind is None:
            return None
        self._start_input.pop(index, None)
        if kind == _TOOL:
            return self._acc.tool_call_delta(index, partial_json)
        return self._acc.text(partial_json)

    def _stop(self, index: int) -> StreamEvent | None:
        kind = self._kinds.pop(index, None)
        if kind == _THINKING:
            thinking, signature, position = self._thinking.pop(index)
            block = {"type": "thinking", "thinking": "".join(thinking)}
            block["signature"] = "".join(signature)
            self._keep(block, position)
            return None
        # Arguments that came whole in the start block instead of as deltas.
        whole = json.dumps(self._start_input.pop(index)) if index in self._start_input else None
        if kind == _TOOL:
            return self._acc.finish_tool_call(index, whole)
        if kind == _OUTPUT:
            return self._acc.text(whole)
        return None

    def _keep(self, block: dict[str, Any], position: int) -> None:
        meta = self._acc.metadata
        meta.setdefault("blocks", []).append(block)
        meta.setdefault("positions", []).append(position)

    # ------------------------------------------------------------------ message level

    def _identify(self, message: Message) -> None:
        self._acc.message_metadata.update(id=message.id, model=message.model)

    def _stop_reason(self, raw: str | None) -> None:
        if raw is None:
            return
        reason = _STOP_REASONS.get(raw, StopReason.END_TURN)
        if reason == StopReason.TOOL_USE and not self._acc.has_tool_calls:
            reason = StopReason.END_TURN  # only the structured-output tool was called
        self._acc.set_stop_reason(reason, raw)

    def _usage(self, usage: AnthropicUsage | MessageDeltaUsage) -> StreamEvent:
        if usage.input_tokens is not None:
            self._input_tokens = usage.input_tokens
        if usage.cache_read_input_tokens is not None:
            self._cache_read = usage.cache_read_input_tokens
        if usage.cache_creation_input_tokens is not None:
            self._cache_write = usage.cache_creation_input_tokens
        details = usage.output_tokens_details
        return self._acc.set_usage(
            Usage(
                input_tokens=self._input_tokens + self._cache_read + self._cache_write,
                output_tokens=usage.output_tokens,
                reasoning_tokens=details.thinking_tokens if details is not None else 0,
                cache_read_tokens=self._cache_read,
                cache_write_tokens=self._cache_write,
            )
        )
