"""``GenerateContentResponse`` chunks (wire JSON dicts) → stream events, through the shared
accumulator.

* Text parts → ``content``; parts marked ``thought`` → ``reasoning``.
* ``functionCall`` parts arrive whole (arguments as a dict) → ``tool_call_start``, one
  ``tool_call_delta`` with the arguments' JSON and ``tool_call``. Gemini often sends no call
  id; a unique one is made up and used to match the function response next turn.
* ``thoughtSignature`` (base64 on the wire) on any part → that part's provider data, as bytes
  under ``"thought_signature"``: on the tool call, or on a text or thought part of its own in
  ``response_parts`` (see :mod:`pollytool.providers.gemini._layout`).
* Usage comes with every chunk (cumulative); the last report is sent once, at the end:
  ``input_tokens`` = prompt (+ tool-use prompt) tokens, ``output_tokens`` = candidate tokens
  **plus thought tokens** (Gemini bills thoughts as output), ``reasoning_tokens`` = thought
  tokens, ``cache_read_tokens`` = cached-content tokens (part of the input).
* Stop reasons: ``STOP`` → ``end_turn`` (``tool_use`` when calls were made), ``MAX_TOKENS`` →
  ``max_tokens``, safety-type reasons and a blocked prompt (``prompt_feedback.block_reason``)
  → ``content_filter``, anything else (``MALFORMED_FUNCTION_CALL``, ``OTHER``…) → ``error``.
  Gemini's own word is kept in ``raw_stop_reason``; for a blocked prompt, the
  ``blockReasonMessage`` goes into the message's ``metadata``.
"""

from __future__ import annotations

import binascii
import json
from typing import TYPE_CHECKING, Any

from ...errors import ResponseError
from ...messages import StopReason, Usage
from .._accumulator import new_tool_call_id
from .._decoder import Decoder
from ._b64 import from_wire

if TYPE_CHECKING:
    from collections.abc import Sequence

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
    """The normalised stop reason for Gemini's ``finishReason`` (or ``blockReason``)."""
    if raw == "STOP":
        return StopReason.END_TURN
    if raw == "MAX_TOKENS":
        return StopReason.MAX_TOKENS
    if raw in _FILTERED:
        return StopReason.CONTENT_FILTER
    return StopReason.ERROR


def usage_from(meta: dict[str, Any]) -> Usage:
    """:class:`~pollytool.messages.Usage` from Gemini's ``usageMetadata``."""
    thoughts = meta.get("thoughtsTokenCount") or 0
    return Usage(
        input_tokens=(meta.get("promptTokenCount") or 0)
        + (meta.get("toolUsePromptTokenCount") or 0),
        output_tokens=(meta.get("candidatesTokenCount") or 0) + thoughts,
        reasoning_tokens=thoughts,
        cache_read_tokens=meta.get("cachedContentTokenCount") or 0,
    )


def _signature(part: dict[str, Any]) -> bytes | None:
    text = part.get("thoughtSignature")
    if text is None:
        return None
    try:
        return from_wire(text)
    except (binascii.Error, TypeError, ValueError):
        raise ResponseError(
            "Gemini sent a thoughtSignature that is not base64", provider="gemini"
        ) from None


class ResponseDecoder(Decoder):
    """Feeds one response's chunks (or its single non-streamed body) into an accumulator.

    A chunk with candidates, usage or prompt feedback starts the response; a
    ``finishReason`` (or a blocked prompt) is its end marker."""

    __slots__ = ("_usage",)

    def __init__(self, acc: StreamAccumulator) -> None:
        super().__init__(acc)
        self._usage: dict[str, Any] | None = None

    def feed(self, item: dict[str, Any]) -> Sequence[StreamEvent]:
        """The events of one chunk."""
        chunk = item
        acc = self.acc
        events: list[StreamEvent] = []
        candidates = chunk.get("candidates")
        usage = chunk.get("usageMetadata")
        feedback = chunk.get("promptFeedback")
        if candidates or usage is not None or feedback is not None:
            self.started = True
        if usage is not None:
            self._usage = usage
        response_id = chunk.get("responseId")
        if response_id and "response_id" not in acc.message_metadata:
            acc.message_metadata["response_id"] = response_id
            model_version = chunk.get("modelVersion")
            if model_version:
                acc.message_metadata["model_version"] = model_version
        if feedback is not None and feedback.get("blockReason") is not None:
            self.finished = True
            acc.set_stop_reason(StopReason.CONTENT_FILTER, feedback["blockReason"])
            message = feedback.get("blockReasonMessage")
            if message:
                acc.message_metadata["block_reason_message"] = message
        if not candidates:
            return events
        candidate = candidates[0]
        content = candidate.get("content")
        if content is not None:
            for part in content.get("parts") or ():
                self._part(part, events)
        raw = candidate.get("finishReason")
        if raw is not None:
            self.finished = True
            acc.set_stop_reason(stop_reason(raw), raw)
        return events

    def _part(self, part: dict[str, Any], events: list[StreamEvent]) -> None:
        acc = self.acc
        signature = _signature(part)
        data = {"thought_signature": signature} if signature is not None else None
        call = part.get("functionCall")
        if call is not None:
            call_id = call.get("id") or new_tool_call_id()
            arguments = json.dumps(call.get("args") or {}, ensure_ascii=False)
            events.extend(acc.whole_tool_call(call_id, call.get("name") or "", arguments, data))
            return
        text = part.get("text")
        thought = part.get("thought")
        if text is None:
            if signature is None:
                return  # inline data, code execution and other parts pollytool does not model
            text = ""  # a part with only a signature is remembered as an empty text part
        if data is not None:  # a signed piece is a part of its own
            acc.start_part("reasoning" if thought else "text", data)
        event = acc.reasoning(text) if thought else acc.text(text)
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
