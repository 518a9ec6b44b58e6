"""Responses API: decoding its events (streamed) or its whole response."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...messages import StopReason, Usage
from .._decoder import NO_EVENTS, Decoder
from ._errors import in_stream_error

if TYPE_CHECKING:
    from collections.abc import Sequence

    from openai.types.responses import (
        Response,
        ResponseOutputItem,
        ResponseReasoningItem,
        ResponseStreamEvent,
    )

    from ...errors import ProviderError
    from ...events import StreamEvent
    from .._accumulator import StreamAccumulator

__all__ = ["ResponseDecoder", "ResponsesStreamDecoder"]

_INCOMPLETE_REASONS = {
    "max_output_tokens": StopReason.MAX_TOKENS,
    "content_filter": StopReason.CONTENT_FILTER,
}


def _count(obj: object, name: str) -> int:
    """A token count that compatible servers may leave out."""
    value = getattr(obj, name, None)
    return value if isinstance(value, int) else 0


def _usage(response: Response) -> Usage | None:
    usage = response.usage
    if usage is None:
        return None
    inputs = getattr(usage, "input_tokens_details", None)
    outputs = getattr(usage, "output_tokens_details", None)
    return Usage(
        input_tokens=_count(usage, "input_tokens"),
        output_tokens=_count(usage, "output_tokens"),
        reasoning_tokens=_count(outputs, "reasoning_tokens"),
        cache_read_tokens=_count(inputs, "cached_tokens"),
        cache_write_tokens=_count(inputs, "cache_write_tokens"),
    )


def _call_key(item_id: str | None, output_index: int) -> str:
    """Function-call deltas are keyed by item id (``call_id`` is only on the item)."""
    return item_id or f"output-{output_index}"


def _reasoning_item(item: ResponseReasoningItem) -> dict[str, Any]:
    """A reasoning item as it is sent back (the provider data of its reasoning part)."""
    entry: dict[str, Any] = {
        "type": "reasoning",
        "id": item.id,
        "summary": [{"type": "summary_text", "text": s.text} for s in item.summary or ()],
    }
    if item.encrypted_content:
        entry["encrypted_content"] = item.encrypted_content
    if item.content:
        entry["content"] = [{"type": "reasoning_text", "text": c.text} for c in item.content]
    return entry


class _ReplyDecoder(Decoder):
    """Decoding state shared by the streamed and the whole Responses reply."""

    __slots__ = ("items", "parts", "reasoning_at", "refused", "request_id", "secrets")

    def __init__(
        self, acc: StreamAccumulator, secrets: tuple[str, ...], request_id: str | None = None
    ) -> None:
        super().__init__(acc)
        self.secrets = secrets
        self.request_id = request_id
        self.refused = False
        self.reasoning_at: tuple[str, str, int] | None = None
        self.items: dict[int, ResponseOutputItem] = {}
        self.parts: dict[str, Any] = {}  # reasoning item id -> its response part

    def reasoning_part(self, item_id: str) -> Any:
        """The response part of the reasoning item *item_id*, begun where it first shows."""
        part = self.parts.get(item_id)
        if part is None:
            part = self.parts[item_id] = self.acc.start_part("reasoning")
        return part

    def reasoning(self, at: tuple[str, str, int], text: str) -> StreamEvent | None:
        """Reasoning text; separate summary parts and items by a blank line."""
        self.reasoning_part(at[0])
        if at != self.reasoning_at:
            if self.reasoning_at is not None and text:
                text = "\n\n" + text
            self.reasoning_at = at
        return self.acc.reasoning(text)

    def refusal(self, text: str) -> StreamEvent | None:
        self.refused = True
        return self.acc.text(text)

    def complete(self, response: Response) -> StreamEvent | None:
        """Record stop reason, output order and usage from the final response."""
        acc = self.acc
        self.finished = True
        acc.message_metadata["response_id"] = response.id
        acc.message_metadata["model"] = response.model
        if response.status == "incomplete":
            details = response.incomplete_details
            raw = (details.reason if details else None) or "incomplete"
            acc.set_stop_reason(_INCOMPLETE_REASONS.get(raw, StopReason.MAX_TOKENS), raw)
        elif self.refused:
            acc.set_stop_reason(StopReason.CONTENT_FILTER, "refusal")
        else:
            acc.set_stop_reason(StopReason.END_TURN, response.status or "completed")
        # the final response's items are authoritative (a reasoning item's encrypted content
        # there can differ from the one in its output_item.done event); compatible servers
        # that send an empty output leave the streamed items
        output = list(response.output or ()) or [self.items[i] for i in sorted(self.items)]
        for item in output:
            if item.type == "reasoning":
                acc.part_data(self.reasoning_part(item.id), _reasoning_item(item))
        usage = _usage(response)
        return acc.set_usage(usage) if usage is not None else None

    def failed(self, error: object) -> ProviderError:
        return in_stream_error(error, secrets=self.secrets, request_id=self.request_id)


class ResponsesStreamDecoder(_ReplyDecoder):
    """A streamed Responses reply: ``ResponseStreamEvent`` items. The end marker is
    ``response.completed`` or ``response.incomplete``; ``error`` and ``response.failed``
    events raise the typed error."""

    __slots__ = ()

    def feed(self, item: ResponseStreamEvent) -> Sequence[StreamEvent]:
        self.started = True
        acc = self.acc
        if item.type == "response.output_text.delta":
            return _one(acc.text(item.delta))
        if item.type == "response.function_call_arguments.delta":
            return _one(acc.tool_call_delta(_call_key(item.item_id, item.output_index), item.delta))
        if item.type == "response.reasoning_summary_text.delta":
            return _one(self.reasoning((item.item_id, "summary", item.summary_index), item.delta))
        if item.type == "response.reasoning_text.delta":
            return _one(self.reasoning((item.item_id, "text", item.content_index), item.delta))
        if item.type == "response.refusal.delta":
            return _one(self.refusal(item.delta))
        if item.type == "response.output_item.added" and item.item.type == "reasoning":
            self.reasoning_part(item.item.id)
            return NO_EVENTS
        if item.type == "response.output_item.added" and item.item.type == "function_call":
            key = _call_key(item.item.id, item.output_index)
            return _one(acc.start_tool_call(key, item.item.call_id, item.item.name))
        if item.type == "response.function_call_arguments.done":
            return acc.finish_tool_call(_call_key(item.item_id, item.output_index), item.arguments)
        if item.type == "response.output_item.done":
            return self._item_done(item.output_index, item.item)
        if item.type in ("response.completed", "response.incomplete"):
            return _one(self.complete(item.response))
        if item.type == "response.failed":
            error = item.response.error
            raise self.failed(error.model_dump() if error is not None else None)
        if item.type == "error":
            raise self.failed({"code": item.code, "message": item.message})
        return NO_EVENTS

    def _item_done(self, index: int, item: ResponseOutputItem) -> Sequence[StreamEvent]:
        self.items[index] = item
        if item.type != "function_call":
            return NO_EVENTS
        key = _call_key(item.id, index)
        start = self.acc.start_tool_call(key, item.call_id, item.name)  # if "added" was missed
        done = self.acc.finish_tool_call(key, item.arguments)
        return done if start is None else (start, *done)


class ResponseDecoder(_ReplyDecoder):
    """A whole Responses reply: one ``Response`` item (a failed one raises its error)."""

    __slots__ = ()

    def feed(self, item: Response) -> Sequence[StreamEvent]:
        if getattr(item, "status", None) is None and getattr(item, "output", None) is None:
            return NO_EVENTS  # not a response object at all
        self.started = True
        if item.status == "failed" or item.error is not None:
            error = item.error
            raise self.failed(error.model_dump() if error is not None else None)
        acc = self.acc
        events: list[StreamEvent | None] = []
        for output in item.output or ():
            if output.type == "reasoning":
                self.reasoning_part(output.id)
                parts = [s.text for s in output.summary or ()] or [
                    c.text for c in output.content or ()
                ]
                events.extend(self.reasoning((output.id, "", i), t) for i, t in enumerate(parts))
            elif output.type == "message":
                for part in output.content:
                    if part.type == "output_text":
                        events.append(acc.text(part.text))
                    elif part.type == "refusal":
                        events.append(self.refusal(part.refusal))
            elif output.type == "function_call":
                events.extend(acc.whole_tool_call(output.call_id, output.name, output.arguments))
        events.append(self.complete(item))
        return [e for e in events if e is not None]


def _one(event: StreamEvent | None) -> Sequence[StreamEvent]:
    return NO_EVENTS if event is None else (event,)
