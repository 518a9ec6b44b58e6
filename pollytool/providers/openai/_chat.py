"""Chat Completions: request encoding and response decoding (streamed and whole).

Used for every OpenAI-compatible server (vLLM, llama.cpp, LM Studio, OpenRouter, Ollama's
``/v1``) and for api.openai.com when ``provider_options={"api": "chat"}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import ConfigurationError
from ...messages import (
    ChatMessage,
    FilePart,
    ImagePart,
    ImageURLPart,
    MessageRole,
    StopReason,
    TextPart,
    UnknownPart,
    Usage,
)
from .._decoder import NO_EVENTS, Decoder
from ._shared import (
    data_url,
    function_tools,
    output_schema,
    reasoning_effort,
    require_call_id,
    text_only,
    tool_choice,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from openai.types import CompletionUsage
    from openai.types.chat import ChatCompletion, ChatCompletionChunk
    from openai.types.chat.chat_completion_chunk import ChoiceDeltaToolCall

    from ...events import StreamEvent
    from ...messages import ContentPart
    from ...request import CompletionRequest
    from .._accumulator import StreamAccumulator

__all__ = ["ChatCompletionDecoder", "ChatStreamDecoder", "encode_chat"]

_STOP_REASONS = {
    "stop": StopReason.END_TURN,
    "length": StopReason.MAX_TOKENS,
    "tool_calls": StopReason.TOOL_USE,
    "function_call": StopReason.TOOL_USE,
    "content_filter": StopReason.CONTENT_FILTER,
}

# --------------------------------------------------------------------------- encoding


def encode_chat(req: CompletionRequest, *, openai_host: bool) -> dict[str, Any]:
    """The Chat Completions body for *req* (without ``stream``). *openai_host* selects
    ``max_completion_tokens`` (api.openai.com) over the ``max_tokens`` compatible servers
    read."""
    body: dict[str, Any] = {"model": req.model, "messages": _messages(req.messages)}
    if req.temperature is not None:
        body["temperature"] = req.temperature
    if req.max_tokens is not None:
        body["max_completion_tokens" if openai_host else "max_tokens"] = req.max_tokens
    tools = function_tools(req)
    if tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                    **({"strict": True} if t.strict else {}),
                },
            }
            for t in tools
        ]
    if req.tool_choice is not None:
        body["tool_choice"] = tool_choice(
            req.tool_choice, lambda name: {"type": "function", "function": {"name": name}}
        )
    effort = reasoning_effort(req.thinking)
    if effort is not None:
        body["reasoning_effort"] = effort
    schema = req.response_schema
    if schema is not None:
        converted, strict = output_schema(schema)
        json_schema: dict[str, Any] = {"name": schema.name, "schema": converted, "strict": strict}
        if schema.description:
            json_schema["description"] = schema.description
        body["response_format"] = {"type": "json_schema", "json_schema": json_schema}
    return body


def _messages(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """Chat messages in order. Images and files in tool results cannot go in a ``tool``
    message; they follow the run of tool messages as one user message."""
    out: list[dict[str, Any]] = []
    attachments: list[dict[str, Any]] = []
    for msg in messages:
        if msg.role == MessageRole.TOOL:
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": require_call_id(msg.tool_call_id),
                    "content": msg.text,
                }
            )
            attachments.extend(_part(p) for p in msg.parts if not isinstance(p, TextPart))
            continue
        if attachments:
            out.append({"role": "user", "content": attachments})
            attachments = []
        out.append(_message(msg))
    if attachments:
        out.append({"role": "user", "content": attachments})
    return out


def _message(msg: ChatMessage) -> dict[str, Any]:
    if msg.role == MessageRole.ASSISTANT:
        # "" rather than null when the turn only called tools: OpenAI takes either, but
        # OpenAI-compatible servers such as llama.cpp's reject a null content.
        out: dict[str, Any] = {"role": "assistant", "content": text_only(msg)}
        if msg.tool_calls:
            out["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for c in msg.tool_calls
            ]
        return out
    if msg.role == MessageRole.SYSTEM:
        return {"role": "system", "content": text_only(msg)}
    if not msg.parts:
        return {"role": "user", "content": msg.content}
    content = [{"type": "text", "text": msg.content}] if msg.content else []
    content.extend(_part(p) for p in msg.parts)
    return {"role": "user", "content": content}


def _part(part: ContentPart) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, ImageURLPart | ImagePart):
        url = part.url if isinstance(part, ImageURLPart) else data_url(part.data, part.mime_type)
        image: dict[str, Any] = {"url": url}
        if part.detail:
            image["detail"] = part.detail
        return {"type": "image_url", "image_url": image}
    if isinstance(part, FilePart):
        return {
            "type": "file",
            "file": {"filename": part.filename, "file_data": data_url(part.data, part.mime_type)},
        }
    if isinstance(part, UnknownPart):
        raise part.unsendable()
    if part.url.startswith("file-"):
        return {"type": "file", "file": {"file_id": part.url}}
    raise ConfigurationError(
        f"Chat Completions cannot fetch a file by URL ({part.url!r}); send the bytes as a "
        "FilePart, upload it and pass the file id, or use the Responses API"
    )


# --------------------------------------------------------------------------- decoding


def _usage(usage: CompletionUsage) -> Usage:
    prompt, completion = usage.prompt_tokens_details, usage.completion_tokens_details
    return Usage(
        input_tokens=usage.prompt_tokens or 0,
        output_tokens=usage.completion_tokens or 0,
        reasoning_tokens=(completion.reasoning_tokens or 0) if completion else 0,
        cache_read_tokens=(prompt.cached_tokens or 0) if prompt else 0,
        cache_write_tokens=(prompt.cache_write_tokens or 0) if prompt else 0,
    )


def _reasoning_text(obj: object) -> str | None:
    """Visible reasoning that OpenAI-compatible servers add to a delta or message
    (``reasoning_content`` from vLLM/DeepSeek/llama.cpp, ``reasoning`` from Ollama and
    OpenRouter); OpenAI itself sends none."""
    extra = getattr(obj, "model_extra", None)  # extra fields of the pydantic model
    if not extra:  # the common case; a getattr miss on pydantic models costs microseconds
        return None
    for name in ("reasoning_content", "reasoning"):
        value = extra.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _set_stop(acc: StreamAccumulator, finish_reason: str, *, refused: bool) -> None:
    if refused:
        acc.set_stop_reason(StopReason.CONTENT_FILTER, "refusal")
    else:
        acc.set_stop_reason(_STOP_REASONS.get(finish_reason, StopReason.END_TURN), finish_reason)


class ChatStreamDecoder(Decoder):
    """A streamed Chat Completions reply: ``ChatCompletionChunk`` items. The end marker is a
    ``finish_reason`` (a stream that stops without one was cut short)."""

    __slots__ = ("_calls", "_finish_reason", "_last", "_refused")

    def __init__(self, acc: StreamAccumulator) -> None:
        super().__init__(acc)
        self._calls: dict[int, tuple[tuple[int, int], str | None]] = {}  # index -> (key, id)
        self._finish_reason: str | None = None
        self._refused = False
        self._last: ChatCompletionChunk | None = None

    def feed(self, item: ChatCompletionChunk) -> Sequence[StreamEvent]:
        self.started = True
        self._last = item
        acc = self.acc
        events: list[StreamEvent] = []
        if item.usage is not None:
            events.append(acc.set_usage(_usage(item.usage)))
        for choice in item.choices:
            if choice.index:  # only the first choice (n=1) is read
                continue
            delta = choice.delta
            if (thought := _reasoning_text(delta)) is not None and (
                r_event := acc.reasoning(thought)
            ) is not None:
                events.append(r_event)
            if delta.content and (c_event := acc.text(delta.content)) is not None:
                events.append(c_event)
            if delta.refusal:
                self._refused = True
                if (f_event := acc.text(delta.refusal)) is not None:
                    events.append(f_event)
            if delta.tool_calls:
                self._tool_calls(delta.tool_calls, events)
            if choice.finish_reason:
                self._finish_reason = choice.finish_reason
                self.finished = True
                for key, _ in self._calls.values():
                    events.extend(acc.finish_tool_call(key))
        return events

    def _tool_calls(self, tool_calls: list[ChoiceDeltaToolCall], events: list[StreamEvent]) -> None:
        acc = self.acc
        for position, call in enumerate(tool_calls):
            index = call.index if call.index is not None else position
            key, known_id = self._calls.get(index, ((index, 0), None))
            if call.id and known_id and call.id != known_id:
                # a server that reuses one index for the next call
                events.extend(acc.finish_tool_call(key))
                key = (index, key[1] + 1)
            self._calls[index] = (key, call.id or known_id)
            function = call.function
            name = (function.name if function else None) or ""
            if (call.id or name) and (start := acc.start_tool_call(key, call.id, name)) is not None:
                events.append(start)
            arguments = function.arguments if function else None
            if (d_event := acc.tool_call_delta(key, arguments)) is not None:
                events.append(d_event)

    def finish(self) -> Sequence[StreamEvent]:
        self.check_complete()
        if self._last is not None:
            self.acc.message_metadata["response_id"] = self._last.id
            self.acc.message_metadata["model"] = self._last.model
        _set_stop(self.acc, self._finish_reason or "stop", refused=self._refused)
        return NO_EVENTS


class ChatCompletionDecoder(Decoder):
    """A whole Chat Completions reply: one ``ChatCompletion`` item."""

    __slots__ = ()

    def feed(self, item: ChatCompletion) -> Sequence[StreamEvent]:
        acc = self.acc
        choices = getattr(item, "choices", None)
        if not choices:
            return NO_EVENTS
        self.started = self.finished = True
        events: list[StreamEvent] = []
        acc.message_metadata["response_id"] = item.id
        acc.message_metadata["model"] = item.model
        message = choices[0].message
        for event in (
            acc.reasoning(_reasoning_text(message)),
            acc.text(message.content),
            acc.text(message.refusal),
        ):
            if event is not None:
                events.append(event)
        for call in message.tool_calls or ():
            function = getattr(call, "function", None)
            if function is not None:
                events.extend(acc.whole_tool_call(call.id, function.name, function.arguments))
        finish_reason: str | None = choices[0].finish_reason  # compatible servers: null
        _set_stop(acc, finish_reason or "stop", refused=bool(message.refusal))
        if item.usage is not None:
            events.append(acc.set_usage(_usage(item.usage)))
        return events
