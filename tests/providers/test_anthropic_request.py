"""What AnthropicClient sends: thinking per model, max_tokens, temperature, history, parts,
tools, structured output and prompt caching, captured on the wire by the loopback server."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from pollytool.errors import ConfigurationError, MissingAPIKeyError, SchemaError
from pollytool.messages import (
    ChatMessage,
    ChatMessageToolCall,
    FilePart,
    FileURLPart,
    ImagePart,
    ImageURLPart,
    TextPart,
)
from pollytool.providers.anthropic import AnthropicClient
from pollytool.providers.anthropic._models import ModelCapabilities, capabilities
from pollytool.request import CompletionRequest
from pollytool.schema import Schema
from tests.fakes.loopback import LoopbackServer, RecordedRequest, Reply
from tests.providers._contract import collect, final_message, only_error
from tests.providers.test_anthropic_stream import (
    KEY,
    PATH,
    SchemaTool,
    message_end,
    message_start,
    sse,
    text_block,
    user_request,
)

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning"),
]

Send = Callable[[CompletionRequest], Awaitable[dict[str, Any]]]


WEATHER = SchemaTool(
    "get_weather",
    {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "get_weather",
        "description": "Weather for a city",
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
)
OK_REPLY = sse(message_start(), text_block(0, "ok"), message_end("end_turn", 1))
OK_MESSAGE = Reply.json({
    "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test",
    "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn",
    "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 1},
})  # fmt: skip


def ok_reply(request: RecordedRequest) -> Reply:
    return OK_REPLY if request.json().get("stream") else OK_MESSAGE


@pytest.fixture
async def send(loopback: LoopbackServer) -> AsyncIterator[Send]:
    """Send a request, check it succeeded, and return the JSON body the server received."""
    loopback.always("POST", PATH, ok_reply)
    async with AnthropicClient(api_key=KEY, base_url=loopback.url, max_retries=0) as client:

        async def sender(req: CompletionRequest) -> dict[str, Any]:
            final_message(await collect(client, req))
            body: dict[str, Any] = loopback.requests[-1].json()
            return body

        yield sender


# --------------------------------------------------------------------------- model table


@pytest.mark.parametrize(
    ("model", "caps"),
    [
        ("claude-opus-4-6", ModelCapabilities(True, False, True, True)),
        ("claude-sonnet-4-6-20260217", ModelCapabilities(True, False, True, True)),
        ("claude-opus-4-7", ModelCapabilities(True, True, True, False)),
        ("claude-opus-5", ModelCapabilities(True, True, True, False)),
        ("claude-haiku-5-5", ModelCapabilities(True, True, True, True)),
        ("claude-mythos-preview", ModelCapabilities(True, True, True, True)),
        ("claude-sonnet-4-5-20250929", ModelCapabilities(False, False, True, True)),
        ("claude-haiku-4-5", ModelCapabilities(False, False, True, True)),
        ("claude-opus-4-1-20250805", ModelCapabilities(False, False, True, True)),
        ("claude-sonnet-4-20250514", ModelCapabilities(False, False, False, True)),
        ("claude-3-7-sonnet-latest", ModelCapabilities(False, False, False, True)),
        ("my-company-proxy", ModelCapabilities(False, False, False, True)),
    ],
)
def test_capability_table(model: str, caps: ModelCapabilities) -> None:
    assert capabilities(model) == caps


# --------------------------------------------------------------------------- thinking


@pytest.mark.parametrize(
    ("model", "thinking", "max_tokens", "expected"),
    [
        ("claude-opus-4-6", "high", None,
         {"thinking": {"type": "adaptive"}, "effort": "high", "max_tokens": 16384 + 4096}),
        ("claude-opus-4-6", "xhigh", None,
         {"thinking": {"type": "adaptive"}, "effort": "high", "max_tokens": 32768 + 4096}),
        ("claude-opus-4-7", "xhigh", 50000,
         {"thinking": {"type": "adaptive"}, "effort": "xhigh", "max_tokens": 50000}),
        ("claude-sonnet-4-6-20260217", "minimal", None,
         {"thinking": {"type": "adaptive"}, "effort": "low", "max_tokens": 1024 + 4096}),
        ("claude-opus-5", "dynamic", None,
         {"thinking": {"type": "adaptive"}, "effort": None, "max_tokens": 8192 + 4096}),
        ("claude-opus-4-6", 20000, None,
         {"thinking": {"type": "adaptive"}, "effort": "high", "max_tokens": 20000 + 4096}),
        ("claude-sonnet-4-5-20250929", "low", None,
         {"thinking": {"type": "enabled", "budget_tokens": 4096}, "effort": None,
          "max_tokens": 4096 + 4096}),
        ("claude-sonnet-4-20250514", 500, None,
         {"thinking": {"type": "enabled", "budget_tokens": 1024}, "effort": None,
          "max_tokens": 1024 + 4096}),
        ("claude-3-7-sonnet-latest", 12000, 2000,
         {"thinking": {"type": "enabled", "budget_tokens": 12000}, "effort": None,
          "max_tokens": 14000}),
        ("claude-haiku-4-5", "max", None,
         {"thinking": {"type": "enabled", "budget_tokens": 64000 - 4096}, "effort": None,
          "max_tokens": 64000}),
        ("claude-opus-4-6", "max", None,
         {"thinking": {"type": "adaptive"}, "effort": "max", "max_tokens": 64000}),
        ("claude-haiku-4-5", "max", 90000,
         {"thinking": {"type": "enabled", "budget_tokens": 65536}, "effort": None,
          "max_tokens": 90000}),
        ("claude-sonnet-4-6", "off", None,
         {"thinking": {"type": "disabled"}, "effort": None, "max_tokens": 8192}),
        ("claude-sonnet-4-6", None, None,
         {"thinking": None, "effort": None, "max_tokens": 8192}),
        ("claude-sonnet-4-6", None, 100,
         {"thinking": None, "effort": None, "max_tokens": 100}),
    ],
)  # fmt: skip
async def test_thinking_per_model(
    send: Send, model: str, thinking: Any, max_tokens: int | None, expected: dict[str, Any]
) -> None:
    body = await send(
        user_request(model, thinking=thinking, max_tokens=max_tokens, temperature=0.5)
    )
    assert body.get("thinking") == expected["thinking"]
    assert body.get("output_config", {}).get("effort") == expected["effort"]
    assert body["max_tokens"] == expected["max_tokens"]
    budget = (body.get("thinking") or {}).get("budget_tokens", 0)
    assert body["max_tokens"] > budget
    thinking_on = expected["thinking"] is not None and expected["thinking"]["type"] != "disabled"
    assert ("temperature" in body) is not thinking_on
    if not thinking_on:
        assert body["temperature"] == 0.5


async def test_temperature_left_out_for_models_that_reject_it(send: Send) -> None:
    assert "temperature" not in await send(user_request("claude-opus-4-7", temperature=0.2))
    assert (await send(user_request("claude-opus-4-6", temperature=0.2)))["temperature"] == 0.2


async def test_non_streamed_call_with_a_large_budget(send: Send) -> None:
    """The SDK refuses non-streamed calls with max_tokens above ~21k unless a timeout is
    given; the adapter gives one, so big thinking budgets work without streaming."""
    body = await send(user_request("claude-sonnet-4-5-20250929", thinking="xhigh", stream=False))
    assert body["max_tokens"] == 32768 + 4096
    assert body["stream"] is False


# --------------------------------------------------------------------------- history


async def test_all_system_messages_are_joined_in_order(send: Send) -> None:
    messages = [
        ChatMessage.system("You are terse."),
        ChatMessage.user("Hi"),
        ChatMessage("system", "Answer in French.", parts=[TextPart("Be kind.")]),
        ChatMessage.system(""),
    ]
    body = await send(CompletionRequest("claude-sonnet-4-6", messages))
    assert body["system"] == [
        {"type": "text", "text": "You are terse."},
        {"type": "text", "text": "Answer in French."},
        {"type": "text", "text": "Be kind."},
    ]
    assert body["messages"] == [{"role": "user", "content": "Hi"}]  # one text block: a string


async def test_empty_messages_are_left_out_and_turns_merged(send: Send) -> None:
    messages = [
        ChatMessage.user("First"),
        ChatMessage.assistant(""),  # nothing to send: skipped
        ChatMessage.user(""),  # nothing to send: skipped
        ChatMessage.user("Second", TextPart("")),
    ]
    body = await send(CompletionRequest("claude-sonnet-4-6", messages))
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "First"},
                                     {"type": "text", "text": "Second"}]},
    ]  # fmt: skip


async def test_a_request_with_nothing_to_send_is_an_error(loopback: LoopbackServer) -> None:
    async with AnthropicClient(api_key=KEY, base_url=loopback.url) as client:
        req = CompletionRequest("claude-sonnet-4-6", [ChatMessage.system("x"), ChatMessage.user()])
        error = only_error(await collect(client, req))
    assert isinstance(error, ConfigurationError)
    assert loopback.requests == []


PNG = b"\x89PNG\r\n\x1a\nfake"
PDF = b"%PDF-1.7 fake"


async def test_images_and_documents(send: Send) -> None:
    data_url = "data:image/jpeg;base64," + base64.b64encode(b"jpeg").decode()
    message = ChatMessage.user(
        "Look:",
        ImagePart(PNG, "image/png"),
        ImageURLPart("https://example.com/cat.png"),
        ImageURLPart(data_url),
        FilePart(PDF, "application/pdf", "report.pdf"),
        FilePart(b"plain words", "text/plain", "notes.txt"),
        FileURLPart("https://example.com/paper.pdf"),
    )
    body = await send(CompletionRequest("claude-sonnet-4-6", [message]))
    b64 = base64.b64encode
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "Look:"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                     "data": b64(PNG).decode()}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}},
        {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg",
                                     "data": b64(b"jpeg").decode()}},
        {"type": "document", "title": "report.pdf",
         "source": {"type": "base64", "media_type": "application/pdf", "data": b64(PDF).decode()}},
        {"type": "document", "title": "notes.txt",
         "source": {"type": "text", "media_type": "text/plain", "data": "plain words"}},
        {"type": "document", "source": {"type": "url", "url": "https://example.com/paper.pdf"}},
    ]  # fmt: skip


@pytest.mark.parametrize(
    "part",
    [
        FilePart(b"PK..", "application/zip", "a.zip"),
        FileURLPart("https://example.com/a.docx", "application/msword"),
        ImageURLPart("data:image/png,notbase64"),
    ],
)
async def test_unsupported_parts_are_clear_errors(loopback: LoopbackServer, part: Any) -> None:
    async with AnthropicClient(api_key=KEY, base_url=loopback.url) as client:
        req = CompletionRequest("claude-sonnet-4-6", [ChatMessage.user("x", part)])
        error = only_error(await collect(client, req))
    assert isinstance(error, ConfigurationError)
    assert loopback.requests == []


async def test_tool_results_of_a_turn_form_one_user_message_in_call_order(send: Send) -> None:
    calls = [
        ChatMessageToolCall("toolu_a", "get_weather", '{"city": "Paris"}'),
        ChatMessageToolCall("toolu_b", "get_weather", '{"city": "Rome'),  # cut off by the model
    ]
    messages = [
        ChatMessage.user("Weather?"),
        ChatMessage.assistant("Checking.", calls),
        ChatMessage.tool_result("toolu_b", "failed", is_error=True),
        ChatMessage("tool", "", parts=[ImagePart(PNG)], tool_call_id="toolu_a"),
        ChatMessage.user("Thanks"),
    ]
    body = await send(CompletionRequest("claude-sonnet-4-6", messages, tools=[WEATHER]))
    assert body["messages"][1:] == [
        {"role": "assistant", "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_a", "name": "get_weather",
             "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "toolu_b", "name": "get_weather", "input": {}},
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_a", "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                             "data": base64.b64encode(PNG).decode()}}]},
            {"type": "tool_result", "tool_use_id": "toolu_b", "content": "failed",
             "is_error": True},
            {"type": "text", "text": "Thanks"},
        ]},
    ]  # fmt: skip


async def test_tool_result_without_an_id_is_an_error(loopback: LoopbackServer) -> None:
    messages = [ChatMessage.user("x"), ChatMessage.tool_result("", "out", tool_name="t")]
    async with AnthropicClient(api_key=KEY, base_url=loopback.url) as client:
        error = only_error(await collect(client, CompletionRequest("claude-sonnet-4-6", messages)))
    assert isinstance(error, ConfigurationError) and "tool_call_id" in str(error)


async def test_kept_thinking_blocks_go_back_where_they_were(send: Send) -> None:
    thinking = {"type": "thinking", "thinking": "plan", "signature": "sig-1"}
    later = {"type": "thinking", "thinking": "more", "signature": "sig-2"}
    assistant = ChatMessage.assistant("Sure.", [ChatMessageToolCall("toolu_a", "f", "{}")])
    assistant.provider_metadata = {
        "anthropic": {"blocks": [thinking, later], "positions": [0, 1]},
        "openai": {"reasoning": "not for Anthropic"},
    }
    foreign = ChatMessage.assistant("From elsewhere.")
    foreign.provider_metadata = {"gemini": {"thought_signature": b"x"}}
    messages = [
        ChatMessage.user("a"), assistant, ChatMessage.tool_result("toolu_a", "done"),
        foreign, ChatMessage.user("b"),
    ]  # fmt: skip
    body = await send(CompletionRequest("claude-sonnet-4-6", messages))
    assert body["messages"][1]["content"] == [
        thinking,
        {"type": "text", "text": "Sure."},
        later,
        {"type": "tool_use", "id": "toolu_a", "name": "f", "input": {}},
    ]
    assert body["messages"][3]["content"] == "From elsewhere."


# --------------------------------------------------------------------------- tools


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, None),
        ("auto", {"type": "auto"}),
        ("none", {"type": "none"}),
        ("required", {"type": "any"}),
        ("get_weather", {"type": "tool", "name": "get_weather"}),
    ],
)
async def test_tools_and_tool_choice(
    send: Send, choice: str | None, expected: dict[str, Any] | None
) -> None:
    body = await send(user_request(tools=[WEATHER], tool_choice=choice))
    assert body["tools"] == [
        {
            "name": "get_weather",
            "description": "Weather for a city",
            "input_schema": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        }
    ]
    assert body.get("tool_choice") == expected
    assert "$schema" in WEATHER.schema  # the tool's own schema is untouched


# --------------------------------------------------------------------------- structured output

BOOK = Schema(
    {
        "$defs": {"Author": {"type": "object", "properties": {"name": {"type": "string"}}}},
        "type": "object",
        "properties": {"title": {"type": "string", "maxLength": 80},
                       "author": {"$ref": "#/$defs/Author"}},
        "required": ["title"],
    },
    name="book",
    description="A book.",
)  # fmt: skip


async def test_native_structured_output(send: Send) -> None:
    body = await send(user_request("claude-sonnet-4-6", response_schema=BOOK, thinking="low"))
    assert body["output_config"]["effort"] == "low"
    output_format = body["output_config"]["format"]
    assert output_format["type"] == "json_schema"
    schema = output_format["schema"]
    assert schema["additionalProperties"] is False  # Anthropic's output dialect
    assert schema["properties"]["author"]["properties"] == {"name": {"type": "string"}}
    assert "maxLength" not in schema["properties"]["title"]
    assert "tools" not in body and "tool_choice" not in body


async def test_fallback_structured_output_tool(send: Send) -> None:
    body = await send(user_request("claude-sonnet-4-20250514", response_schema=BOOK))
    assert "output_config" not in body
    assert body["tool_choice"] == {"type": "tool", "name": "book"}
    (tool,) = body["tools"]
    assert (tool["name"], tool["description"]) == ("book", "A book.")
    assert tool["input_schema"]["properties"]["author"]["type"] == "object"


async def test_fallback_tool_is_not_forced_while_thinking(send: Send) -> None:
    body = await send(user_request("claude-sonnet-4-20250514", response_schema=BOOK,
                                   thinking="low"))  # fmt: skip
    assert [t["name"] for t in body["tools"]] == ["book"]
    assert "tool_choice" not in body  # Anthropic rejects a forced tool while thinking


async def test_schema_name_clashing_with_a_tool(loopback: LoopbackServer) -> None:
    schema = Schema({"type": "object", "properties": {}}, name="get_weather")
    req = user_request("claude-sonnet-4-0", tools=[WEATHER], response_schema=schema)
    async with AnthropicClient(api_key=KEY, base_url=loopback.url) as client:
        assert isinstance(only_error(await collect(client, req)), ConfigurationError)


async def test_schema_that_is_not_an_object(loopback: LoopbackServer) -> None:
    req = user_request("claude-sonnet-4-6", response_schema=Schema({"type": "array"}))
    async with AnthropicClient(api_key=KEY, base_url=loopback.url) as client:
        assert isinstance(only_error(await collect(client, req)), SchemaError)


# --------------------------------------------------------------------------- caching


async def test_prompt_caching_marks_system_tools_and_last_user_turn(send: Send) -> None:
    messages = [
        ChatMessage.system("Long instructions."),
        ChatMessage.user("First question"),
        ChatMessage.assistant("First answer"),
        ChatMessage.user("Second question", ImagePart(PNG)),
    ]
    req = CompletionRequest("claude-sonnet-4-6", messages, tools=[WEATHER],
                            provider_options={"cache": True})  # fmt: skip
    body = await send(req)
    ephemeral = {"type": "ephemeral"}
    assert body["system"][-1]["cache_control"] == ephemeral
    assert body["tools"][-1]["cache_control"] == ephemeral
    last_user = body["messages"][-1]["content"]
    assert [b.get("cache_control") for b in last_user] == [None, ephemeral]
    marked = [b for m in body["messages"][:-1] for b in m["content"] if "cache_control" in b]
    assert marked == []
    uncached = await send(CompletionRequest("claude-sonnet-4-6", messages, tools=[WEATHER]))
    assert "cache_control" not in str(uncached)


# --------------------------------------------------------------------------- the client


async def test_missing_key_is_a_typed_error(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    async with AnthropicClient(base_url=loopback.url) as client:
        error = only_error(await collect(client, user_request()))
    assert isinstance(error, MissingAPIKeyError) and error.env_var == "ANTHROPIC_API_KEY"
    assert loopback.requests == []


async def test_key_from_the_environment(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env-123456")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", loopback.url)
    loopback.always("POST", PATH, OK_REPLY)
    async with AnthropicClient() as client:
        final_message(await collect(client, user_request()))
    headers = loopback.requests[0].headers
    assert headers["authorization"] == "Bearer sk-ant-from-env-123456"
    assert "x-api-key" not in headers


async def test_one_connection_pool_and_per_request_overrides(loopback: LoopbackServer) -> None:
    loopback.always("POST", PATH, OK_REPLY)
    client = AnthropicClient(api_key=KEY, base_url="http://127.0.0.1:9", max_retries=0)
    async with client:
        for key in (None, "sk-ant-other-key-42", None):
            final_message(await collect(client, user_request(api_key=key, base_url=loopback.url)))
        assert loopback.connections == 1  # every call reused the one pool
    await client.aclose()  # closing twice is harmless
    async with client:  # and the client works again afterwards
        final_message(await collect(client, user_request(base_url=loopback.url)))
    auth = [r.headers["authorization"] for r in loopback.requests]
    assert auth == [f"Bearer {KEY}", "Bearer sk-ant-other-key-42", f"Bearer {KEY}", f"Bearer {KEY}"]
    assert loopback.connections == 2
    assert repr(client) == "AnthropicClient(base_url='http://127.0.0.1:9')"
