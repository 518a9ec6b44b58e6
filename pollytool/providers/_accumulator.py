"""The one place where streamed pieces become events and a final message.

Every adapter feeds a :class:`StreamAccumulator` with what its provider sends (text deltas,
reasoning deltas, tool-call starts and argument deltas keyed by whatever the provider keys them
by, usage, stop reason, opaque metadata) and yields the events it returns. At the end,
:meth:`StreamAccumulator.finish` emits the ``tool_call`` events still pending and the single
``complete`` event. No adapter accumulates on its own.
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
from ..messages import ChatMessage, ChatMessageToolCall, MessageRole, StopReason, Usage

if TYPE_CHECKING:
    from ..events import StreamEvent

__all__ = ["StreamAccumulator", "new_tool_call_id"]


def new_tool_call_id() -> str:
    """A tool-call id that is unique across conversations (for providers that send none)."""
    return f"call_{uuid.uuid4().hex[:24]}"


class _PendingCall:
    __slots__ = ("arguments", "done", "id", "index", "name", "synthetic_id")

    def __init__(self, index: int, call_id: str | None, name: str) -> None:
        self.index = index
        self.synthetic_id = not call_id
        self.id = call_id or new_tool_call_id()
        self.name = name
        self.arguments: list[str] = []
        self.done = False

    def to_call(self) -> ChatMessageToolCall:
        return ChatMessageToolCall(self.id, self.name, "".join(self.arguments))


class StreamAccumulator:
    """Collects one response and produces its events.

    Methods that take a delta return the event to yield (or ``None`` when there is nothing to
    say). Tool calls are keyed by any hashable the provider uses (Chat Completions ``index``,
    Responses ``item_id``, Anthropic content-block index); each new key gets the next dense
    0-based ``index`` in the events.

    Attributes:
        provider: the provider name, used as the key of ``provider_metadata``.
        metadata: opaque per-provider data for the final message's
            ``provider_metadata[provider]``; adapters write into it directly.
        message_metadata: data for the final message's ``metadata`` (e.g. the response id).
    """

    __slots__ = (
        "_calls",
        "_raw_stop_reason",
        "_reasoning",
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
        self._text.append(delta)
        return ContentEvent(delta)

    def reasoning(self, delta: str | None) -> ReasoningEvent | None:
        """A piece of visible reasoning."""
        if not delta:
            return None
        self._reasoning.append(delta)
        return ReasoningEvent(delta)

    @property
    def text_so_far(self) -> str:
        return "".join(self._text)

    # ------------------------------------------------------------------ tool calls

    def start_tool_call(
        self, key: Hashable, call_id: str | None, name: str
    ) -> ToolCallStartEvent | None:
        """A tool call begins. A missing id is replaced by a unique one. Starting a key twice
        only fills in what was missing (some providers repeat the header)."""
        call = self._calls.get(key)
        if call is not None:
            if call_id and call.synthetic_id:
                call.id = call_id
                call.synthetic_id = False
            if name and not call.name:
                call.name = name
            return None
        call = _PendingCall(len(self._calls), call_id, name)
        self._calls[key] = call
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
        final = streamed if arguments is None else arguments
        if not final.strip():
            final = "{}"
        call.arguments = [final]
        done = ToolCallEvent(call.to_call(), call.index)
        if len(final) > len(streamed) and final.startswith(streamed):
            return (ToolCallDeltaEvent(call.index, final[len(streamed) :]), done)
        return (done,)

    def whole_tool_call(self, call_id: str | None, name: str, arguments: str) -> list[StreamEvent]:
        """A call that arrives in one piece (Gemini, Ollama): start, one delta, complete."""
        key = ("whole", len(self._calls))
        events: list[StreamEvent] = []
        start = self.start_tool_call(key, call_id, name)
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
        calls = [c.to_call() for c in self._calls.values()]
        stop = self._stop_reason
        if stop is None or (stop == StopReason.END_TURN and calls):
            stop = StopReason.TOOL_USE if calls else StopReason.END_TURN
        return ChatMessage(
            MessageRole.ASSISTANT,
            "".join(self._text),
            tool_calls=calls,
            reasoning="".join(self._reasoning),
            stop_reason=stop,
            raw_stop_reason=self._raw_stop_reason,
            usage=self._usage,
            provider_metadata={self.provider: self.metadata} if self.metadata else {},
            metadata=dict(self.message_metadata),
        )

    def finish(self) -> list[StreamEvent]:
        """The ``tool_call`` events of calls not finished yet, then the ``complete`` event."""
        events: list[StreamEvent] = []
        for key, call in self._calls.items():
            if not call.done:
                events.extend(self.finish_tool_call(key))
        events.append(CompleteEvent(self.message()))
        return events
