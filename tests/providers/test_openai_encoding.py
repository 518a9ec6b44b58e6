"""What the adapter sends (captured by the loopback server) and how it chooses the API, the
endpoint and the key; plus the non-streamed path's events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pollytool.errors import ConfigurationError, MissingAPIKeyError
from pollytool.events import (
    CompleteEvent,
    ContentEvent,
    ErrorEvent,
    ToolCallDeltaEvent,
    ToolCallEvent,
    ToolCallStartEvent,
    UsageEvent,
)
from pollytool.messages import (
    ChatMessage,
    ChatMessageToolCall,
    FilePart,
    FileURLPart,
    ImagePart,
    ImageURLPart,
    TextPart,
    Usage,
)
from pollytool.providers.openai import OpenAIClient
from pollytool.request import CompletionRequest
from pollytool.schema import Schema
from tests.fakes.loopback import LoopbackServer, RecordedRequest, Reply
from tests.providers._openai_support import (
    CHAT_USAGE,
    SchemaTool,
    call_item,
    chat_text_frames,
    check_event_rules,
    client_for,
    collect,
    message_item,
    response_object,
    responses_text_frames,
)

pytestmark = pytest.mark.anyio

APIS = ["chat", "responses"]
CLOSED = SchemaTool(
    "get_weather",
    "Weather.",
    {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
)
OPEN = SchemaTool(
    "search",
    "Search.",
    {
        "type": "object",
        "properties": {"q": {"type": "string"}, "limit": {"type": "integer"}},
        "required": ["q"],
    },
)


def ok(request: RecordedRequest) -> Reply:
    """A short successful answer in the shape the request asked for."""
    body = request.json()
    chat = request.path.endswith("/chat/completions")
    if body.get("stream"):
        return Reply.sse(chat_text_frames("ok") if chat else responses_text_frames("ok"))
    if chat:
        return Reply.json(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 1,
                "model": "gpt-test",
                "usage": CHAT_USAGE,
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": "ok"},
                    }
                ],
            }
        )
    return Reply.json(response_object([message_item("ok")]))


async def sent(loopback: LoopbackServer, req: CompletionRequest, **client: Any) -> dict[str, Any]:
    """The JSON body the adapter sent for *req* (which must succeed)."""
    loopback.always("POST", None, ok)
    async with client_for(loopback, **client) as openai:
        events = await collect(openai, req)
    assert isinstance(events[-1], CompleteEvent), events[-1]
    body: dict[str, Any] = loopback.requests[-1].json()
    return body


def request(
    api: str, messages: list[ChatMessage] | None = None, **kwargs: Any
) -> CompletionRequest:
    options = {"api": api, **kwargs.pop("provider_options", {})}
    return CompletionRequest(
        "gpt-test", messages or [ChatMessage.user("Hi")], provider_options=options, **kwargs
    )


# --------------------------------------------------------------------------- history


HISTORY = [
    ChatMessage.system("Rule one."),
    ChatMessage.user(
        "Look:",
        ImageURLPart("https://example.com/a.png", detail="low"),
        ImagePart(b"\x89PNG", "image/png"),
        TextPart("and"),
        FilePart(b"%PDF-1", "application/pdf", "spec.pdf"),
    ),
    ChatMessage.system("Rule two."),
    ChatMessage.assistant(
        "Checking.", [ChatMessageToolCall("call_1", "get_weather", '{"city":"Oslo"}')]
    ),
    ChatMessage.tool_result("call_1", "-3C", tool_name="get_weather"),
]


async def test_chat_history(loopback: LoopbackServer) -> None:
    body = await sent(loopback, request("chat", HISTORY))
    assert body["messages"] == [
        {"role": "system", "content": "Rule one."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Look:"},
                {
                    "type": "image_url",
                    "image_url": {"url": "https://example.com/a.png", "detail": "low"},
                },
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw=="}},
                {"type": "text", "text": "and"},
                {
                    "type": "file",
                    "file": {
                        "filename": "spec.pdf",
                        "file_data": "data:application/pdf;base64,JVBERi0x",
                    },
                },
            ],
        },
        {"role": "system", "content": "Rule two."},
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "-3C"},
    ]


async def test_responses_history(loopback: LoopbackServer) -> None:
    body = await sent(loopback, request("responses", HISTORY))
    assert "store" not in body and "include" not in body
    assert body["input"] == [
        {"role": "system", "content": "Rule one."},
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Look:"},
                {"type": "input_image", "image_url": "https://example.com/a.png", "detail": "low"},
                {
                    "type": "input_image",
                    "image_url": "data:image/png;base64,iVBORw==",
                    "detail": "auto",
                },
                {"type": "input_text", "text": "and"},
                {
                    "type": "input_file",
                    "filename": "spec.pdf",
                    "file_data": "data:application/pdf;base64,JVBERi0x",
                },
            ],
        },
        {"role": "system", "content": "Rule two."},
        {"role": "assistant", "content": "Checking."},
        {
            "type": "function_call",
            "call_id": "call_1",
            "name": "get_weather",
            "arguments": '{"city":"Oslo"}',
        },
        {"type": "function_call_output", "call_id": "call_1", "output": "-3C"},
    ]


async def test_file_urls_and_ids(loopback: LoopbackServer) -> None:
    files = ChatMessage.user(
        "Read",
        FileURLPart("https://example.com/a.pdf", filename="a.pdf"),
        FileURLPart("file-abc123"),
    )
    body = await sent(loopback, request("responses", [files]))
    assert body["input"][0]["content"][1:] == [
        {"type": "input_file", "file_url": "https://example.com/a.pdf", "filename": "a.pdf"},
        {"type": "input_file", "file_id": "file-abc123"},
    ]
    chat = await sent(loopback, request("chat", [ChatMessage.user("Read", FileURLPart("file-x"))]))
    assert chat["messages"][0]["content"][1] == {"type": "file", "file": {"file_id": "file-x"}}


def tool_run_with_image() -> list[ChatMessage]:
    """Two tool results, the first with an image, then the user again."""
    calls = [ChatMessageToolCall("call_1", "shot", "{}"), ChatMessageToolCall("call_2", "ls", "{}")]
    shot = ChatMessage.tool_result("call_1", "Screenshot taken.")
    shot.parts.append(ImagePart(b"\x89PNG", "image/png"))
    return [
        ChatMessage.user("Go"),
        ChatMessage.assistant("", calls),
        shot,
        ChatMessage.tool_result("call_2", "a.txt"),
        ChatMessage.user("Thanks"),
    ]


async def test_images_returned_by_tools(loopback: LoopbackServer) -> None:
    image_url = "data:image/png;base64,iVBORw=="
    body = await sent(loopback, request("chat", tool_run_with_image()))
    assert [(m["role"], m["content"]) for m in body["messages"][2:]] == [
        ("tool", "Screenshot taken."),
        ("tool", "a.txt"),  # tool messages stay together after the calls
        ("user", [{"type": "image_url", "image_url": {"url": image_url}}]),
        ("user", "Thanks"),
    ]
    body = await sent(loopback, request("responses", tool_run_with_image()))
    assert body["input"][3:5] == [
        {
            "type": "function_call_output",
            "call_id": "call_1",
            "output": [
                {"type": "input_text", "text": "Screenshot taken."},
                {"type": "input_image", "image_url": image_url, "detail": "auto"},
            ],
        },
        {"type": "function_call_output", "call_id": "call_2", "output": "a.txt"},
    ]


FILE_URL = [ChatMessage.user("Read", FileURLPart("https://example.com/a.pdf"))]
NO_CALL_ID = [ChatMessage("tool", "result without a call id")]
SYSTEM_IMAGE = [ChatMessage("system", "See", parts=[ImageURLPart("https://example.com/a.png")])]


@pytest.mark.parametrize(
    ("api", "messages"),
    [
        ("chat", FILE_URL),  # the Responses API fetches file URLs itself
        ("chat", NO_CALL_ID),
        ("responses", NO_CALL_ID),
        ("chat", SYSTEM_IMAGE),
        ("responses", SYSTEM_IMAGE),
    ],
    ids=[
        "chat-file-url",
        "chat-no-call-id",
        "responses-no-call-id",
        "chat-system-image",
        "responses-system-image",
    ],
)
async def test_what_cannot_be_sent_is_a_clear_error(
    api: str, messages: list[ChatMessage], loopback: LoopbackServer
) -> None:
    async with client_for(loopback) as client:
        events = await collect(client, request(api, messages))
    assert isinstance(events[-1], ErrorEvent)
    assert isinstance(events[-1].error, ConfigurationError)
    assert loopback.requests == []


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    ("thinking", "chat", "responses"),
    [
        ("high", "high", {"effort": "high", "summary": "auto"}),
        (5000, "low", {"effort": "low", "summary": "auto"}),
        ("dynamic", None, {"summary": "auto"}),
        ("off", None, None),
        (None, None, None),
    ],
)
async def test_thinking(
    thinking: Any, chat: str | None, responses: dict[str, str] | None, loopback: LoopbackServer
) -> None:
    body = await sent(loopback, request("chat", thinking=thinking))
    assert body.get("reasoning_effort") == chat
    body = await sent(loopback, request("responses", thinking=thinking))
    assert body.get("reasoning") == responses
    assert ("store" in body) == (responses is not None)


@pytest.mark.parametrize(
    ("choice", "chat", "responses"),
    [
        ("auto", "auto", "auto"),
        ("none", "none", "none"),
        ("required", "required", "required"),
        (
            "search",
            {"type": "function", "function": {"name": "search"}},
            {"type": "function", "name": "search"},
        ),
    ],
)
async def test_tool_choice(
    choice: str, chat: Any, responses: Any, loopback: LoopbackServer
) -> None:
    body = await sent(loopback, request("chat", tools=[OPEN], tool_choice=choice))
    assert body["tool_choice"] == chat
    body = await sent(loopback, request("responses", tools=[OPEN], tool_choice=choice))
    assert body["tool_choice"] == responses


async def test_tools_are_strict_only_when_their_schema_allows(loopback: LoopbackServer) -> None:
    body = await sent(loopback, request("responses", tools=[CLOSED, OPEN]))
    assert [(t["name"], t["strict"]) for t in body["tools"]] == [
        ("get_weather", True),
        ("search", False),
    ]
    assert body["tools"][1]["parameters"] == OPEN.parameters  # sent as declared
    body = await sent(loopback, request("chat", tools=[CLOSED, OPEN]))
    functions = [t["function"] for t in body["tools"]]
    assert [f.get("strict") for f in functions] == [True, None]
    assert functions[0] == {
        "name": "get_weather",
        "description": "Weather.",
        "parameters": CLOSED.parameters,
        "strict": True,
    }


SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name"],
}


async def test_response_schema(loopback: LoopbackServer) -> None:
    strict = Schema(SCHEMA, name="Person", description="A person.")
    body = await sent(loopback, request("responses", response_schema=strict))
    fmt = body["text"]["format"]
    assert (fmt["type"], fmt["name"], fmt["description"], fmt["strict"]) == (
        "json_schema",
        "Person",
        "A person.",
        True,
    )
    assert fmt["schema"]["required"] == ["name", "age"]  # optional became required + nullable
    assert fmt["schema"]["properties"]["age"]["type"] == ["integer", "null"]
    assert fmt["schema"]["additionalProperties"] is False

    loose = Schema(SCHEMA, name="Person", strict=False)
    body = await sent(loopback, request("chat", response_schema=loose))
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Person", "schema": SCHEMA, "strict": False},
    }


async def test_sampling_limits_and_extra_body(loopback: LoopbackServer) -> None:
    options = {"service_tier": "flex", "parallel_tool_calls": False}
    body = await sent(
        loopback, request("chat", temperature=0.2, max_tokens=50, provider_options=options)
    )
    assert (body["temperature"], body["max_tokens"]) == (0.2, 50)  # a compatible server's name
    assert body["service_tier"] == "flex" and body["parallel_tool_calls"] is False
    assert "api" not in body
    body = await sent(loopback, request("responses", max_tokens=50, provider_options=options))
    assert body["max_output_tokens"] == 50 and body["service_tier"] == "flex"


# --------------------------------------------------------------------------- API and endpoint


async def test_a_compatible_server_gets_chat_completions(loopback: LoopbackServer) -> None:
    await sent(loopback, CompletionRequest("local-model", [ChatMessage.user("Hi")]))
    assert loopback.requests[-1].path == "/v1/chat/completions"


async def test_api_openai_com_gets_the_responses_api() -> None:
    client = OpenAIClient(api_key="sk-test-0123456789")
    req = CompletionRequest("gpt-test", [ChatMessage.user("Hi")])
    assert client._encode(client._call(req)).api == "responses"  # nothing is sent
    await client.aclose()


async def test_an_unknown_api_option(loopback: LoopbackServer) -> None:
    async with client_for(loopback) as client:
        events = await collect(client, request("assistants"))
    assert isinstance(events[-1], ErrorEvent)
    assert isinstance(events[-1].error, ConfigurationError)
    assert "'responses' or 'chat'" in str(events[-1].error)


async def test_the_request_base_url_and_key_win(loopback: LoopbackServer) -> None:
    loopback.always("POST", None, ok)
    client = OpenAIClient(
        api_key="sk-client-key-000", base_url="http://127.0.0.1:9/v1", max_retries=0
    )
    req = CompletionRequest(
        "m", [ChatMessage.user("Hi")], base_url=loopback.url + "/v1", api_key="sk-request-key-111"
    )
    async with client:
        events = await collect(client, req)
    assert isinstance(events[-1], CompleteEvent)
    assert loopback.requests[0].headers["authorization"] == "Bearer sk-request-key-111"


async def test_keyless_servers_never_get_the_environment_key(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    loopback.always("POST", None, ok)
    async with OpenAIClient(base_url=loopback.url + "/v1", max_retries=0) as client:
        events = await collect(client, CompletionRequest("m", [ChatMessage.user("Hi")]))
    assert isinstance(events[-1], CompleteEvent)
    assert loopback.requests[0].headers["authorization"] == "Bearer pollytool-no-key"


async def test_no_key_and_no_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    async with OpenAIClient() as client:
        events = await collect(client, CompletionRequest("gpt-test", [ChatMessage.user("Hi")]))
    assert isinstance(events[-1], ErrorEvent)
    assert isinstance(events[-1].error, MissingAPIKeyError)
    assert "OPENAI_API_KEY" in str(events[-1].error)
    assert events[-1].error.env_var == "OPENAI_API_KEY"


async def test_one_connection_pool_reused_and_reopened_after_aclose(
    loopback: LoopbackServer,
) -> None:
    loopback.always("POST", None, ok)
    client = client_for(loopback)
    for _ in range(2):
        assert isinstance((await collect(client, request("chat")))[-1], CompleteEvent)
    assert loopback.connections == 1  # one keep-alive connection for both calls
    await client.aclose()
    assert isinstance((await collect(client, request("chat")))[-1], CompleteEvent)
    await client.aclose()
    assert loopback.connections == 2


# --------------------------------------------------------------------------- not streamed


@pytest.mark.parametrize("api", APIS)
async def test_a_reply_that_is_not_streamed(api: str, loopback: LoopbackServer) -> None:
    arguments = '{"city":"Oslo"}'
    if api == "chat":
        reply = Reply.json(
            {
                "id": "chatcmpl-9",
                "object": "chat.completion",
                "created": 1,
                "model": "gpt-test",
                "usage": CHAT_USAGE,
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "tool_calls",
                        "message": {
                            "role": "assistant",
                            "content": "Let me check.",
                            "tool_calls": [
                                {
                                    "id": "call_1",
                                    "type": "function",
                                    "function": {"name": "get_weather", "arguments": arguments},
                                }
                            ],
                        },
                    }
                ],
            }
        )
    else:
        reply = Reply.json(
            response_object(
                [
                    message_item("Let me check."),
                    call_item("call_1", "get_weather", arguments, "fc_1"),
                ]
            )
        )
    loopback.add("POST", None, reply)
    async with client_for(loopback) as client:
        events = await collect(client, request(api, tools=[CLOSED], stream=False))
    check_event_rules(events)
    assert [type(e) for e in events] == [
        ContentEvent,
        ToolCallStartEvent,
        ToolCallDeltaEvent,
        ToolCallEvent,
        UsageEvent,
        CompleteEvent,
    ]
    assert "stream" not in loopback.requests[0].json() or not loopback.requests[0].json()["stream"]
    message = events[-1].message  # type: ignore[union-attr]
    assert message.content == "Let me check."
    assert json.loads(message.tool_calls[0].arguments) == {"city": "Oslo"}
    assert message.usage == Usage(5, 7, 3, 1, 0)
