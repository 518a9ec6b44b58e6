"""Responses API: decoding its events (streamed) or its whole response, as wire JSON (dicts;
compatible servers may leave fields out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...messages import StopReason, Usage
from .._decoder import NO_EVENTS, Decoder
from ._errors import in_stream_error

if TYPE_CHECKING:
    from collections.abc import Sequence

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
    value = obj.get(name) if isinstance(obj, dict) else None
    return value if isinstance(value, int) else 0


def _usage(response: dict[str, Any]) -> Usage | None:
    usage = response.get("usage")
    if not isinstance(usage, dict):
        return None
    inputs = usage.get("input_tokens_details")
    outputs = usage.get("output_tokens_details")
    return Usage(
        input_tokens=_count(usage, "input_tokens"),
        output_tokens=_count(usage, "output_tokens"),
        reasoning_tokens=_count(outputs, "reasoning_tokens"),
        cache_read_tokens=_count(inputs, "cached_tokens"),
        cache_write_tokens=_count(inputs, "cache_write_tokens"),
    )


def _call_key(item_id: str | None, output_index: Any) -> str:
    """Function-call deltas are keyed by item id (``call_id`` is only on the item)."""
    return item_id or f"output-{output_index}"


def _reasoning_item(item: dict[str, Any]) -> dict[str, Any]:
    """A reasoning item as it is sent back (the provider data of its reasoning part)."""
    entry: dict[str, Any] = {
        "type": "reasoning",
        "id": item.get("id"),
        "summary": [
            {"type": "summary_text", "text": s.get("text")} for s in _list(item, "summary")
        ],
    }
    if encrypted := item.get("encrypted_content"):
        entry["encrypted_content"] = encrypted
    if content := _list(item, "content"):
        entry["content"] = [{"type": "reasoning_text", "text": c.get("text")} for c in content]
    return entry


def _list(obj: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """A list field that may be missing or null."""
    value = obj.get(name)
    return value if isinstance(value, list) else []


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
        self.reasoning_at: tuple[Any, str, Any] | None = None
        self.items: dict[int, dict[str, Any]] = {}
        self.parts: dict[str, Any] = {}  # reasoning item id -> its response part

    def reasoning_part(self, item_id: Any) -> Any:
        """The response part of the reasoning item *item_id*, begun where it first shows."""
        part = self.parts.get(item_id)
        if part is None:
            part = self.parts[item_id] = self.acc.start_part("reasoning")
        return part

    def reasoning(self, at: tuple[Any, str, Any], text: str | None) -> StreamEvent | None:
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

    def complete(self, response: dict[str, Any]) -> StreamEvent | None:
        """Record stop reason, output order and usage from the final response."""
        acc = self.acc
        self.finished = True
        acc.message_metadata["response_id"] = response.get("id")
        acc.message_metadata["model"] = response.get("model")
        status = response.get("status")
        if status == "incomplete":
            details = response.get("incomplete_details")
            raw = (details.get("reason") if isinstance(details, dict) else None) or "incomplete"
            acc.set_stop_reason(_INCOMPLETE_REASONS.get(raw, StopReason.MAX_TOKENS), raw)
        elif self.refused:
            acc.set_stop_reason(StopReason.CONTENT_FILTER, "refusal")
        else:
            acc.set_stop_reason(StopReason.END_TURN, status or "completed")
        # the final response's items are authoritative (a reasoning item's encrypted content
        # there can differ from the one in its output_item.done event); compatible servers
        # that send an empty output leave the streamed items
        output = _list(response, "output") or [self.items[i] for i in sorted(self.items)]
        for item in output:
            if item.get("type") == "reasoning":
                acc.part_data(self.reasoning_part(item.get("id")), _reasoning_item(item))
        usage = _usage(response)
        return acc.set_usage(usage) if usage is not None else None

    def failed(self, error: object) -> ProviderError:
        return in_stream_error(error, secrets=self.secrets, request_id=self.request_id)


class ResponsesStreamDecoder(_ReplyDecoder):
    """A streamed Responses reply: its stream events. The end marker is
    ``response.completed`` or ``response.incomplete``; ``error`` and ``response.failed``
    events raise the typed error."""

    __slots__ = ()

    def feed(self, item: Any) -> Sequence[StreamEvent]:
        if not isinstance(item, dict):
            return NO_EVENTS
        self.started = True
        acc = self.acc
        kind = item.get("type")
        if kind == "response.output_text.delta":
            return _one(acc.text(item.get("delta")))
        if kind == "response.function_call_arguments.delta":
            return _one(acc.tool_call_delta(_item_key(item), item.get("delta")))
        if kind == "response.reasoning_summary_text.delta":
            at = (item.get("item_id"), "summary", item.get("summary_index"))
            return _one(self.reasoning(at, item.get("delta")))
        if kind == "response.reasoning_text.delta":
            at = (item.get("item_id"), "text", item.get("content_index"))
            return _one(self.reasoning(at, item.get("delta")))
        if kind == "response.refusal.delta":
            return _one(self.refusal(item.get("delta") or ""))
        if kind == "response.output_item.added":
            return self._item_added(item.get("output_index"), item.get("item") or {})
        if kind == "response.function_call_arguments.done":
            return acc.finish_tool_call(_item_key(item), item.get("arguments"))
        if kind == "response.output_item.done":
            return self._item_done(item.get("output_index"), item.get("item") or {})
        if kind in ("response.completed", "response.incomplete"):
            return _one(self.complete(item.get("response") or {}))
        if kind == "response.failed":
            raise self.failed((item.get("response") or {}).get("error"))
        if kind == "error":
            raise self.failed({"code": item.get("code"), "message": item.get("message")})
        return NO_EVENTS

    def _item_added(self, index: Any, item: dict[str, Any]) -> Sequence[StreamEvent]:
        kind = item.get("type")
        if kind == "reasoning":
            self.reasoning_part(item.get("id"))
        elif kind == "function_call":
            key = _call_key(item.get("id"), index)
            return _one(self.acc.start_tool_call(key, item.get("call_id"), item.get("name") or ""))
        return NO_EVENTS

    def _item_done(self, index: Any, item: dict[str, Any]) -> Sequence[StreamEvent]:
        self.items[index] = item
        if item.get("type") != "function_call":
            return NO_EVENTS
        key = _call_key(item.get("id"), index)
        name = item.get("name") or ""
        start = self.acc.start_tool_call(key, item.get("call_id"), name)  # if "added" was missed
        done = self.acc.finish_tool_call(key, item.get("arguments"))
        return done if start is None else (start, *done)


class ResponseDecoder(_ReplyDecoder):
    """A whole Responses reply: one ``response`` object (a failed one raises its error)."""

    __slots__ = ()

    def feed(self, item: Any) -> Sequence[StreamEvent]:
        if not isinstance(item, dict) or (
            item.get("status") is None and item.get("output") is None
        ):
            return NO_EVENTS  # not a response object at all
        self.started = True
        if item.get("status") == "failed" or item.get("error") is not None:
            raise self.failed(item.get("error"))
        acc = self.acc
        events: list[StreamEvent | None] = []
        for output in _list(item, "output"):
            kind = output.get("type")
            if kind == "reasoning":
                item_id = output.get("id")
                self.reasoning_part(item_id)
                parts = [s.get("text") for s in _list(output, "summary")] or [
                    c.get("text") for c in _list(output, "content")
                ]
                events.extend(
                    self.reasoning((item_id, "", i), t or "") for i, t in enumerate(parts)
                )
            elif kind == "message":
                for part in _list(output, "content"):
                    if part.get("type") == "output_text":
                        events.append(acc.text(part.get("text")))
                    elif part.get("type") == "refusal":
                        events.append(self.refusal(part.get("refusal") or ""))
            elif kind == "function_call":
                events.extend(
                    acc.whole_tool_call(
                        output.get("call_id"),
                        output.get("name") or "",
                        output.get("arguments") or "",
                    )
                )
        events.append(self.complete(item))
        return [e for e in events if e is not None]


def _item_key(event: dict[str, Any]) -> str:
    return _call_key(event.get("item_id"), event.get("output_index"))


def _one(event: StreamEvent | None) -> Sequence[StreamEvent]:
    return NO_EVENTS if event is None else (event,)
