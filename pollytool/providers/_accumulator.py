"""The one place where streamed pieces become events and a final message.

Every adapter feeds a :class:`StreamAccumulator` with what its provider sends (text deltas,
reasoning deltas, tool-call starts and argument deltas keyed by whatever the provider keys them
by, usage, stop reason, provider data) and yields the events it returns. At the end,
:meth:`StreamAccumulator.finish` emits the ``tool_call`` events still pending and the single
``complete`` event. No adapter accumulates on its own.

**Response parts.** The accumulator also records the reply's parts in order (text, reasoning,
tool calls), built from exactly the deltas it emits, so the final message's ``content`` and
``reasoning`` always equal its parts joined. Text and reasoning deltas continue the current
part of their kind; :meth:`~StreamAccumulator.start_part` begins a new one (a new content
block, a new reasoning item) and may attach provider data to it,
:meth:`~StreamAccumulator.part_data` attaches more later (a signature that arrives last), and
:meth:`~StreamAccumulator.end_part` closes it (Gemini: a signed piece stands alone). Tool calls
take their place when they start, and their own provider data stays on the call. The parts
become the message's ``response_parts`` only when some provider data was attached.

**Text that can always be stored.** A stream may split a character outside the Basic
Multilingual Plane (an emoji) between two deltas as UTF-16 surrogates, which Python cannot
encode as UTF-8 on their own. A delta that ends in a high surrogate keeps it back and joins it
with the low surrogate that starts the next delta; a surrogate left without its pair becomes
U+FFFD. So every delta, and the final message, is valid text.
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

from ..events import (
    CompleteEvent,
    ContentEvent,
    ReasoningEvent,
    ToolCallDeltaEvent,
    ToolCallEvent,
    ToolCallStartEvent,
    UsageEvent,
)
from ..messages import (
    ChatMessage,
    ChatMessageToolCall,
    MessageRole,
    ReasoningPart,
    StopReason,
    TextPart,
    ToolCallPart,
    Usage,
)

if TYPE_CHECKING:
    from ..events import StreamEvent
    from ..messages import ResponsePart

__all__ = ["StreamAccumulator", "new_tool_call_id"]

_TEXT, _REASONING, _CALL = "text", "reasoning", "call"


def new_tool_call_id() -> str:
    """A tool-call id that is unique across conversations (for providers that send none)."""
    return f"call_{uuid.uuid4().hex[:24]}"


def _valid(text: str) -> str:
    """*text* with surrogate pairs joined and lone surrogates replaced by U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


class _PendingCall:
    __slots__ = ("arguments", "data", "done", "id", "index", "name", "synthetic_id")

    def __init__(self, index: int, call_id: str | None, name: str) -> None:
        self.index = index
        self.synthetic_id = not call_id
        self.id = call_id or new_tool_call_id()
        self.name = name
        self.arguments: list[str] = []
        self.done = False
        self.data: dict[str, Any] | None = None

    def to_call(self, provider: str) -> ChatMessageToolCall:
        data = {provider: self.data} if self.data else {}
        return ChatMessageToolCall(self.id, self.name, "".join(self.arguments), data)


class _Slot:
    """One response part while it is being built: its kind, where its text starts in the
    accumulated pieces of that kind (or the key of its tool call), and its provider data."""

    __slots__ = ("data", "kind", "start")

    def __init__(self, kind: str, start: Any, data: dict[str, Any] | None) -> None:
        self.kind = kind
        self.start = start
        self.data = data


class StreamAccumulator:
    """Collects one response and produces its events (see the module docstring).

    Methods that take a delta return the event to yield (or ``None`` when there is nothing to
    say). Tool calls are keyed by any hashable the provider uses (Chat Completions ``index``,
    Responses ``item_id``, Anthropic content-block index); each new key gets the next dense
    0-based ``index`` in the events.

    Attributes:
        provider: the provider name, the key of all provider data it records.
        metadata: opaque message-level data for the final message's
            ``provider_metadata[provider]``.
        message_metadata: data for the final message's ``metadata`` (e.g. the response id).
    """

    __slots__ = (
        "_calls",
        "_held",
        "_open",
        "_raw_stop_reason",
        "_reasoning",
        "_slots",
        "_stop_reason",
        "_text",
        "_usage",
        "message_metadata",
        "metadata",
        "provider",
    )

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._held = {_TEXT: "", _REASONING: ""}  # a high surrogate waiting for its pair
        self._slots: list[_Slot] = []
        self._open: str | None = None  # the kind of the last slot, while deltas continue it
        self._calls: dict[Hashable, _PendingCall] = {}
        self._usage: Usage | None = None
        self._stop_reason: StopReason | None = None
        self._raw_stop_reason: str | None = None
        self.metadata: dict[str, Any] = {}
        self.message_metadata: dict[str, Any] = {}

    # ------------------------------------------------------------------ text

    def text(self, delta: str | None) -> ContentEvent | None:
        """A piece of reply text."""
        if not delta:
            return None
        if self._held[_TEXT] or "\ud800" <= delta[-1] <= "\udbff":
            delta = self._pair(_TEXT, delta)
            if not delta:
                return None
        if self._open is not _TEXT:
            self._add_slot(_TEXT, None)
        self._text.append(delta)
        return ContentEvent(delta)

    def reasoning(self, delta: str | None) -> ReasoningEvent | None:
        """A piece of visible reasoning."""
        if not delta:
            return None
        if self._held[_REASONING] or "\ud800" <= delta[-1] <= "\udbff":
            delta = self._pair(_REASONING, delta)
            if not delta:
                return None
        if self._open is not _REASONING:
            self._add_slot(_REASONING, None)
        self._reasoning.append(delta)
        return ReasoningEvent(delta)

    def _pair(self, kind: str, delta: str) -> str:
        """*delta* after the surrogate held back for *kind*, holding back its own last
        character if that is a high surrogate."""
        delta = self._held[kind] + delta
        self._held[kind] = ""
        if "\ud800" <= delta[-1] <= "\udbff":
            self._held[kind], delta = delta[-1], delta[:-1]
        return _valid(delta)

    # ------------------------------------------------------------------ parts

    def start_part(self, kind: str, data: dict[str, Any] | None = None) -> _Slot:
        """Begin a new text or reasoning part (``"text"`` / ``"reasoning"``), with this
        provider's *data* for it; later deltas of that kind continue it. Returns a handle for
        :meth:`part_data`."""
        slot = self._add_slot(kind, data)
        self._open = kind
        return slot

    def part_data(self, slot: _Slot, data: dict[str, Any]) -> None:
        """Attach more provider data to the part *slot* (from :meth:`start_part`)."""
        slot.data = {**(slot.data or {}), **data}

    def end_part(self) -> None:
        """Close the current part: the next delta begins a new one."""
        self._open = None

    def _add_slot(self, kind: str, data: dict[str, Any] | None) -> _Slot:
        pieces = self._text if kind == _TEXT else self._reasoning
        slot = _Slot(kind, len(pieces), data)
        self._slots.append(slot)
        self._open = kind
        return slot

    # ------------------------------------------------------------------ tool calls

    def start_tool_call(
        self, key: Hashable, call_id: str | None, name: str, data: dict[str, Any] | None = None
    ) -> ToolCallStartEvent | None:
        """A tool call begins (with this provider's *data* for it). A missing id is replaced
        by a unique one. Starting a key twice only fills in what was missing (some providers
        repeat the header)."""
        call = self._calls.get(key)
        if call is not None:
            if call_id and call.synthetic_id:
                call.id = call_id
                call.synthetic_id = False
            if name and not call.name:
                call.name = name
            return None
        call = _PendingCall(len(self._calls), call_id, name)
        call.data = data
        self._calls[key] = call
        self._slots.append(_Slot(_CALL, key, None))
        self._open = None
        return ToolCallStartEvent(call.index, call.id, call.name)

    def tool_call_delta(self, key: Hashable, delta: str | None) -> ToolCallDeltaEvent | None:
        """More argument JSON for the call at *key* (a call not started yet is started
        without a name)."""
        if not delta:
            return None
        call = self._calls.get(key)
        if call is None:
            self.start_tool_call(key, None, "")
            call = self._calls[key]
        call.arguments.append(delta)
        return ToolCallDeltaEvent(call.index, delta)

    def finish_tool_call(
        self, key: Hashable, arguments: str | None = None
    ) -> Sequence[StreamEvent]:
        """The call at *key* is complete: its ``tool_call`` event, after a last
        ``tool_call_delta`` when the final arguments extend what the deltas carried (a call
        that arrived whole, or with no arguments at all, which become ``{}``). *arguments*,
        when the provider repeats the whole text at the end, is the final text; it replaces
        the deltas' text in the rare case it does not extend it. Nothing for a call that is
        unknown or already finished."""
        call = self._calls.get(key)
        if call is None or call.done:
            return ()
        call.done = True
        streamed = "".join(call.arguments)
        final = _valid(streamed if arguments is None else arguments)
        if not final.strip():
            final = "{}"
        call.arguments = [final]
        done = ToolCallEvent(call.to_call(self.provider), call.index)
        if len(final) > len(streamed) and final.startswith(streamed):
            return (ToolCallDeltaEvent(call.index, final[len(streamed) :]), done)
        return (done,)

    def whole_tool_call(
        self,
        call_id: str | None,
        name: str,
        arguments: str,
        data: dict[str, Any] | None = None,
    ) -> list[StreamEvent]:
        """A call that arrives in one piece (Gemini, Ollama): start, one delta, complete."""
        key = ("whole", len(self._calls))
        events: list[StreamEvent] = []
        start = self.start_tool_call(key, call_id, name, data)
        if start is not None:
            events.append(start)
        events.extend(self.finish_tool_call(key, arguments))
        return events

    @property
    def has_tool_calls(self) -> bool:
        return bool(self._calls)

    def tool_call_id(self, key: Hashable) -> str | None:
        """The id given to the call at *key*, if it exists."""
        call = self._calls.get(key)
        return call.id if call is not None else None

    # ------------------------------------------------------------------ usage, stop

    def set_usage(self, usage: Usage) -> UsageEvent:
        """The response's cumulative usage so far (replaces earlier values)."""
        self._usage = usage
        return UsageEvent(usage)

    @property
    def usage(self) -> Usage | None:
        return self._usage

    def set_stop_reason(self, reason: StopReason, raw: str | None = None) -> None:
        """Why the model stopped (*raw* is the provider's own word)."""
        self._stop_reason = reason
        if raw is not None:
            self._raw_stop_reason = raw

    @property
    def stop_reason(self) -> StopReason | None:
        return self._stop_reason

    # ------------------------------------------------------------------ the end

    def message(self) -> ChatMessage:
        """The assistant message as it stands."""
        calls = [c.to_call(self.provider) for c in self._calls.values()]
        stop = self._stop_reason
        if stop is None or (stop == StopReason.END_TURN and calls):
            stop = StopReason.TOOL_USE if calls else StopReason.END_TURN
        return ChatMessage(
            MessageRole.ASSISTANT,
            _valid("".join(self._text)),
            tool_calls=calls,
            reasoning=_valid("".join(self._reasoning)),
            stop_reason=stop,
            raw_stop_reason=self._raw_stop_reason,
            usage=self._usage,
            provider_metadata={self.provider: self.metadata} if self.metadata else {},
            metadata=dict(self.message_metadata),
            response_parts=self._response_parts(),
        )

    def _response_parts(self) -> list[ResponsePart]:
        """The parts in order, when any provider data was attached (else none are kept)."""
        if not any(s.data for s in self._slots) and not any(c.data for c in self._calls.values()):
            return []
        ends = {_TEXT: len(self._text), _REASONING: len(self._reasoning)}
        bounds: dict[int, int] = {}
        for position in range(len(self._slots) - 1, -1, -1):  # each slot ends where the next
            slot = self._slots[position]  # slot of its kind starts
            if slot.kind != _CALL:
                bounds[position] = ends[slot.kind]
                ends[slot.kind] = slot.start
        parts: list[ResponsePart] = []
        for position, slot in enumerate(self._slots):
            data = {self.provider: slot.data} if slot.data else {}
            if slot.kind == _CALL:
                parts.append(ToolCallPart(self._calls[slot.start].id))
            elif slot.kind == _TEXT:
                text = "".join(self._text[slot.start : bounds[position]])
                if text or data:
                    parts.append(TextPart(text, provider_data=data))
            else:
                text = "".join(self._reasoning[slot.start : bounds[position]])
                if text or data:
                    parts.append(ReasoningPart(text, data or {self.provider: {}}))
        return parts

    def finish(self) -> list[StreamEvent]:
        """Whatever is still pending (a surrogate without its pair, the ``tool_call`` events
        of unfinished calls), then the ``complete`` event."""
        events: list[StreamEvent] = []
        if self._held[_TEXT]:
            self._held[_TEXT] = ""
            events.append(self.text("\ufffd"))  # type: ignore[arg-type]
        if self._held[_REASONING]:
            self._held[_REASONING] = ""
            events.append(self.reasoning("\ufffd"))  # type: ignore[arg-type]
        for key, call in self._calls.items():
            if not call.done:
                events.extend(self.finish_tool_call(key))
        events.append(CompleteEvent(self.message()))
        return events
