"""GeminiClient against scripted failures and stop reasons no recording has: rate limits,
overload, retries, cut and stalled streams, errors inside a stream, safety blocks and
malformed function calls. The real google-genai SDK talks to the loopback server."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from pollytool.errors import (
    AuthenticationError,
    InvalidRequestError,
    OverloadedError,
    RateLimitError,
    ResponseError,
    ServerError,
)
from pollytool.events import ContentEvent, StreamEvent
from pollytool.messages import ChatMessage, StopReason
from pollytool.request import CompletionRequest
from tests.fakes.loopback import LoopbackServer, Reply
from tests.providers._contract import final_message, only_error

pytestmark = pytest.mark.anyio

API_KEY = "AIzaScriptedKeyForLoopback0123456789"
MODEL = "gemini-2.5-flash"
STREAM_PATH = f"/v1beta/models/{MODEL}:streamGenerateContent"
GENERATE_PATH = f"/v1beta/models/{MODEL}:generateContent"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def chunk(*parts: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}, "index": 0}
    if finish is not None:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], "modelVersion": MODEL, "responseId": "resp-1", **extra}


def error_body(code: int, status: str, message: str, *details: dict[str, Any]) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status,
                      "details": list(details)}}  # fmt: skip


#: Asks a retrying client to try again at once (a RetryInfo detail, a Retry-After header).
RETRY_NOW = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0s"}
NO_WAIT = {"retry-after": "0"}


def request(*, stream: bool = True) -> CompletionRequest:
    return CompletionRequest(MODEL, [ChatMessage.user("Hi")], stream=stream)


async def run(server: LoopbackServer, req: CompletionRequest, **options: Any) -> list[StreamEvent]:
    from pollytool.providers.gemini import GeminiClient

    options.setdefault("max_retries", 0)
    async with GeminiClient(API_KEY, server.url, **options) as client:
        return [event async for event in client.stream(req)]


async def wait_until_closed(server: LoopbackServer) -> None:
    """Wait until the client has let go of its connection (the SDK's response was closed,
    not left open in a suspended generator)."""
    with anyio.fail_after(5):
        await server.wait_idle()


# --------------------------------------------------------------------------- status errors


@pytest.mark.parametrize("stream", [True, False])
async def test_429_is_a_rate_limit_with_the_retry_delay_from_the_details(
    loopback: LoopbackServer, stream: bool
) -> None:
    body = error_body(
        429, "RESOURCE_EXHAUSTED", "Quota exceeded for metric generate_content_requests",
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"},
    )  # fmt: skip
    loopback.add("POST", STREAM_PATH if stream else GENERATE_PATH, Reply.json(body, 429))
    error = only_error(await run(loopback, request(stream=stream)))
    assert type(error) is RateLimitError
    assert error.status_code == 429 and error.code == "RESOURCE_EXHAUSTED"
    assert error.retry_after == 7.0
    assert "Quota exceeded" in str(error)
    assert len(loopback.requests) == 1  # max_retries=0


async def test_503_unavailable_is_overloaded_and_500_a_server_error(
    loopback: LoopbackServer,
) -> None:
    loopback.add(
        "POST", STREAM_PATH,
        Reply.json(error_body(503, "UNAVAILABLE", "The model is overloaded."), 503),
        Reply.json(error_body(500, "INTERNAL", "An internal error has occurred."), 500),
    )  # fmt: skip
    overloaded = only_error(await run(loopback, request()))
    assert type(overloaded) is OverloadedError and overloaded.status_code == 503
    assert overloaded.retryable
    internal = only_error(await run(loopback, request()))
    assert type(internal) is ServerError and internal.status_code == 500


async def test_400_with_api_key_invalid_is_authentication_other_400s_invalid_request(
    loopback: LoopbackServer,
) -> None:
    key_info = {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}
    loopback.add(
        "POST", STREAM_PATH,
        Reply.json(error_body(400, "INVALID_ARGUMENT", "API key not valid.", key_info), 400),
        Reply.json(error_body(400, "INVALID_ARGUMENT", "Invalid JSON payload."), 400),
    )  # fmt: skip
    assert type(only_error(await run(loopback, request()))) is AuthenticationError
    assert type(only_error(await run(loopback, request()))) is InvalidRequestError


# --------------------------------------------------------------------------- broken streams


async def test_an_error_object_inside_the_stream_is_typed_and_leaves_nothing_open(
    loopback: LoopbackServer,
) -> None:
    loopback.add("POST", STREAM_PATH, Reply.sse([
        (None, chunk({"text": "Hel"})),
        (None, error_body(503, "UNAVAILABLE", "The model is overloaded.")),
    ]))  # fmt: skip
    from pollytool.providers.gemini import GeminiClient

    async with GeminiClient(API_KEY, loopback.url, max_retries=0) as client:
        events = [event async for event in client.stream(request())]
        await wait_until_closed(loopback)
    assert [e.content for e in events if isinstance(e, ContentEvent)] == ["Hel"]
    error = only_error(events)
    assert type(error) is OverloadedError and error.status_code == 503


async def test_a_json_array_body_on_an_sse_request_is_a_response_error(
    loopback: LoopbackServer,
) -> None:
    """The SDK always asks for ``alt=sse``; a server that answers with the JSON-array stream
    form anyway cannot be parsed by the SDK, and that is one typed error."""
    body = "[" + ",\n".join(
        '{"candidates": [{"content": {"parts": [{"text": "Hi"}]}, "index": 0}]}'
        for _ in range(2)
    ) + "]"  # fmt: skip
    loopback.add("POST", STREAM_PATH, Reply(200, {"content-type": "application/json"},
                                            [body.encode()]))  # fmt: skip
    error = only_error(await run(loopback, request()))
    assert type(error) is ResponseError and "not valid JSON" in str(error)


async def test_no_api_key_is_a_missing_key_error(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pollytool.errors import MissingAPIKeyError
    from pollytool.providers.gemini import GeminiClient

    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    async with GeminiClient(base_url=loopback.url) as client:
        events = [event async for event in client.stream(request())]
    error = only_error(events)
    assert type(error) is MissingAPIKeyError and "GEMINI_API_KEY" in str(error)
    assert loopback.requests == []


# --------------------------------------------------------------------------- stop reasons


@pytest.mark.parametrize("stream", [True, False])
async def test_finish_safety_is_a_content_filter_stop(
    loopback: LoopbackServer, stream: bool
) -> None:
    body = chunk({"text": "Here is how"}, finish="SAFETY",
                 usageMetadata={"promptTokenCount": 9, "candidatesTokenCount": 3})  # fmt: skip
    reply = Reply.sse([(None, body)]) if stream else Reply.json(body)
    loopback.add("POST", STREAM_PATH if stream else GENERATE_PATH, reply)
    message = final_message(await run(loopback, request(stream=stream)))
    assert message.stop_reason == StopReason.CONTENT_FILTER
    assert message.raw_stop_reason == "SAFETY"
    assert message.content == "Here is how"


async def test_a_blocked_prompt_is_a_content_filter_stop(loopback: LoopbackServer) -> None:
    blocked = {
        "promptFeedback": {"blockReason": "PROHIBITED_CONTENT",
                           "blockReasonMessage": "The prompt was blocked."},
        "usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 12},
        "modelVersion": MODEL, "responseId": "resp-blocked",
    }  # fmt: skip
    loopback.add("POST", STREAM_PATH, Reply.sse([(None, blocked)]))
    events = await run(loopback, request())
    message = final_message(events)
    assert message.stop_reason == StopReason.CONTENT_FILTER
    assert message.raw_stop_reason == "PROHIBITED_CONTENT"
    assert message.metadata["block_reason_message"] == "The prompt was blocked."
    assert message.content == "" and message.usage is not None
    assert message.usage.input_tokens == 12


async def test_malformed_function_call_is_an_error_stop(loopback: LoopbackServer) -> None:
    body = {"candidates": [{"finishReason": "MALFORMED_FUNCTION_CALL", "index": 0,
                            "finishMessage": "Malformed function call: print(x"}],
            "modelVersion": MODEL, "responseId": "resp-2"}  # fmt: skip
    loopback.add("POST", STREAM_PATH, Reply.sse([(None, body)]))
    message = final_message(await run(loopback, request()))
    assert message.stop_reason == StopReason.ERROR
    assert message.raw_stop_reason == "MALFORMED_FUNCTION_CALL"
    assert message.tool_calls == []


async def test_max_tokens_while_streaming(loopback: LoopbackServer) -> None:
    loopback.add("POST", STREAM_PATH, Reply.sse([
        (None, chunk({"text": "One, "})),
        (None, chunk({"text": "two"}, finish="MAX_TOKENS")),
    ]))  # fmt: skip
    message = final_message(await run(loopback, request()))
    assert message.stop_reason == StopReason.MAX_TOKENS and message.content == "One, two"


async def test_a_continuation_finish_is_not_followed_automatically(
    loopback: LoopbackServer,
) -> None:
    body = chunk({"text": "Part one."}, finish="CONTINUATION")
    body["candidates"][0]["continuationToken"] = "Y29udGludWU="
    loopback.add("POST", STREAM_PATH, Reply.sse([(None, body)]))
    loopback.always(
        "POST", STREAM_PATH, Reply.sse([(None, chunk({"text": "more"}, finish="STOP"))])
    )
    message = final_message(await run(loopback, request()))
    assert message.content == "Part one." and message.raw_stop_reason == "CONTINUATION"
    assert len(loopback.requests) == 1
