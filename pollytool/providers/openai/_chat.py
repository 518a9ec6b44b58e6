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
#
# The decoders read the wire JSON (dicts, as the server sent them): any field may be missing
# or null on OpenAI-compatible servers.


def _count(obj: Any, name: str) -> int:
    """A token count that compatible servers may leave out (or send as null)."""
    value = obj.get(name) if isinstance(obj, dict) else None
    return value if isinstance(value, int) else 0


def _usage(usage: dict[str, Any]) -> Usage:
    prompt, completion = usage.get("prompt_tokens_details"), usage.get("completion_tokens_details")
    return Usage(
        input_tokens=_count(usage, "prompt_tokens"),
        output_tokens=_count(usage, "completion_tokens"),
        reasoning_tokens=_count(completion, "reasoning_tokens"),
        cache_read_tokens=_count(prompt, "cached_tokens"),
        cache_write_tokens=_count(prompt, "cache_write_tokens"),
    )


def _reasoning_text(message: dict[str, Any]) -> str | None:
    """Visible reasoning that OpenAI-compatible servers add to a delta or message
    (``reasoning_content`` from vLLM/DeepSeek/llama.cpp, ``reasoning`` from Ollama and
    OpenRouter); OpenAI itself sends none."""
    for name in ("reasoning_content", "reasoning"):
        value = message.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _set_stop(acc: StreamAccumulator, finish_reason: str, *, refused: bool) -> None:
    if refused:
        acc.set_stop_reason(StopReason.CONTENT_FILTER, "refusal")
    else:
        acc.set_stop_reason(_STOP_REASONS.get(finish_reason, StopReason.END_TURN), finish_reason)


class ChatStreamDecoder(Decoder):
    """A streamed Chat Completions reply: ``chat.completion.chunk`` objects. The end marker
    is a ``finish_reason`` (a stream that stops without one was cut short)."""

    __slots__ = ("_calls", "_finish_reason", "_last", "_refused")

    def __init__(self, acc: StreamAccumulator) -> None:
        super().__init__(acc)
        self._calls: dict[int, tuple[tuple[int, int], str | None]] = {}  # index -> (key, id)
        self._finish_reason: str | None = None
        self._refused = False
        self._last: dict[str, Any] | None = None

    def feed(self, item: Any) -> Sequence[StreamEvent]:
        if not isinstance(item, dict):
            return NO_EVENTS
        self.started = True
        self._last = item
        acc = self.acc
        events: list[StreamEvent] = []
        if isinstance(usage := item.get("usage"), dict):
            events.append(acc.set_usage(_usage(usage)))
        for choice in item.get("choices") or ():
            if choice.get("index"):  # only the first choice (n=1) is read
                continue
            delta = choice.get("delta") or {}
            if (thought := _reasoning_text(delta)) is not None and (
                r_event := acc.reasoning(thought)
            ) is not None:
                events.append(r_event)
            if (content := delta.get("content")) and (c_event := acc.text(content)) is not None:
                events.append(c_event)
            if refusal := delta.get("refusal"):
                self._refused = True
                if (f_event := acc.text(refusal)) is not None:
                    events.append(f_event)
            if tool_calls := delta.get("tool_calls"):
                self._tool_calls(tool_calls, events)
            if finish_reason := choice.get("finish_reason"):
                self._finish_reason = finish_reason
                self.finished = True
                for key, _ in self._calls.values():
                    events.extend(acc.finish_tool_call(key))
        return events

    def _tool_calls(self, tool_calls: list[dict[str, Any]], events: list[StreamEvent]) -> None:
        acc = self.acc
        for position, call in enumerate(tool_calls):
            index = call.get("index")
            if index is None:
                index = position
            call_id = call.get("id")
            key, known_id = self._calls.get(index, ((index, 0), None))
            if call_id and known_id and call_id != known_id:
                # a server that reuses one index for the next call
                events.extend(acc.finish_tool_call(key))
                key = (index, key[1] + 1)
            self._calls[index] = (key, call_id or known_id)
            function = call.get("function") or {}
            name = function.get("name") or ""
            if (call_id or name) and (start := acc.start_tool_call(key, call_id, name)) is not None:
                events.append(start)
            if (d_event := acc.tool_call_delta(key, function.get("arguments"))) is not None:
                events.append(d_event)

    def finish(self) -> Sequence[StreamEvent]:
        self.check_complete()
        if self._last is not None:
            self.acc.message_metadata["response_id"] = self._last.get("id")
            self.acc.message_metadata["model"] = self._last.get("model")
        _set_stop(self.acc, self._finish_reason or "stop", refused=self._refused)
        return NO_EVENTS


class ChatCompletionDecoder(Decoder):
    """A whole Chat Completions reply: one ``chat.completion`` object."""

    __slots__ = ()

    def feed(self, item: Any) -> Sequence[StreamEvent]:
        acc = self.acc
        choices = item.get("choices") if isinstance(item, dict) else None
        if not choices:
            return NO_EVENTS
        self.started = self.finished = True
        events: list[StreamEvent] = []
        acc.message_metadata["response_id"] = item.get("id")
        acc.message_metadata["model"] = item.get("model")
        message = choices[0].get("message") or {}
        refusal = message.get("refusal")
        for event in (
            acc.reasoning(_reasoning_text(message)),
            acc.text(message.get("content")),
            acc.text(refusal),
        ):
            if event is not None:
                events.append(event)
        for call in message.get("tool_calls") or ():
            function = call.get("function")
            if function is not None:
                events.extend(
                    acc.whole_tool_call(
                        call.get("id"), function.get("name") or "", function.get("arguments") or ""
                    )
                )
        finish_reason: str | None = choices[0].get("finish_reason")  # compatible servers: null
        _set_stop(acc, finish_reason or "stop", refused=bool(refusal))
        if isinstance(usage := item.get("usage"), dict):
            events.append(acc.set_usage(_usage(usage)))
        return events
