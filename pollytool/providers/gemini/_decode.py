"""``GenerateContentResponse`` chunks → stream events, through the shared accumulator.

* Text parts → ``content``; parts marked ``thought`` → ``reasoning``.
* ``function_call`` parts arrive whole (arguments as a dict) → ``tool_call_start``, one
  ``tool_call_delta`` with the arguments' JSON and ``tool_call``. Gemini often sends no call
  id; a unique one is made up and used to match the function response next turn.
* ``thought_signature`` on any part → that part's provider data: on the tool call, or on a
  text or thought part of its own in ``response_parts`` (see
  :mod:`pollytool.providers.gemini._layout`).
* Usage comes with every chunk (cumulative); the last report is sent once, at the end:
  ``input_tokens`` = prompt (+ tool-use prompt) tokens, ``output_tokens`` = candidate tokens
  **plus thought tokens** (Gemini bills thoughts as output), ``reasoning_tokens`` = thought
  tokens, ``cache_read_tokens`` = cached-content tokens (part of the input).
* Stop reasons: ``STOP`` → ``end_turn`` (``tool_use`` when calls were made), ``MAX_TOKENS`` →
  ``max_tokens``, safety-type reasons and a blocked prompt (``prompt_feedback.block_reason``)
  → ``content_filter``, anything else (``MALFORMED_FUNCTION_CALL``, ``OTHER``…) → ``error``.
  Gemini's own word is kept in ``raw_stop_reason``; for a blocked prompt, the
  ``block_reason_message`` goes into the message's ``metadata``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ...messages import StopReason, Usage
from .._accumulator import new_tool_call_id
from .._decoder import Decoder

if TYPE_CHECKING:
    from collections.abc import Sequence

    from google.genai import types

    from ...events import StreamEvent
    from .._accumulator import StreamAccumulator

__all__ = ["ResponseDecoder", "stop_reason", "usage_from"]

_FILTERED = frozenset(
    {
        "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "MODEL_ARMOR", "JAILBREAK",
    }
)  # fmt: skip


def stop_reason(raw: str) -> StopReason:
    """The normalised stop reason for Gemini's ``finish_reason`` (or ``block_reason``)."""
    if raw == "STOP":
        return StopReason.END_TURN
    if raw == "MAX_TOKENS":
        return StopReason.MAX_TOKENS
    if raw in _FILTERED:
        return StopReason.CONTENT_FILTER
    return StopReason.ERROR


def _name(value: Any) -> str:
    """An SDK enum member's wire name (unknown values may come through as plain strings)."""
    return str(getattr(value, "value", value))


def usage_from(meta: types.GenerateContentResponseUsageMetadata) -> Usage:
    """:class:`~pollytool.messages.Usage` from Gemini's ``usage_metadata``."""
    thoughts = meta.thoughts_token_count or 0
    return Usage(
        input_tokens=(meta.prompt_token_count or 0) + (meta.tool_use_prompt_token_count or 0),
        output_tokens=(meta.candidates_token_count or 0) + thoughts,
        reasoning_tokens=thoughts,
        cache_read_tokens=meta.cached_content_token_count or 0,
    )


class ResponseDecoder(Decoder):
    """Feeds one response's chunks (or its single non-streamed body) into an accumulator.

    A chunk with candidates, usage or prompt feedback starts the response; a
    ``finish_reason`` (or a blocked prompt) is its end marker."""

    __slots__ = ("_usage",)

    def __init__(self, acc: StreamAccumulator) -> None:
        super().__init__(acc)
        self._usage: types.GenerateContentResponseUsageMetadata | None = None

    def feed(self, item: types.GenerateContentResponse) -> Sequence[StreamEvent]:
        """The events of one chunk."""
        chunk = item
        acc = self.acc
        events: list[StreamEvent] = []
        if chunk.candidates or chunk.usage_metadata is not None or chunk.prompt_feedback:
            self.started = True
        if chunk.usage_metadata is not None:
            self._usage = chunk.usage_metadata
        if chunk.response_id and "response_id" not in acc.message_metadata:
            acc.message_metadata["response_id"] = chunk.response_id
            if chunk.model_version:
                acc.message_metadata["model_version"] = chunk.model_version
        feedback = chunk.prompt_feedback
        if feedback is not None and feedback.block_reason is not None:
            self.finished = True
            acc.set_stop_reason(StopReason.CONTENT_FILTER, _name(feedback.block_reason))
            if feedback.block_reason_message:
                acc.message_metadata["block_reason_message"] = feedback.block_reason_message
        if not chunk.candidates:
            return events
        candidate = chunk.candidates[0]
        if candidate.content is not None:
            for part in candidate.content.parts or ():
                self._part(part, events)
        if candidate.finish_reason is not None:
            self.finished = True
            raw = _name(candidate.finish_reason)
            acc.set_stop_reason(stop_reason(raw), raw)
        return events

    def _part(self, part: types.Part, events: list[StreamEvent]) -> None:
        acc = self.acc
        signature = part.thought_signature
        data = {"thought_signature": signature} if signature is not None else None
        call = part.function_call
        if call is not None:
            call_id = call.id or new_tool_call_id()
            arguments = json.dumps(call.args or {}, ensure_ascii=False)
            events.extend(acc.whole_tool_call(call_id, call.name or "", arguments, data))
            return
        text = part.text
        if text is None:
            if signature is None:
                return  # inline data, code execution and other parts pollytool does not model
            text = ""  # a part with only a signature is remembered as an empty text part
        if data is not None:  # a signed piece is a part of its own
            acc.start_part("reasoning" if part.thought else "text", data)
        event = acc.reasoning(text) if part.thought else acc.text(text)
        if data is not None:
            acc.end_part()
        if event is not None:
            events.append(event)

    def finish(self) -> Sequence[StreamEvent]:
        """The events due when the response has ended (the final usage)."""
        self.check_complete()
        if self._usage is None:
            return ()
        return (self.acc.set_usage(usage_from(self._usage)),)
