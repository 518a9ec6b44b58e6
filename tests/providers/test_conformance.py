"""The shared conformance suite: every adapter (OpenAI Chat, OpenAI Responses, Anthropic,
Gemini, Ollama; the scripted fake where a scenario applies) through the same scenarios, with
its real vendor SDK talking to the loopback server.

Scenarios: the event rules (text, parallel tool calls, streamed and whole), honest ends
(truncated, empty, ``{}`` and HTML bodies), an error inside a stream, throttling (a 429 with
``Retry-After``, retried then reported with ``retry_after``), a cut stream, the client's read
timeout and the request's deadline, cancellation and early exit (the connection is released),
and the adapter contract (environment keys, per-request keys on one pool, repr, redacted and
chained errors, local validation). Stream/non-stream parity over every cassette is in
``test_conformance_cassettes``.
"""

from __future__ import annotations

import math
from typing import Any

import anyio
import pytest

from pollytool.errors import (
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    MissingAPIKeyError,
    RateLimitError,
    ResponseError,
    StreamInterruptedError,
)
from pollytool.events import ContentEvent, ErrorEvent, ToolCallDeltaEvent, ToolCallStartEvent
from pollytool.providers._errors import VendorException
from tests.fakes.loopback import LoopbackServer, Reply
from tests.providers._contract import (
    check_event_rules,
    collect,
    final_message,
    logged,
    only_error,
    text_of,
)
from tests.providers._harness import HARNESSES, FakeHarness, Harness

pytestmark = pytest.mark.anyio

HTTP = [(name, backend) for name, h in HARNESSES.items() for backend in h.backends]
ALL = [*HTTP, ("fake", "asyncio"), ("fake", "trio")]
CALLS = [("call_a", "get_weather", '{"city": "Paris"}'), ("call_b", "get_time", '{"tz": "UTC"}')]


@pytest.fixture
def anyio_backend(case: tuple[str, str]) -> str:
    return case[1]


@pytest.fixture
def harness(case: tuple[str, str]) -> Harness | FakeHarness:
    return FakeHarness() if case[0] == "fake" else HARNESSES[case[0]]


def serve(harness: Harness | FakeHarness, loopback: LoopbackServer, *replies: Any,
          stream: bool = True) -> None:  # fmt: skip
    if isinstance(harness, FakeHarness):
        harness.serve(*replies)
    else:
        loopback.add("POST", harness.path(stream=stream), *replies)


def each(cases: list[tuple[str, str]]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("case", cases, ids=[f"{n}-{b}" for n, b in cases])


# --------------------------------------------------------------------------- event rules


@each(ALL)
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
async def test_text_reply(harness: Harness, loopback: LoopbackServer, stream: bool) -> None:
    serve(harness, loopback, harness.reply("Hello there", stream=stream), stream=stream)
    async with harness.client(loopback.url) as client:
        message = final_message(await collect(client, harness.request(stream=stream)))
    assert message.content == "Hello there"
    assert message.stop_reason == "end_turn"


@each(ALL)
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
async def test_parallel_tool_calls(
    harness: Harness, loopback: LoopbackServer, stream: bool
) -> None:
    serve(harness, loopback, harness.reply("Checking.", CALLS, stream=stream), stream=stream)
    async with harness.client(loopback.url) as client:
        events = await collect(client, harness.request(stream=stream))
    message = final_message(events)  # start → deltas → tool_call per call, dense indexes
    assert [(c.name, c.args) for c in message.tool_calls] == [
        ("get_weather", {"city": "Paris"}),
        ("get_time", {"tz": "UTC"}),
    ]
    assert message.stop_reason == "tool_use"
    starts = [e.index for e in events if isinstance(e, ToolCallStartEvent)]
    assert starts == [0, 1]
    assert any(isinstance(e, ToolCallDeltaEvent) for e in events)


@each(HTTP)
async def test_an_emoji_split_between_two_deltas(
    harness: Harness, loopback: LoopbackServer
) -> None:
    """The two UTF-16 halves of an emoji in two deltas (as JSON escapes) become one
    character: every delta and the final message can be stored as UTF-8."""
    serve(harness, loopback, harness.reply("ab\ud83d\ude00cd"))  # split between the halves
    async with harness.client(loopback.url) as client:
        events = await collect(client, harness.request())
    message = final_message(events)
    assert message.content == "ab\U0001f600cd"
    message.to_json().encode("utf-8")
    for event in events:
        if isinstance(event, ContentEvent):
            event.content.encode("utf-8")


# --------------------------------------------------------------------------- honest ends


@each(HTTP)
async def test_a_stream_that_ends_before_its_end_marker(
    harness: Harness, loopback: LoopbackServer
) -> None:
    serve(harness, loopback, harness.opening("Hello"))
    async with harness.client(loopback.url) as client:
        events = await collect(client, harness.request())
    assert isinstance(only_error(events), StreamInterruptedError)
    assert text_of(events) == "Hello"


GARBAGE = {
    "empty": Reply(200, {"content-type": "text/event-stream"}, []),
    "empty-object": Reply(200, {"content-type": "application/json"}, [b"{}"], chunked=False),
    "html": Reply(200, {"content-type": "text/html"},
                  [b"<html><body><h1>Service Unavailable</h1></body></html>"]),
}  # fmt: skip


@each(HTTP)
@pytest.mark.parametrize("body", list(GARBAGE))
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
async def test_a_body_that_is_no_response(
    harness: Harness, loopback: LoopbackServer, body: str, stream: bool
) -> None:
    serve(harness, loopback, GARBAGE[body], stream=stream)
    async with harness.client(loopback.url) as client:
        error = only_error(await collect(client, harness.request(stream=stream)))
    assert type(error) is ResponseError, error
    assert error.provider == (harness.name.split("-")[0])


# --------------------------------------------------------------------------- provider errors


@each(ALL)
async def test_an_error_inside_the_stream(harness: Harness, loopback: LoopbackServer) -> None:
    serve(harness, loopback, harness.in_stream_error("Hel"))
    async with harness.client(loopback.url) as client:
        events = await collect(client, harness.request())
    error = only_error(events)
    assert isinstance(error, harness.in_stream_error_type), error
    assert text_of(events) == "Hel"


@each(HTTP)
async def test_throttling_is_retried_then_reported_with_retry_after(
    harness: Harness, loopback: LoopbackServer
) -> None:
    serve(harness, loopback, harness.status(429, 0.05), harness.status(429, 0.05))
    async with harness.client(loopback.url, max_retries=1) as client:
        error = only_error(await collect(client, harness.request()))
    assert type(error) is RateLimitError
    assert (error.status_code, error.retry_after) == (429, 0.05)
    assert error.retryable
    assert len(loopback.requests) == 2  # tried again once, as configured


@each(HTTP)
async def test_throttling_then_success(harness: Harness, loopback: LoopbackServer) -> None:
    serve(harness, loopback, harness.status(429, 0), harness.status(503, 0), harness.reply("ok"))
    async with harness.client(loopback.url, max_retries=2) as client:
        assert final_message(await collect(client, harness.request())).content == "ok"
    assert len(loopback.requests) == 3


@each([c for c in HTTP if c[0] in ("gemini", "ollama")])
async def test_the_wait_the_server_asks_for_is_honoured(
    harness: Harness, loopback: LoopbackServer
) -> None:
    """Gemini and Ollama are retried by pollytool (their SDKs cannot honour the server's
    delay): it waits at least what the server asked for, and does not retry at all when
    that is longer than a minute."""
    serve(harness, loopback, harness.status(429, 0.2), harness.reply("ok"))
    async with harness.client(loopback.url, max_retries=1) as client:
        start = anyio.current_time()
        assert final_message(await collect(client, harness.request())).content == "ok"
        assert anyio.current_time() - start >= 0.2
        serve(harness, loopback, harness.status(429, 3600), harness.reply("never"))
        error = only_error(await collect(client, harness.request()))
    assert type(error) is RateLimitError and error.retry_after == 3600
    assert len(loopback.requests) == 3  # the hour-long wait was not waited


# --------------------------------------------------------------------------- broken streams


@each(HTTP)
async def test_a_cut_stream(harness: Harness, loopback: LoopbackServer) -> None:
    serve(harness, loopback, harness.opening("Hello", cut=True))
    async with harness.client(loopback.url, max_retries=2) as client:
        events = await collect(client, harness.request())
    assert isinstance(only_error(events), StreamInterruptedError)
    assert text_of(events) == "Hello"
    assert len(loopback.requests) == 1  # a stream that produced events is never retried


@each(HTTP)
async def test_the_client_read_timeout(harness: Harness, loopback: LoopbackServer) -> None:
    serve(harness, loopback, harness.opening("Hello", stall=True))
    async with harness.client(loopback.url, timeout=0.3) as client:
        events = await collect(client, harness.request())
    assert isinstance(only_error(events), APITimeoutError)
    assert text_of(events) == "Hello"


@each(ALL)
async def test_the_request_deadline(harness: Harness, loopback: LoopbackServer) -> None:
    serve(harness, loopback, harness.opening("Hello", stall=True))
    async with harness.client(loopback.url) as client:
        events = await collect(client, harness.request(timeout=0.3))
    error = only_error(events)
    assert isinstance(error, APITimeoutError) and "0.3s timeout" in str(error)
    assert text_of(events) == "Hello"


@each(HTTP)
@pytest.mark.parametrize("how", ["break", "cancel"])
async def test_stopping_early_releases_the_connection(
    harness: Harness, loopback: LoopbackServer, how: str
) -> None:
    serve(harness, loopback, harness.reply("word " * 40, pause=0.05))
    async with harness.client(loopback.url) as client:
        with anyio.CancelScope() as scope:
            async with client.stream(harness.request()) as events:
                async for event in events:
                    if isinstance(event, ContentEvent):
                        if how == "cancel":
                            scope.cancel()
                            await anyio.sleep(math.inf)
                        break
        with anyio.fail_after(5):
            await loopback.wait_idle()  # the response was closed, not left to the GC
    assert loopback.connections == 1


# --------------------------------------------------------------------------- the contract


@each(HTTP)
async def test_per_request_keys_share_one_pool(
    harness: Harness, loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(harness.key_env, raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    keys = [f"{harness.key[:-4]}key{n}" for n in range(3)]
    serve(harness, loopback, *(harness.reply("ok") for _ in keys))
    async with harness.make(loopback.url, max_retries=0) as client:
        for key in keys:
            final_message(await collect(client, harness.request(api_key=key)))
    assert [harness.key_of(r) for r in loopback.requests] == keys
    assert loopback.connections == 1  # one pool, no client built per key


@each(HTTP)
async def test_an_environment_key_goes_only_to_its_own_endpoint(
    harness: Harness, loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.setenv(harness.key_env, harness.key)
    monkeypatch.setenv(harness.url_env, harness.base_url(loopback.url))
    serve(harness, loopback, harness.reply("ok"), harness.reply("ok"))
    async with type(harness.make(loopback.url))() as client:  # everything from the environment
        final_message(await collect(client, harness.request()))
    assert harness.key_of(loopback.requests[0]) == harness.key
    monkeypatch.delenv(harness.url_env)
    async with harness.make(loopback.url) as client:  # an explicit endpoint: not that key
        events = await collect(client, harness.request())
    if harness.name in ("anthropic", "gemini"):
        assert isinstance(only_error(events), MissingAPIKeyError)
    else:  # keyless servers are fine, but get no key
        final_message(events)
        assert harness.key_of(loopback.requests[1]) in (None, "pollytool-no-key")


@each(HTTP)
async def test_repr_shows_no_key_and_no_url_credentials(harness: Harness) -> None:
    client = harness.make("https://user:url-secret-1234@example.com", api_key=harness.key)
    assert "url-secret" not in repr(client) and harness.key not in repr(client)
    assert "example.com" in repr(client)


@each(HTTP)
async def test_errors_are_redacted_and_chained(harness: Harness, loopback: LoopbackServer) -> None:
    echo = {"error": {"message": f"bad key {harness.key}", "type": "authentication_error",
                      "code": 401, "status": "UNAUTHENTICATED", "key": harness.key}}  # fmt: skip
    if harness.name == "ollama":
        echo = {"error": f"bad key {harness.key}"}
    serve(harness, loopback, Reply.json(echo, 401))
    async with harness.client(loopback.url) as client:
        error = only_error(await collect(client, harness.request()))
    assert isinstance(error, AuthenticationError)
    assert isinstance(error.__cause__, VendorException)  # chained to what the SDK raised
    assert harness.key not in str(error) + repr(error) + repr(error.body)
    assert harness.key not in logged(error)  # what logging.exception prints


@each(HTTP)
async def test_a_connection_error_hides_url_credentials(harness: Harness) -> None:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    await listener.aclose()  # nothing listens there any more
    async with harness.client(f"http://user:url-secret-1234@127.0.0.1:{port}") as client:
        error = only_error(await collect(client, harness.request()))
    assert error.retryable and error.__cause__ is not None
    assert "url-secret" not in logged(error)


@each(HTTP)
async def test_what_cannot_be_encoded_is_a_configuration_error(
    harness: Harness, loopback: LoopbackServer
) -> None:
    async with harness.client(loopback.url) as client:
        req = harness.request(messages=[harness.invalid_message, *harness.request().messages])
        error = only_error(await collect(client, req))
    assert isinstance(error, ConfigurationError), error
    assert loopback.requests == []


@each(HTTP)
def test_retries_and_timeout_are_one_setting(harness: Harness) -> None:
    client = harness.make("http://127.0.0.1:9", max_retries=5, timeout=12.5)
    assert (client.max_retries, client.timeout) == (5, 12.5)
    for bad in ({"max_retries": -1}, {"max_retries": 1.5}, {"timeout": 0}, {"timeout": "x"}):
        with pytest.raises(ConfigurationError):
            harness.make("http://127.0.0.1:9", **bad)


@each(HTTP)
async def test_event_rules_hold_for_many_small_pieces(
    harness: Harness, loopback: LoopbackServer
) -> None:
    """One more rules check with the whole of a longer reply (and nothing left open)."""
    serve(harness, loopback, harness.reply("a b c d e f g", CALLS[:1]))
    async with harness.client(loopback.url) as client:
        events = await collect(client, harness.request())
    check_event_rules(events)
    with anyio.fail_after(5):
        await loopback.wait_idle()


@each(HTTP)
async def test_a_burst_of_first_requests_builds_one_vendor_client(
    harness: Harness, loopback: LoopbackServer
) -> None:
    """A service that starts under load sends many requests before the SDK client exists:
    they wait for one build instead of each building (and throwing away) a client of its own,
    which cost a TLS context per request."""
    loopback.always("POST", harness.path(), harness.reply("hi"))
    async with harness.client(loopback.url) as client:
        build, builds = client._build_vendor, []

        def counted() -> Any:
            builds.append(1)
            return build()

        client._build_vendor = counted  # type: ignore[method-assign]
        texts: list[str] = []

        async def one() -> None:
            texts.append(text_of(await collect(client, harness.request())))

        async with anyio.create_task_group() as tg:
            for _ in range(20):
                tg.start_soon(one)
    assert texts == ["hi"] * 20
    assert len(builds) == 1


@each(HTTP[:1])
async def test_requests_waiting_on_a_failed_build_try_again(
    harness: Harness, loopback: LoopbackServer
) -> None:
    loopback.always("POST", harness.path(), harness.reply("hi"))
    async with harness.client(loopback.url) as client:
        build, builds = client._build_vendor, []

        def failing_once() -> Any:
            builds.append(1)
            if len(builds) == 1:
                raise ImportError("the SDK is broken")
            return build()

        client._build_vendor = failing_once  # type: ignore[method-assign]
        results: list[str] = []

        async def one() -> None:
            events = await collect(client, harness.request())
            errors = [e for e in events if isinstance(e, ErrorEvent)]
            results.append(type(errors[0].error).__name__ if errors else text_of(events))

        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(one)
    assert sorted(results) == ["ProviderUnavailableError"] + ["hi"] * 4
    assert len(builds) == 2
