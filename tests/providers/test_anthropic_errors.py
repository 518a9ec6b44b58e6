"""Failures of the Anthropic adapter, each one typed ``error`` event: HTTP statuses, retries,
errors inside a stream, cut streams and timeouts, over the loopback server and the real SDK."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from pollytool.errors import (
    APITimeoutError,
    AuthenticationError,
    InvalidRequestError,
    ModelNotFoundError,
    OverloadedError,
    PermissionDeniedError,
    ProviderError,
    RateLimitError,
    RequestTooLargeError,
    ResponseError,
    ServerError,
)
from pollytool.events import ContentEvent
from pollytool.providers.anthropic import AnthropicClient
from tests.fakes.loopback import LoopbackServer, RecordedRequest, Reply
from tests.providers._contract import collect, only_error
from tests.providers.test_anthropic_stream import (
    KEY,
    PATH,
    message_start,
    sse,
    user_request,
)

pytestmark = pytest.mark.anyio


def error_body(error_type: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": message},
            "request_id": "req_body"}  # fmt: skip


def client_for(server: LoopbackServer, **kw: Any) -> AnthropicClient:
    kw.setdefault("max_retries", 0)
    return AnthropicClient(api_key=KEY, base_url=server.url, **kw)


# --------------------------------------------------------------------------- HTTP statuses


@pytest.mark.parametrize(
    ("status", "error_type", "message", "cls"),
    [
        (400, "invalid_request_error", "messages: text content blocks must be non-empty",
         InvalidRequestError),
        (401, "authentication_error", "invalid x-api-key", AuthenticationError),
        (403, "permission_error", "Your API key does not have permission", PermissionDeniedError),
        (404, "not_found_error", "model: claude-nope", ModelNotFoundError),
        (413, "request_too_large", "Request exceeds the maximum allowed number of bytes",
         RequestTooLargeError),
        (500, "api_error", "Internal server error", ServerError),
        (503, "overloaded_error", "Overloaded", OverloadedError),
        (529, "overloaded_error", "Overloaded", OverloadedError),
    ],
)  # fmt: skip
@pytest.mark.parametrize("stream", [True, False])
async def test_status_errors_are_typed(
    loopback: LoopbackServer,
    status: int,
    error_type: str,
    message: str,
    cls: type[ProviderError],
    stream: bool,
) -> None:
    headers = {"request-id": "req_header"}
    loopback.add("POST", PATH, Reply.json(error_body(error_type, message), status, headers))
    async with client_for(loopback) as client:
        error = only_error(await collect(client, user_request(stream=stream)))
    assert type(error) is cls
    assert isinstance(error, ProviderError)
    assert (error.status_code, error.code, error.request_id) == (status, error_type, "req_header")
    assert error.message == message
    assert error.provider == "anthropic"
    assert len(loopback.requests) == 1


async def test_request_id_from_the_body_when_no_header(loopback: LoopbackServer) -> None:
    loopback.add("POST", PATH, Reply.json(error_body("not_found_error", "model: x"), 404))
    async with client_for(loopback) as client:
        error = only_error(await collect(client, user_request()))
    assert isinstance(error, ModelNotFoundError) and error.request_id == "req_body"


# --------------------------------------------------------------------------- retries


async def test_rate_limit_without_retries_reports_retry_after(loopback: LoopbackServer) -> None:
    body = error_body("rate_limit_error", "Number of request tokens has exceeded your limit")
    loopback.add("POST", PATH, Reply.json(body, 429, {"retry-after": "17"}))
    async with client_for(loopback, max_retries=0) as client:
        error = only_error(await collect(client, user_request()))
    assert isinstance(error, RateLimitError)
    assert (error.status_code, error.retry_after, error.retryable) == (429, 17.0, True)
    assert len(loopback.requests) == 1


async def test_overloaded_after_the_sdk_retries(loopback: LoopbackServer) -> None:
    body = error_body("overloaded_error", "Overloaded")
    loopback.always("POST", PATH, Reply.json(body, 529, {"retry-after-ms": "1"}))
    async with client_for(loopback, max_retries=1) as client:
        error = only_error(await collect(client, user_request()))
    assert isinstance(error, OverloadedError) and error.retryable
    assert error.status_code == 529
    assert len(loopback.requests) == 2


# --------------------------------------------------------------------------- in-stream failures


@pytest.mark.parametrize(
    ("error_type", "cls"),
    [
        ("overloaded_error", OverloadedError),
        ("rate_limit_error", RateLimitError),
        ("api_error", ServerError),
        ("something_new_error", ResponseError),
    ],
)
async def test_error_event_inside_the_stream(
    loopback: LoopbackServer, error_type: str, cls: type[ProviderError]
) -> None:
    loopback.add("POST", PATH, sse(
        message_start(),
        [("content_block_start", {"type": "content_block_start", "index": 0,
                                  "content_block": {"type": "text", "text": ""}}),
         ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                  "delta": {"type": "text_delta", "text": "Hel"}}),
         ("error", error_body(error_type, "Overloaded"))],
    ))  # fmt: skip
    async with client_for(loopback, max_retries=2) as client:
        events = await collect(client, user_request())
    error = only_error(events)
    assert type(error) is cls
    assert error.code == error_type
    assert [e.content for e in events if isinstance(e, ContentEvent)] == ["Hel"]
    assert len(loopback.requests) == 1  # a stream that started is never retried


async def test_read_timeout_before_the_response(loopback: LoopbackServer) -> None:
    async def never(request: RecordedRequest) -> Reply:
        await anyio.sleep(60)
        raise AssertionError("unreachable")

    loopback.add("POST", PATH, never)
    async with client_for(loopback, timeout=0.3) as client:
        error = only_error(await collect(client, user_request()))
    assert isinstance(error, APITimeoutError)
