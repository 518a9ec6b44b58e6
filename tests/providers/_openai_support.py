"""Shared helpers of the OpenAI adapter tests (this module holds no tests).

The cassette helpers read a recorded exchange and derive, from the recorded bodies alone, the
request to send (:func:`request_from_recorded`) and what the adapter must report
(:func:`expected_reply`), so no expectation is typed in by hand.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from pollytool.errors import (
    AuthenticationError,
    ContextLengthError,
    InvalidRequestError,
    ModelNotFoundError,
    PermissionDeniedError,
    PollyError,
    RateLimitError,
    ServerError,
)
from pollytool.messages import ChatMessage, ImagePart, ImageURLPart, StopReason, TextPart, Usage
from pollytool.providers.openai import OpenAIClient
from pollytool.request import CompletionRequest
from pollytool.schema import Schema
from pollytool.thinking import Thinking
from tests.fakes.loopback import LoopbackServer, Reply
from tests.providers._contract import check_event_rules, collect

__all__ = [
    "CHAT_USAGE",
    "Expected",
    "SchemaTool",
    "USAGE",
    "call_item",
    "chat_text_frames",
    "check_event_rules",
    "chunk",
    "client_for",
    "collect",
    "event",
    "expected_reply",
    "items_of",
    "message_item",
    "messages_from_items",
    "new_items",
    "path_of",
    "request_from_recorded",
    "request_shape",
    "response_object",
    "responses_text_frames",
    "sse_frames",
    "text_reply",
]


def client_for(server: LoopbackServer, **kwargs: Any) -> OpenAIClient:
    """A client for *server* with the SDK's retries off unless asked for."""
    kwargs.setdefault("max_retries", 0)
    kwargs.setdefault("api_key", "sk-test-0123456789")
    return OpenAIClient(base_url=server.url + "/v1", **kwargs)


# --------------------------------------------------------------------------- recorded requests


@dataclass
class SchemaTool:
    """A tool with a fixed schema (never executed by these tests)."""

    name: str
    description: str
    parameters: dict[str, Any]

    @property
    def schema(self) -> dict[str, Any]:
        return {**self.parameters, "title": self.name, "description": self.description}

    async def execute(self, args: dict[str, Any]) -> str:
        raise AssertionError("these tools are never executed")


def _image(url: str, detail: str | None) -> ImagePart | ImageURLPart:
    if url.startswith("data:"):
        header, _, data = url.partition(",")
        return ImagePart(base64.b64decode(data), header[5:].split(";")[0], detail)
    return ImageURLPart(url, detail=detail)


def _parts(content: list[dict[str, Any]]) -> list[TextPart | ImagePart | ImageURLPart]:
    parts: list[TextPart | ImagePart | ImageURLPart] = []
    for part in content:
        kind = part["type"]
        if kind in ("text", "input_text"):
            parts.append(TextPart(part["text"]))
        elif kind == "image_url":
            parts.append(_image(part["image_url"]["url"], part["image_url"].get("detail")))
        elif kind == "input_image":
            parts.append(_image(part["image_url"], part.get("detail")))
        else:
            raise AssertionError(f"unexpected recorded part {kind}")
    return parts


def messages_from_items(items: list[dict[str, Any]]) -> list[ChatMessage]:
    """pollytool messages for recorded system, user and tool-result items (the items a caller
    writes; assistant turns come from the adapter's own replies)."""
    messages = []
    for item in items:
        role, kind = item.get("role"), item.get("type", "message")
        if kind == "function_call_output":
            messages.append(ChatMessage.tool_result(item["call_id"], item["output"]))
        elif role == "tool":
            messages.append(ChatMessage.tool_result(item["tool_call_id"], item["content"]))
        elif role in ("system", "developer"):
            messages.append(ChatMessage.system(item["content"]))
        elif role == "user":
            content = item["content"]
            if isinstance(content, str):
                messages.append(ChatMessage.user(content))
            else:
                messages.append(ChatMessage.user("", *_parts(content)))
        else:
            raise AssertionError(f"not a caller-written item: {item}")
    return messages


def _is_assistant_item(item: dict[str, Any]) -> bool:
    return item.get("role") == "assistant" or item.get("type") in ("function_call", "reasoning")


def items_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    items = body.get("messages", body.get("input"))
    if isinstance(items, str):
        return [{"role": "user", "content": items}]
    assert isinstance(items, list)
    return items


def new_items(previous: dict[str, Any], current: dict[str, Any]) -> list[dict[str, Any]]:
    """The items *current* adds after *previous* and the assistant turn that answered it."""
    items = items_of(current)
    position = len(items_of(previous))
    while position < len(items) and _is_assistant_item(items[position]):
        position += 1
    return items[position:]


def request_from_recorded(
    body: dict[str, Any], api: str | None, messages: list[ChatMessage] | None = None
) -> CompletionRequest:
    """The request that makes the adapter send what *body* holds, in the parts that matter.
    *api* goes into ``provider_options`` (``None``: let the adapter choose); *messages*
    replaces the recorded history (for follow-up turns)."""
    tools = []
    for tool in body.get("tools", []):
        fn = tool.get("function", tool)
        tools.append(SchemaTool(fn["name"], fn.get("description", ""), fn["parameters"]))
    schema = None
    fmt = body.get("response_format", {}).get("json_schema") or body.get("text", {}).get("format")
    if fmt and fmt.get("type", "json_schema") == "json_schema":
        schema = Schema(
            fmt["schema"],
            name=fmt["name"],
            description=fmt.get("description"),
            strict=bool(fmt.get("strict")),
        )
    effort = body.get("reasoning_effort") or (body.get("reasoning") or {}).get("effort")
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        choice = choice.get("name") or choice["function"]["name"]
    options: dict[str, Any] = {"api": api} if api else {}
    if api == "responses":  # keep the recording's storage mode (see the adapter's docstring)
        options["store"] = body.get("store", True)
    return CompletionRequest(
        body["model"],
        messages if messages is not None else messages_from_items(items_of(body)),
        temperature=body.get("temperature"),
        max_tokens=body.get("max_completion_tokens")
        or body.get("max_output_tokens")
        or body.get("max_tokens"),
        tools=tools,
        response_schema=schema,
        thinking=Thinking.level(effort) if effort else Thinking.default(),
        stream=bool(body.get("stream")),
        tool_choice=choice,
        provider_options=options,
    )


def _args(text: str) -> Any:
    return json.loads(text) if text.strip() else {}


def _text(content: Any) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    return "".join(
        p.get("text", "") for p in content if p.get("type") in ("text", "input_text", "output_text")
    )


def request_shape(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What must agree between a recorded request and ours: the order of roles and item kinds,
    texts, images, tool-call ids, names and parsed arguments, tool-result ids and outputs, and
    reasoning items (id and encrypted content). Ids of output items (``fc_…``, ``msg_…``),
    statuses and argument whitespace are not compared; nor are assistant messages without
    text or calls (one recording client sent an empty one before its tool call)."""
    shape: list[tuple[Any, ...]] = []
    for item in items_of(body):
        kind, role = item.get("type", "message"), item.get("role")
        if kind == "reasoning":
            shape.append(("reasoning", item["id"], item.get("encrypted_content")))
        elif kind == "function_call":
            shape.append(("call", item["call_id"], item["name"], _args(item["arguments"])))
        elif kind == "function_call_output":
            shape.append(("result", item["call_id"], item["output"]))
        elif role == "tool":
            shape.append(("result", item["tool_call_id"], item["content"]))
        else:
            role = "system" if role == "developer" else role
            content = item.get("content")
            parts = content if isinstance(content, list) else []
            images = [p["image_url"] for p in parts if "image" in p["type"]]
            images = [i["url"] if isinstance(i, dict) else i for i in images]
            text = _text(item.get("content"))
            if text or images or role != "assistant":
                shape.append((role, text, images))
            for call in item.get("tool_calls") or ():
                fn = call["function"]
                shape.append(("call", call["id"], fn["name"], _args(fn["arguments"])))
    return shape


# --------------------------------------------------------------------------- recorded replies


@dataclass
class Expected:
    """What a recorded reply implies about the adapter's result."""

    text: str = ""
    reasoning: str = ""
    tool_calls: list[tuple[str, str, Any]] = field(default_factory=list)
    usage: Usage | None = None
    stop: StopReason | None = None
    raw_stop: str | None = None
    error: type[PollyError] | None = None
    error_code: str | None = None
    status: int | None = None


def sse_frames(body: str) -> list[dict[str, Any]]:
    """The JSON data of each SSE frame of a recorded body (``[DONE]`` left out)."""
    frames = []
    for block in body.split("\n\n"):
        data = "".join(line[5:].strip() for line in block.splitlines() if line.startswith("data:"))
        if data and data != "[DONE]":
            frames.append(json.loads(data))
    return frames


_STATUS_ERRORS: dict[int, type[PollyError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: ModelNotFoundError,
    429: RateLimitError,
    500: ServerError,
}
_CHAT_STOPS = {
    "stop": StopReason.END_TURN,
    "length": StopReason.MAX_TOKENS,
    "tool_calls": StopReason.TOOL_USE,
    "content_filter": StopReason.CONTENT_FILTER,
}


def _error(status: int, body: dict[str, Any]) -> Expected:
    error = body["error"]
    code = error.get("code") or error.get("type")
    cls = _STATUS_ERRORS[status]
    if code == "context_length_exceeded":
        cls = ContextLengthError
    elif code == "model_not_found":
        cls = ModelNotFoundError
    return Expected(error=cls, error_code=code, status=status)


def _chat_usage(usage: dict[str, Any]) -> Usage:
    prompt = usage.get("prompt_tokens_details") or {}
    completion = usage.get("completion_tokens_details") or {}
    return Usage(
        usage["prompt_tokens"],
        usage["completion_tokens"],
        completion.get("reasoning_tokens", 0),
        prompt.get("cached_tokens", 0),
        prompt.get("cache_write_tokens", 0),
    )


def _chat_expected(response: dict[str, Any]) -> Expected:
    expected = Expected()
    refusal = False
    calls: dict[int, list[Any]] = {}
    finish = ""
    if response["body_kind"] == "sse":
        for chunk in sse_frames(response["body"]):
            if chunk.get("usage"):
                expected.usage = _chat_usage(chunk["usage"])
            for choice in chunk["choices"]:
                delta = choice["delta"]
                expected.text += (delta.get("content") or "") + (delta.get("refusal") or "")
                refusal = refusal or bool(delta.get("refusal"))
                for call in delta.get("tool_calls") or ():
                    entry = calls.setdefault(call["index"], ["", "", ""])
                    entry[0] = call.get("id") or entry[0]
                    entry[1] = call.get("function", {}).get("name") or entry[1]
                    entry[2] += call.get("function", {}).get("arguments") or ""
                finish = choice.get("finish_reason") or finish
    else:
        body = json.loads(response["body"])
        choice = body["choices"][0]
        message = choice["message"]
        expected.text = (message.get("content") or "") + (message.get("refusal") or "")
        refusal = bool(message.get("refusal"))
        for index, call in enumerate(message.get("tool_calls") or ()):
            fn = call["function"]
            calls[index] = [call["id"], fn["name"], fn["arguments"]]
        finish = choice["finish_reason"]
        expected.usage = _chat_usage(body["usage"]) if body.get("usage") else None
    expected.tool_calls = [(c[0], c[1], _args(c[2])) for _, c in sorted(calls.items())]
    expected.stop = StopReason.CONTENT_FILTER if refusal else _CHAT_STOPS[finish]
    expected.raw_stop = "refusal" if refusal else finish
    return expected


def _responses_expected(response: dict[str, Any]) -> Expected:
    if response["body_kind"] == "sse":
        final = [f for f in sse_frames(response["body"]) if f["type"] == "response.completed"]
        body = final[0]["response"]
    else:
        body = json.loads(response["body"])
    expected = Expected()
    refusal = False
    summaries: list[str] = []
    for item in body["output"]:
        if item["type"] == "reasoning":
            summaries.extend(s["text"] for s in item["summary"])
        elif item["type"] == "message":
            for part in item["content"]:
                expected.text += part.get("text") or part.get("refusal") or ""
                refusal = refusal or part["type"] == "refusal"
        elif item["type"] == "function_call":
            expected.tool_calls.append((item["call_id"], item["name"], _args(item["arguments"])))
    expected.reasoning = "\n\n".join(summaries)
    usage = body["usage"]
    expected.usage = Usage(
        usage["input_tokens"],
        usage["output_tokens"],
        usage["output_tokens_details"]["reasoning_tokens"],
        usage["input_tokens_details"]["cached_tokens"],
        usage["input_tokens_details"].get("cache_write_tokens", 0),
    )
    if refusal:
        expected.stop, expected.raw_stop = StopReason.CONTENT_FILTER, "refusal"
    elif expected.tool_calls:
        expected.stop, expected.raw_stop = StopReason.TOOL_USE, body["status"]
    else:
        expected.stop, expected.raw_stop = StopReason.END_TURN, body["status"]
    return expected


def expected_reply(interaction: dict[str, Any], api: str) -> Expected:
    """What the recorded response of *interaction* implies."""
    response = interaction["response"]
    if response["status"] >= 400:
        return _error(response["status"], json.loads(response["body"]))
    return _chat_expected(response) if api == "chat" else _responses_expected(response)


# --------------------------------------------------------------------------- scripted replies

USAGE = {
    "input_tokens": 5,
    "input_tokens_details": {"cached_tokens": 1, "cache_write_tokens": 0},
    "output_tokens": 7,
    "output_tokens_details": {"reasoning_tokens": 3},
    "total_tokens": 12,
}
CHAT_USAGE = {
    "prompt_tokens": 5,
    "completion_tokens": 7,
    "total_tokens": 12,
    "prompt_tokens_details": {"cached_tokens": 1},
    "completion_tokens_details": {"reasoning_tokens": 3},
}


def chunk(
    delta: dict[str, Any] | None = None,
    finish: str | None = None,
    usage: dict[str, Any] | None = None,
) -> tuple[None, dict[str, Any]]:
    """One Chat Completions stream frame."""
    choices = (
        []
        if delta is None and finish is None
        else [{"index": 0, "delta": delta or {}, "finish_reason": finish}]
    )
    return None, {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-test",
        "choices": choices,
        "usage": usage,
    }


def chat_text_frames(*pieces: str) -> list[tuple[str | None, Any] | str]:
    """A streamed Chat reply made of *pieces*, with usage and ``[DONE]``."""
    return [
        chunk({"role": "assistant", "content": ""}),
        *(chunk({"content": p}) for p in pieces),
        chunk(finish="stop"),
        chunk(usage=CHAT_USAGE),
        "data: [DONE]",
    ]


def response_object(
    output: list[dict[str, Any]],
    *,
    status: str = "completed",
    incomplete: str | None = None,
    **more: Any,
) -> dict[str, Any]:
    """A Responses API ``response`` object."""
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1,
        "model": "gpt-test",
        "status": status,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "error": None,
        "incomplete_details": {"reason": incomplete} if incomplete else None,
        "usage": USAGE,
        **more,
    }


def event(kind: str, **fields: Any) -> tuple[str, dict[str, Any]]:
    """One Responses stream frame."""
    return kind, {"type": kind, "sequence_number": 0, **fields}


def message_item(text: str, item_id: str = "msg_1") -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def call_item(call_id: str, name: str, arguments: str, item_id: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "function_call",
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": "completed",
    }


def responses_text_frames(
    *pieces: str, status: str = "completed", incomplete: str | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """A streamed Responses reply made of *pieces* ending in ``response.<status>``."""
    text = "".join(pieces)
    return [
        event("response.created", response=response_object([], status="in_progress")),
        event(
            "response.output_item.added",
            output_index=0,
            item={**message_item(""), "status": "in_progress", "content": []},
        ),
        *(
            event(
                "response.output_text.delta",
                item_id="msg_1",
                output_index=0,
                content_index=0,
                delta=p,
            )
            for p in pieces
        ),
        event("response.output_item.done", output_index=0, item=message_item(text)),
        event(
            f"response.{status}",
            response=response_object([message_item(text)], status=status, incomplete=incomplete),
        ),
    ]


def text_reply(api: str, *pieces: str, **kwargs: Any) -> Reply:
    """A streamed text reply for *api*."""
    frames = chat_text_frames(*pieces) if api == "chat" else responses_text_frames(*pieces)
    return Reply.sse(frames, **kwargs)


def path_of(api: str) -> str:
    return "/v1/chat/completions" if api == "chat" else "/v1/responses"
