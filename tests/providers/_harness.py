"""One :class:`Harness` per adapter: how to build its client for the loopback server and how
its API answers on the wire (a text reply, tool calls, an opening that never finishes, an
error inside a stream, an error status). The conformance suite runs every scenario through
every harness; this module holds no tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pollytool.errors import OverloadedError, PollyError, ResponseError, ServerError
from pollytool.messages import ChatMessage, FilePart, FileURLPart, MessageRole
from pollytool.providers._base import ProviderClient
from pollytool.providers.anthropic import AnthropicClient
from pollytool.providers.gemini import GeminiClient
from pollytool.providers.ollama import OllamaClient
from pollytool.providers.openai import OpenAIClient
from pollytool.request import CompletionRequest
from tests.fakes.loopback import RecordedRequest, Reply

__all__ = ["HARNESSES", "Call", "Harness"]

#: A tool call as the scenarios script it: ``(id, name, arguments JSON)``.
Call = tuple[str, str, str]
Frames = list[Any]


@dataclass(frozen=True)
class Harness:
    """How one adapter is driven through the loopback server.

    Attributes:
        name: the test id.
        backends: the async backends its vendor SDK runs on.
        key: a key of the provider's shape (never to appear in errors).
        key_env / url_env: the vendor's environment variables for a key and a base URL.
        in_stream_error_type: the class an error reported inside a stream becomes.
    """

    name: str
    backends: tuple[str, ...]
    key: str
    key_env: str
    url_env: str
    in_stream_error_type: type[PollyError]
    make: Callable[..., ProviderClient[Any]]
    paths: tuple[str, str]  # (streamed, whole)
    frames: Callable[[str, list[Call], bool], Frames]  # text, calls, finished → stream frames
    whole: Callable[[str, list[Call]], Any]  # text, calls → the non-streamed JSON body
    error_frame: Any
    status_body: Callable[[int, float | None], Any]
    key_of: Callable[[RecordedRequest], str | None]
    invalid_message: ChatMessage
    sse: bool = True
    options: dict[str, Any] = field(default_factory=dict)

    def client(self, url: str, **settings: Any) -> ProviderClient[Any]:
        """The adapter's client for the loopback server at *url* (SDK retries off)."""
        settings.setdefault("max_retries", 0)
        settings.setdefault("api_key", self.key)
        return self.make(url, **settings)

    def base_url(self, url: str) -> str:
        return url + "/v1" if self.name.startswith("openai") else url

    def request(self, *, stream: bool = True, **fields: Any) -> CompletionRequest:
        model = "gemini-2.5-flash" if self.name == "gemini" else "test-model"
        messages = fields.pop("messages", [ChatMessage.user("Hello")])
        options = {**self.options, **fields.pop("provider_options", {})}
        return CompletionRequest(model, messages, stream=stream, provider_options=options, **fields)

    def path(self, *, stream: bool = True) -> str:
        return self.paths[0] if stream else self.paths[1]

    def reply(self, text: str = "", calls: list[Call] | None = None, *, stream: bool = True,
              pause: float = 0.0) -> Reply:  # fmt: skip
        """A complete, successful reply."""
        calls = calls or []
        if not stream:
            return Reply.json(self.whole(text, calls))
        return self._streamed(self.frames(text, calls, True), pause=pause)

    def opening(self, text: str, *, cut: bool = False, stall: bool = False) -> Reply:
        """The first frames of a streamed reply carrying *text*, then a clean end (or a cut
        connection, or silence)."""
        reply = self._streamed(self.frames(text, [], False), cut=cut)
        if stall:
            reply.chunks.append(3600.0)
        return reply

    def in_stream_error(self, text: str) -> Reply:
        """*text*, then an error reported inside the 200 stream."""
        return self._streamed([*self.frames(text, [], False), self.error_frame])

    def status(self, status: int, retry_after: float | None = None) -> Reply:
        """An error status; *retry_after* as the provider says it (header or body)."""
        headers = {}
        if retry_after is not None:  # both forms; the SDKs prefer milliseconds
            ms = max(round(retry_after * 1000), 1)
            headers = {"retry-after": f"{retry_after:g}", "retry-after-ms": str(ms)}
        if self.name == "gemini":
            headers = {}  # Gemini says it in the body (RetryInfo)
        return Reply.json(self.status_body(status, retry_after), status, headers)

    def _streamed(self, frames: Frames, *, cut: bool = False, pause: float = 0.0) -> Reply:
        if self.sse:
            return Reply.sse(frames, cut=cut, pause=pause)
        return Reply.ndjson(frames, cut=cut, pause=pause)


# --------------------------------------------------------------------------- OpenAI Chat


def _chunk(delta: dict[str, Any] | None = None, finish: str | None = None,
           usage: dict[str, Any] | None = None) -> tuple[None, dict[str, Any]]:  # fmt: skip
    choices = [] if delta is None and finish is None else [
        {"index": 0, "delta": delta or {}, "finish_reason": finish}]  # fmt: skip
    return None, {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1,
                  "model": "test-model", "choices": choices, "usage": usage}  # fmt: skip


_CHAT_USAGE = {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}


def _pieces(text: str) -> list[str]:
    return [text[: len(text) // 2], text[len(text) // 2 :]] if len(text) > 1 else [text]


def _chat_frames(text: str, calls: list[Call], finished: bool) -> Frames:
    frames: Frames = [_chunk({"role": "assistant", "content": ""})]
    frames += [_chunk({"content": p}) for p in _pieces(text) if p]
    for index, (call_id, name, arguments) in enumerate(calls):
        head = {"index": index, "id": call_id, "type": "function",
                "function": {"name": name, "arguments": ""}}  # fmt: skip
        frames.append(_chunk({"tool_calls": [head]}))
        frames += [_chunk({"tool_calls": [{"index": index, "function": {"arguments": p}}]})
                   for p in _pieces(arguments)]  # fmt: skip
    if finished:
        frames += [_chunk(finish="tool_calls" if calls else "stop"), _chunk(usage=_CHAT_USAGE),
                   "data: [DONE]"]  # fmt: skip
    return frames


def _chat_whole(text: str, calls: list[Call]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if calls:
        message["tool_calls"] = [
            {"id": i, "type": "function", "function": {"name": n, "arguments": a}}
            for i, n, a in calls
        ]
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "test-model",
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if calls else "stop"}],
            "usage": _CHAT_USAGE}  # fmt: skip


def _openai_status(status: int, retry_after: float | None) -> dict[str, Any]:
    del retry_after
    code = {429: "rate_limit_exceeded", 401: "invalid_api_key"}.get(status, "server_error")
    return {"error": {"message": f"failed with {status}", "type": "error", "code": code}}


def _bearer(request: RecordedRequest) -> str | None:
    value = request.headers.get("authorization")
    return value.removeprefix("Bearer ") if value else None


# --------------------------------------------------------------------------- OpenAI Responses

_RESPONSES_USAGE = {"input_tokens": 5, "input_tokens_details": {"cached_tokens": 0},
                    "output_tokens": 7, "output_tokens_details": {"reasoning_tokens": 0},
                    "total_tokens": 12}  # fmt: skip


def _event(kind: str, **fields: Any) -> tuple[str, dict[str, Any]]:
    return kind, {"type": kind, "sequence_number": 0, **fields}


def _response(output: list[dict[str, Any]], status: str = "completed") -> dict[str, Any]:
    return {"id": "resp_1", "object": "response", "created_at": 1, "model": "test-model",
            "status": status, "output": output, "parallel_tool_calls": True,
            "tool_choice": "auto", "tools": [], "error": None, "incomplete_details": None,
            "usage": _RESPONSES_USAGE if status == "completed" else None}  # fmt: skip


def _message_item(text: str) -> dict[str, Any]:
    return {"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}  # fmt: skip


def _call_item(index: int, call: Call) -> dict[str, Any]:
    call_id, name, arguments = call
    return {"id": f"fc_{index}", "type": "function_call", "call_id": call_id, "name": name,
            "arguments": arguments, "status": "completed"}  # fmt: skip


def _responses_output(text: str, calls: list[Call]) -> list[dict[str, Any]]:
    items = [_message_item(text)] if text else []
    return items + [_call_item(i, c) for i, c in enumerate(calls)]


def _responses_frames(text: str, calls: list[Call], finished: bool) -> Frames:
    frames: Frames = [_event("response.created", response=_response([], "in_progress"))]
    if text:
        frames.append(_event("response.output_item.added", output_index=0,
                             item={**_message_item(""), "content": []}))  # fmt: skip
        frames += [_event("response.output_text.delta", item_id="msg_1", output_index=0,
                          content_index=0, delta=p) for p in _pieces(text)]  # fmt: skip
    for index, call in enumerate(calls):
        item = _call_item(index, call)
        frames.append(_event("response.output_item.added", output_index=index + 1,
                             item={**item, "arguments": "", "status": "in_progress"}))  # fmt: skip
        frames += [_event("response.function_call_arguments.delta", item_id=item["id"],
                          output_index=index + 1, delta=p) for p in _pieces(call[2])]  # fmt: skip
        frames.append(_event("response.output_item.done", output_index=index + 1, item=item))
    if finished:
        frames.append(_event("response.completed",
                             response=_response(_responses_output(text, calls))))  # fmt: skip
    return frames


# --------------------------------------------------------------------------- Anthropic


def _a(kind: str, **fields: Any) -> tuple[str, dict[str, Any]]:
    return kind, {"type": kind, **fields}


_A_USAGE = {"input_tokens": 5, "output_tokens": 7}


def _anthropic_frames(text: str, calls: list[Call], finished: bool) -> Frames:
    message = {"id": "msg_1", "type": "message", "role": "assistant", "model": "test-model",
               "content": [], "stop_reason": None, "stop_sequence": None,
               "usage": {"input_tokens": 5, "output_tokens": 1}}  # fmt: skip
    frames: Frames = [_a("message_start", message=message)]
    index = 0
    if text:
        frames.append(_a("content_block_start", index=0, content_block={"type": "text",
                                                                         "text": ""}))  # fmt: skip
        frames += [_a("content_block_delta", index=0, delta={"type": "text_delta", "text": p})
                   for p in _pieces(text)]  # fmt: skip
        frames.append(_a("content_block_stop", index=0))
        index = 1
    for offset, (call_id, name, arguments) in enumerate(calls):
        block = {"type": "tool_use", "id": call_id, "name": name, "input": {}}
        frames.append(_a("content_block_start", index=index + offset, content_block=block))
        frames += [_a("content_block_delta", index=index + offset,
                      delta={"type": "input_json_delta", "partial_json": p})
                   for p in _pieces(arguments)]  # fmt: skip
        frames.append(_a("content_block_stop", index=index + offset))
    if finished:
        stop = "tool_use" if calls else "end_turn"
        frames += [_a("message_delta", delta={"stop_reason": stop, "stop_sequence": None},
                      usage={"output_tokens": 7}), _a("message_stop")]  # fmt: skip
    return frames


def _anthropic_whole(text: str, calls: list[Call]) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    content += [{"type": "tool_use", "id": i, "name": n, "input": json.loads(a)}
                for i, n, a in calls]  # fmt: skip
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": "test-model",
            "content": content, "stop_reason": "tool_use" if calls else "end_turn",
            "stop_sequence": None, "usage": _A_USAGE}  # fmt: skip


def _anthropic_status(status: int, retry_after: float | None) -> dict[str, Any]:
    del retry_after
    kind = {429: "rate_limit_error", 401: "authentication_error"}.get(status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": f"failed with {status}"}}


# --------------------------------------------------------------------------- Gemini

_G_USAGE = {"promptTokenCount": 5, "candidatesTokenCount": 7, "totalTokenCount": 12}


def _g_chunk(parts: list[dict[str, Any]], finish: str | None = None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    body: dict[str, Any] = {"candidates": [candidate], "modelVersion": "m", "responseId": "r"}
    if finish:
        candidate["finishReason"] = finish
        body["usageMetadata"] = _G_USAGE
    return body


def _g_call(call: Call) -> dict[str, Any]:
    call_id, name, arguments = call
    return {"functionCall": {"id": call_id, "name": name, "args": json.loads(arguments)}}


def _gemini_frames(text: str, calls: list[Call], finished: bool) -> Frames:
    frames: Frames = [(None, _g_chunk([{"text": p}])) for p in _pieces(text) if p]
    if calls:
        frames.append((None, _g_chunk([_g_call(c) for c in calls])))
    if finished:
        frames.append((None, _g_chunk([{"text": ""}], "STOP")))
    return frames


def _gemini_whole(text: str, calls: list[Call]) -> dict[str, Any]:
    parts = ([{"text": text}] if text else []) + [_g_call(c) for c in calls]
    return _g_chunk(parts, "STOP")


def _gemini_status(status: int, retry_after: float | None) -> dict[str, Any]:
    names = {429: "RESOURCE_EXHAUSTED", 401: "UNAUTHENTICATED", 503: "UNAVAILABLE"}
    details = []
    if retry_after is not None:
        details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo",
                        "retryDelay": f"{retry_after:g}s"})  # fmt: skip
    return {"error": {"code": status, "message": f"failed with {status}",
                      "status": names.get(status, "INTERNAL"), "details": details}}  # fmt: skip


def _goog_key(request: RecordedRequest) -> str | None:
    return request.headers.get("x-goog-api-key")


# --------------------------------------------------------------------------- Ollama


def _o_line(content: str = "", done: bool = False, **message: Any) -> dict[str, Any]:
    line: dict[str, Any] = {"model": "test-model", "created_at": "2026-01-01T00:00:00Z",
                            "message": {"role": "assistant", "content": content, **message},
                            "done": done}  # fmt: skip
    if done:
        line.update(done_reason="stop", prompt_eval_count=5, eval_count=7)
    return line


def _o_calls(calls: list[Call]) -> list[dict[str, Any]]:
    return [{"function": {"name": n, "arguments": json.loads(a)}} for _, n, a in calls]


def _ollama_frames(text: str, calls: list[Call], finished: bool) -> Frames:
    frames: Frames = [_o_line(p) for p in _pieces(text) if p]
    if calls:
        frames.append(_o_line(tool_calls=_o_calls(calls)))
    if finished:
        frames.append(_o_line(done=True))
    return frames


def _ollama_whole(text: str, calls: list[Call]) -> dict[str, Any]:
    return _o_line(text, done=True, **({"tool_calls": _o_calls(calls)} if calls else {}))


def _ollama_status(status: int, retry_after: float | None) -> dict[str, Any]:
    del retry_after
    return {"error": f"failed with {status}"}


# --------------------------------------------------------------------------- the harnesses

_PDF_URL = ChatMessage.user("Read this", FileURLPart("https://example.com/a.pdf"))

HARNESSES: dict[str, Harness] = {
    h.name: h
    for h in (
        Harness(
            "openai-chat", ("asyncio", "trio"), "sk-openai-test-0123456789abcdef",
            "OPENAI_API_KEY", "OPENAI_BASE_URL", ServerError,
            lambda url, **kw: OpenAIClient(base_url=url + "/v1", **kw),
            ("/v1/chat/completions", "/v1/chat/completions"), _chat_frames, _chat_whole,
            (None, {"error": {"message": "The server had an error", "type": "server_error",
                              "code": "server_error"}}),
            _openai_status, _bearer, _PDF_URL, options={"api": "chat"},
        ),
        Harness(
            "openai-responses", ("asyncio", "trio"), "sk-openai-test-0123456789abcdef",
            "OPENAI_API_KEY", "OPENAI_BASE_URL", ServerError,
            lambda url, **kw: OpenAIClient(base_url=url + "/v1", **kw),
            ("/v1/responses", "/v1/responses"), _responses_frames,
            lambda text, calls: _response(_responses_output(text, calls)),
            _event("error", code="server_error", message="The server had an error", param=None),
            _openai_status, _bearer,
            ChatMessage(MessageRole.SYSTEM, "x", parts=[FilePart(b"%PDF", "application/pdf")]),
            options={"api": "responses"},
        ),
        Harness(
            "anthropic", ("asyncio", "trio"), "sk-ant-test-0123456789abcdef",
            "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", OverloadedError,
            lambda url, **kw: AnthropicClient(base_url=url, **kw),
            ("/v1/messages", "/v1/messages"), _anthropic_frames, _anthropic_whole,
            _a("error", error={"type": "overloaded_error", "message": "Overloaded"}),
            _anthropic_status, _bearer,
            ChatMessage.user("Look", FilePart(b"GIF89a", "image/gif", "a.gif")),
        ),
        Harness(
            "gemini", ("asyncio",), "AIzaConformanceTestKey0123456789abcdef",
            "GEMINI_API_KEY", "GOOGLE_GEMINI_BASE_URL", OverloadedError,
            lambda url, **kw: GeminiClient(base_url=url, **kw),
            ("/v1beta/models/gemini-2.5-flash:streamGenerateContent",
             "/v1beta/models/gemini-2.5-flash:generateContent"),
            _gemini_frames, _gemini_whole,
            (None, {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}),
            _gemini_status, _goog_key,
            ChatMessage.tool_result("call_unknown", "42"),
        ),
        Harness(
            "ollama", ("asyncio", "trio"), "ollama-test-key-0123456789abcdef",
            "OLLAMA_API_KEY", "OLLAMA_HOST", ResponseError,
            OllamaClient,
            ("/api/chat", "/api/chat"), _ollama_frames, _ollama_whole,
            {"error": "the model crashed"}, _ollama_status, _bearer,
            ChatMessage.user("Read this", FilePart(b"%PDF", "application/pdf")),
            sse=False,
        ),
    )
}  # fmt: skip


# --------------------------------------------------------------------------- the fake


class FakeHarness:
    """The scripted :class:`~pollytool.providers.fake.FakeLLM` where a scenario applies to it
    (no HTTP): replies become scripted turns."""

    name = "fake"
    backends = ("asyncio", "trio")
    in_stream_error_type: type[PollyError] = ServerError

    def __init__(self) -> None:
        self.turns: list[Any] = []

    def serve(self, *turns: Any) -> None:
        self.turns.extend(turns)

    def client(self, url: str = "", **settings: Any) -> Any:
        from pollytool.providers.fake import FakeLLM

        del url
        return FakeLLM(*self.turns, **settings)

    def request(self, *, stream: bool = True, **fields: Any) -> CompletionRequest:
        return CompletionRequest("fake", [ChatMessage.user("Hello")], stream=stream, **fields)

    def reply(self, text: str = "", calls: list[Call] | None = None, *, stream: bool = True,
              pause: float = 0.0) -> list[Any]:  # fmt: skip
        from pollytool.providers import fake

        del stream
        steps: list[Any] = []
        for piece in _pieces(text) if text else []:
            steps.append(fake.text(piece))
            if pause:
                steps.append(fake.delay(pause))
        steps += [fake.tool_call(n, a, id=i, chunk_size=max(1, len(a) // 2))
                  for i, n, a in calls or []]  # fmt: skip
        return steps

    def opening(self, text: str, *, stall: bool = False) -> list[Any]:
        from pollytool.providers import fake

        return [fake.text(text), *([fake.delay(3600)] if stall else [])]

    def in_stream_error(self, text: str) -> list[Any]:
        from pollytool.providers import fake

        return [fake.text(text), fake.fail(ServerError("The server had an error"))]
