"""Responses API: sending the request and decoding its events (streamed and whole)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import StreamInterruptedError
from ...messages import StopReason, Usage
from ._errors import PROVIDER, in_stream_error
from ._responses_encode import OUTPUT_KEY, encode_responses
from ._shared import call_options

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from openai import AsyncOpenAI
    from openai.types.responses import Response, ResponseOutputItem, ResponseStreamEvent

    from ...events import StreamEvent
    from ...request import CompletionRequest
    from .._accumulator import StreamAccumulator

__all__ = ["responses_events"]

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


def _output_entry(item: ResponseOutputItem) -> dict[str, Any] | None:
    """What ``provider_metadata["openai"]["output"]`` keeps of an output item: reasoning in
    full, messages and function calls as references (their content is on the message)."""
    if item.type == "reasoning":
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
    if item.type == "function_call":
        return {"type": "function_call", "call_id": item.call_id}
    if item.type == "message":
        return {"type": "message"}
    return None


class _Reply:
    """Per-response decoding state shared by the streamed and the whole path."""

    __slots__ = ("acc", "finished", "items", "reasoning_at", "refused", "request_id", "secrets")

    def __init__(self, acc: StreamAccumulator, secrets: tuple[str, ...]) -> None:
        self.acc = acc
        self.secrets = secrets
        self.request_id: str | None = None
        self.refused = False
        self.finished = False
        self.reasoning_at: tuple[str, str, int] | None = None
        self.items: dict[int, ResponseOutputItem] = {}

    def reasoning(self, at: tuple[str, str, int], text: str) -> StreamEvent | None:
        """Reasoning text; separate summary parts and items by a blank line."""
        if at != self.reasoning_at:
            if self.reasoning_at is not None and text:
                text = "\n\n" + text
            self.reasoning_at = at
        return self.acc.reasoning(text)

    def refusal(self, text: str) -> StreamEvent | None:
        self.refused = True
        return self.acc.text(text)

    def finish(self, response: Response) -> StreamEvent | None:
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
        output = [self.items[i] for i in sorted(self.items)] or list(response.output or ())
        entries = [e for item in output if (e := _output_entry(item)) is not None]
        if any(e["type"] == "reasoning" for e in entries):
            acc.metadata[OUTPUT_KEY] = entries
        usage = _usage(response)
        return acc.set_usage(usage) if usage is not None else None

    def on_event(self, event: ResponseStreamEvent) -> tuple[StreamEvent, ...]:
        """The events for one streamed event; raises the error of a failed response."""
        acc = self.acc
        if event.type == "response.output_text.delta":
            return _one(acc.text(event.delta))
        if event.type == "response.function_call_arguments.delta":
            return _one(
                acc.tool_call_delta(_call_key(event.item_id, event.output_index), event.delta)
            )
        if event.type == "response.reasoning_summary_text.delta":
            at = (event.item_id, "summary", event.summary_index)
            return _one(self.reasoning(at, event.delta))
        if event.type == "response.reasoning_text.delta":
            return _one(self.reasoning((event.item_id, "text", event.content_index), event.delta))
        if event.type == "response.refusal.delta":
            return _one(self.refusal(event.delta))
        if event.type == "response.output_item.added" and event.item.type == "function_call":
            key = _call_key(event.item.id, event.output_index)
            return _one(acc.start_tool_call(key, event.item.call_id, event.item.name))
        if event.type == "response.function_call_arguments.done":
            key = _call_key(event.item_id, event.output_index)
            return _one(acc.finish_tool_call(key, event.arguments))
        if event.type == "response.output_item.done":
            item = event.item
            self.items[event.output_index] = item
            if item.type != "function_call":
                return ()
            key = _call_key(item.id, event.output_index)
            start = acc.start_tool_call(key, item.call_id, item.name)  # if "added" was missed
            done = acc.finish_tool_call(key, item.arguments)
            return tuple(e for e in (start, done) if e is not None)
        if event.type in ("response.completed", "response.incomplete"):
            return _one(self.finish(event.response))
        if event.type == "response.failed":
            error = event.response.error
            raise in_stream_error(
                error.model_dump() if error is not None else None,
                secrets=self.secrets,
                request_id=self.request_id,
            )
        if event.type == "error":
            raise in_stream_error(
                {"code": event.code, "message": event.message},
                secrets=self.secrets,
                request_id=self.request_id,
            )
        return ()


def _one(event: StreamEvent | None) -> tuple[StreamEvent, ...]:
    return () if event is None else (event,)


async def responses_events(
    vendor: AsyncOpenAI, req: CompletionRequest, acc: StreamAccumulator, *, secrets: tuple[str, ...]
) -> AsyncGenerator[StreamEvent, None]:
    """Send *req* to the Responses API and yield its events (see the package docstring)."""
    body = encode_responses(req)
    options = call_options(req)
    reply = _Reply(acc, secrets)
    if not req.stream:
        response = await vendor.responses.create(stream=False, **body, **options)
        for event in _decode_response(response, reply):
            yield event
        return
    stream = await vendor.responses.create(stream=True, **body, **options)
    async with stream:
        reply.request_id = stream.response.headers.get("x-request-id")
        async for event in stream:
            for out in reply.on_event(event):
                yield out
    if not reply.finished:
        raise StreamInterruptedError(
            "the stream ended before the response was complete", provider=PROVIDER
        )


def _decode_response(response: Response, reply: _Reply) -> list[StreamEvent]:
    if response.status == "failed" or response.error is not None:
        error = response.error
        raise in_stream_error(
            error.model_dump() if error is not None else None, secrets=reply.secrets
        )
    acc = reply.acc
    events: list[StreamEvent | None] = []
    for item in response.output or ():
        if item.type == "reasoning":
            parts = [s.text for s in item.summary or ()] or [c.text for c in item.content or ()]
            events.extend(reply.reasoning((item.id, "", i), t) for i, t in enumerate(parts))
        elif item.type == "message":
            for part in item.content:
                if part.type == "output_text":
                    events.append(acc.text(part.text))
                elif part.type == "refusal":
                    events.append(reply.refusal(part.refusal))
        elif item.type == "function_call":
            events.extend(acc.whole_tool_call(item.call_id, item.name, item.arguments))
    events.append(reply.finish(response))
    return [e for e in events if e is not None]
