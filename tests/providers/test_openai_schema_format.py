"""Structured output on OpenAI-compatible servers that reject ``json_schema``: the automatic
``json_object`` fallback (as llama-cpp-python's server needs), its memory per base URL, and the
``schema_format`` provider option."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from pollytool.errors import ConfigurationError, ModelNotFoundError
from pollytool.messages import ChatMessage
from pollytool.request import CompletionRequest
from pollytool.schema import Schema, SchemaFormatWarning
from tests.fakes.loopback import LoopbackServer, Reply
from tests.providers._contract import only_error, text_of
from tests.providers._openai_support import (
    chat_text_frames,
    check_event_rules,
    client_for,
    collect,
)

pytestmark = pytest.mark.anyio

PATH = "/v1/chat/completions"
SCHEMA = Schema(
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    name="city",
)
ANSWER = '{"city": "Paris"}'
#: What llama-cpp-python's server answers a ``json_schema`` response format with.
LLAMA_CPP_REJECTION = {
    "error": {
        "message": "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', "
        "'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\", "
        "'input': 'json_schema'}",
        "type": "internal_server_error",
        "param": None,
        "code": None,
    }
}


def request(stream: bool = True, **options: Any) -> CompletionRequest:
    return CompletionRequest(
        "local",
        [ChatMessage.user("A city?")],
        response_schema=SCHEMA,
        stream=stream,
        provider_options=options,
    )


def answer(stream: bool) -> Reply:
    if stream:
        return Reply.sse(chat_text_frames(ANSWER))
    message = {"role": "assistant", "content": ANSWER}
    completion = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "local",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }
    return Reply.json(completion)


def formats_sent(server: LoopbackServer) -> list[dict[str, Any]]:
    return [r.json()["response_format"] for r in server.requests]


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
async def test_a_rejected_json_schema_is_asked_again_as_json_object_and_remembered(
    stream: bool, loopback: LoopbackServer
) -> None:
    loopback.add("POST", PATH, Reply.json(LLAMA_CPP_REJECTION, 500), answer(stream))
    loopback.add("POST", PATH, answer(stream))
    async with client_for(loopback, max_retries=2) as client:
        with pytest.warns(SchemaFormatWarning, match="json_object"):
            first = await collect(client, request(stream))
        with warnings.catch_warnings():
            warnings.simplefilter("error", SchemaFormatWarning)
            second = await collect(client, request(stream))
    for events in (first, second):
        check_event_rules(events)
        assert text_of(events) == ANSWER
    sent = formats_sent(loopback)
    assert sent[0]["type"] == "json_schema"
    json_object = {"type": "json_object", "schema": sent[0]["json_schema"]["schema"]}
    assert sent[1:] == [json_object, json_object]  # the SDK did not retry the rejection


async def test_a_server_that_takes_json_schema_keeps_getting_it(loopback: LoopbackServer) -> None:
    loopback.add("POST", PATH, answer(True), answer(True))
    async with client_for(loopback) as client:
        with warnings.catch_warnings():
            warnings.simplefilter("error", SchemaFormatWarning)
            for _ in range(2):
                assert text_of(await collect(client, request())) == ANSWER
    assert [f["type"] for f in formats_sent(loopback)] == ["json_schema", "json_schema"]


async def test_the_option_asks_for_json_object_directly(loopback: LoopbackServer) -> None:
    loopback.add("POST", PATH, answer(True))
    async with client_for(loopback) as client:
        events = await collect(client, request(schema_format="json_object"))
    assert text_of(events) == ANSWER
    body = loopback.requests[0].json()
    assert body["response_format"]["type"] == "json_object"
    assert body["response_format"]["schema"]["properties"] == SCHEMA.json_schema["properties"]
    assert "schema_format" not in body


async def test_asking_for_json_schema_explicitly_never_falls_back(
    loopback: LoopbackServer,
) -> None:
    loopback.add("POST", PATH, Reply.json(LLAMA_CPP_REJECTION, 500))
    async with client_for(loopback) as client:
        error = only_error(await collect(client, request(schema_format="json_schema")))
    assert error.status_code == 500
    assert len(loopback.requests) == 1


async def test_other_client_errors_are_reported_without_a_second_request(
    loopback: LoopbackServer,
) -> None:
    body = {"error": {"message": "model 'local' not found", "code": "model_not_found"}}
    loopback.add("POST", PATH, Reply.json(body, 404))
    async with client_for(loopback) as client:
        error = only_error(await collect(client, request()))
    assert isinstance(error, ModelNotFoundError)
    assert len(loopback.requests) == 1


async def test_a_transient_failure_of_the_first_request_is_retried(
    loopback: LoopbackServer,
) -> None:
    overloaded = {"error": {"message": "busy, try later", "type": "server_error"}}
    loopback.add("POST", PATH, Reply.json(overloaded, 503), answer(True))
    async with client_for(loopback) as client:
        events = await collect(client, request())
    assert text_of(events) == ANSWER
    assert [f["type"] for f in formats_sent(loopback)] == ["json_schema", "json_schema"]


async def test_an_unknown_schema_format_is_a_configuration_error(
    loopback: LoopbackServer,
) -> None:
    async with client_for(loopback) as client:
        error = only_error(await collect(client, request(schema_format="grammar")))
    assert isinstance(error, ConfigurationError)
    assert "schema_format" in str(error) and not loopback.requests
