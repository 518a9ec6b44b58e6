"""What GeminiClient puts on the wire: history, images, tool results, tools, tool choice,
structured output, thinking per model family, options, per-request overrides and the
client's transport, timeout and lifecycle. The real google-genai SDK sends to the loopback
server; the assertions read the captured request bodies."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pollytool.errors import ConfigurationError
from pollytool.events import CompleteEvent, ErrorEvent, StreamEvent
from pollytool.messages import (
    ChatMessage,
    ChatMessageToolCall,
    FilePart,
    FileURLPart,
    ImagePart,
    ImageURLPart,
)
from pollytool.providers.gemini import GeminiClient
from pollytool.providers.gemini._dialect import to_gemini
from pollytool.request import CompletionRequest
from pollytool.thinking import Thinking
from tests.fakes.loopback import LoopbackServer, Reply

pytestmark = pytest.mark.anyio

API_KEY = "AIzaRequestTestKey0123456789abcdefgh"
OK = Reply.sse([(None, {"candidates": [{"content": {"role": "model", "parts": [{"text": "ok"}]},
                                        "finishReason": "STOP", "index": 0}]})])  # fmt: skip


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Weather:
    name = "get_weather"

    def __init__(self) -> None:
        self.schema: dict[str, Any] = {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "title": "get_weather",
            "description": "Current weather for a city.",
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": ["string", "null"], "enum": ["c", "f", None]},
                "kind": {"const": "current"},
            },
            "required": ["city"],
            "additionalProperties": False,
        }

    async def execute(self, args: dict[str, Any]) -> str:
        raise AssertionError("not run here")


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(word.title() for word in rest)


def camel(obj: Any) -> Any:
    """The SDK writes nested objects in snake_case and top-level ones in camelCase; both are
    valid proto JSON. Compare in camelCase."""
    if isinstance(obj, dict):
        return {_camel(k): camel(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [camel(v) for v in obj]
    return obj


async def send(
    server: LoopbackServer, req: CompletionRequest, **options: Any
) -> tuple[list[StreamEvent], dict[str, Any] | None]:
    """Send *req*; the events and the body the server received (``None`` if none)."""
    server.always("POST", None, OK)
    async with GeminiClient(API_KEY, server.url, max_retries=0, **options) as client:
        events = [event async for event in client.stream(req)]
    body = camel(server.requests[-1].json()) if server.requests else None
    return events, body


def request(*messages: ChatMessage, **fields: Any) -> CompletionRequest:
    return CompletionRequest(fields.pop("model", "gemini-2.5-flash"),
                             list(messages) or [ChatMessage.user("Hi")], **fields)  # fmt: skip


# --------------------------------------------------------------------------- history


async def test_history_system_images_and_tool_results(loopback: LoopbackServer) -> None:
    png = b"\x89PNG\r\n\x1a\nfake"
    calls = [ChatMessageToolCall("call_1", "get_weather", '{"city": "Paris"}'),
             ChatMessageToolCall("call_2", "get_time", "{}")]  # fmt: skip
    req = request(
        ChatMessage.system("Be terse."),
        ChatMessage.user(
            "Look:",
            ImagePart(png, "image/png"),
            ImageURLPart("https://example.com/cat.png"),
            ImageURLPart("data:image/jpeg;base64,/9j/AAAA"),
            FileURLPart("gs://bucket/report.pdf"),
            FilePart(b"%PDF-1.7", "application/pdf", "a.pdf"),
        ),
        ChatMessage.system("Answer in French."),
        ChatMessage.assistant("Checking.", calls),
        ChatMessage.tool_result("call_1", '{"celsius": 21}'),
        ChatMessage.tool_result("call_2", "clock broke", is_error=True),
        ChatMessage.user("And now?"),
    )
    events, body = await send(loopback, req)
    assert isinstance(events[-1], CompleteEvent)
    assert body is not None
    assert body["systemInstruction"]["parts"] == [{"text": "Be terse.\n\nAnswer in French."}]
    user, model, results, last = body["contents"]
    assert user == {"role": "user", "parts": [
        {"text": "Look:"},
        {"inlineData": {"data": "iVBORw0KGgpmYWtl", "mimeType": "image/png"}},
        {"fileData": {"fileUri": "https://example.com/cat.png", "mimeType": "image/png"}},
        {"inlineData": {"data": "_9j_AAAA", "mimeType": "image/jpeg"}},  # URL-safe base64
        {"fileData": {"fileUri": "gs://bucket/report.pdf", "mimeType": "application/pdf"}},
        {"inlineData": {"data": "JVBERi0xLjc=", "mimeType": "application/pdf"}},
    ]}  # fmt: skip
    assert model == {"role": "model", "parts": [
        {"text": "Checking."},
        {"functionCall": {"id": "call_1", "name": "get_weather", "args": {"city": "Paris"}}},
        {"functionCall": {"id": "call_2", "name": "get_time", "args": {}}},
    ]}  # fmt: skip
    assert results == {"role": "user", "parts": [
        {"functionResponse": {"id": "call_1", "name": "get_weather",
                              "response": {"celsius": 21}}},
        {"functionResponse": {"id": "call_2", "name": "get_time",
                              "response": {"error": "clock broke"}}},
    ]}  # fmt: skip
    assert last == {"role": "user", "parts": [{"text": "And now?"}]}


async def test_a_tool_result_without_a_known_name_is_a_configuration_error(
    loopback: LoopbackServer,
) -> None:
    req = request(ChatMessage.user("Hi"), ChatMessage.tool_result("call_unknown", "42"))
    events, body = await send(loopback, req)
    assert isinstance(events[-1], ErrorEvent)
    assert isinstance(events[-1].error, ConfigurationError)
    assert "tool_name" in str(events[-1].error)
    assert body is None  # nothing was sent


async def test_sampling_settings_and_provider_options(loopback: LoopbackServer) -> None:
    harassment = {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}
    req = request(temperature=0.2, max_tokens=100,
                  provider_options={"top_p": 0.5, "safety_settings": [harassment]})  # fmt: skip
    _, body = await send(loopback, req)
    assert body is not None
    config = body["generationConfig"]
    assert (config["temperature"], config["maxOutputTokens"], config["topP"]) == (0.2, 100, 0.5)
    assert body["safetySettings"] == [camel(harassment)]


async def test_nothing_optional_is_sent_by_default(loopback: LoopbackServer) -> None:
    _, body = await send(loopback, request())
    assert body is not None
    assert set(body) <= {"contents", "generationConfig"}
    assert body.get("generationConfig", {}) == {}


async def test_unknown_provider_options_are_a_configuration_error(
    loopback: LoopbackServer,
) -> None:
    events, body = await send(loopback, request(provider_options={"no_such_field": 1}))
    assert isinstance(events[-1], ErrorEvent)
    assert isinstance(events[-1].error, ConfigurationError)
    assert body is None


# --------------------------------------------------------------------------- tools and schema


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, None),
        ("auto", {"mode": "AUTO"}),
        ("none", {"mode": "NONE"}),
        ("required", {"mode": "ANY"}),
        ("get_weather", {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}),
    ],
)
async def test_tools_in_gemini_dialect_and_tool_choice(
    loopback: LoopbackServer, choice: str | None, expected: dict[str, Any] | None
) -> None:
    tool = Weather()
    original = copy.deepcopy(tool.schema)
    _, body = await send(loopback, request(tools=[tool], tool_choice=choice))
    assert body is not None
    (declaration,) = body["tools"][0]["functionDeclarations"]
    assert declaration["name"] == "get_weather"
    assert declaration["description"] == "Current weather for a city."
    parameters = {k: v for k, v in original.items() if k not in ("$schema", "title",
                                                                 "description")}  # fmt: skip
    assert declaration["parametersJsonSchema"] == camel(to_gemini(parameters))
    assert "parameters" not in declaration
    assert "additionalProperties" not in declaration["parametersJsonSchema"]
    assert tool.schema == original  # the tool's own schema is untouched
    if expected is None:
        assert "toolConfig" not in body
    else:
        assert body["toolConfig"] == {"functionCallingConfig": expected}


async def test_tool_choice_naming_an_unknown_tool_is_a_configuration_error(
    loopback: LoopbackServer,
) -> None:
    req = request(tools=[Weather()])
    req.tool_choice = "get_time"  # changed after the request checked it
    events, body = await send(loopback, req)
    assert isinstance(events[-1], ErrorEvent)
    assert isinstance(events[-1].error, ConfigurationError) and body is None


async def test_structured_output_streams_with_a_json_schema(loopback: LoopbackServer) -> None:
    schema = {"type": "object", "properties": {"n": {"type": ["integer", "null"]}},
              "required": ["n"], "additionalProperties": False}  # fmt: skip
    _, body = await send(loopback, request(response_schema=schema))
    assert loopback.requests[0].path.endswith(":streamGenerateContent")
    assert body is not None
    config = body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"] == camel(to_gemini(schema))
    assert "responseSchema" not in config


# --------------------------------------------------------------------------- thinking


@pytest.mark.parametrize(
    ("model", "thinking", "expected"),
    [
        ("gemini-2.5-flash", Thinking.default(), None),
        ("gemini-2.5-flash", "high", {"includeThoughts": True, "thinkingBudget": 16384}),
        ("gemini-2.5-flash", "max", {"includeThoughts": True, "thinkingBudget": 24576}),
        ("gemini-2.5-pro", 2000, {"includeThoughts": True, "thinkingBudget": 2000}),
        ("gemini-2.5-flash", "dynamic", {"includeThoughts": True, "thinkingBudget": -1}),
        ("gemini-2.5-flash", "off", {"thinkingBudget": 0}),
        ("gemini-2.5-pro", "off", None),
        ("gemini-3-pro-preview", "low", {"includeThoughts": True, "thinkingLevel": "LOW"}),
        ("gemini-3-flash-preview", 5000, {"includeThoughts": True, "thinkingLevel": "LOW"}),
        ("gemini-3-flash-preview", "dynamic", {"includeThoughts": True}),
        ("gemini-3-flash-preview", "off", {"thinkingLevel": "MINIMAL"}),
        ("gemini-3-pro-preview", "off", None),
        ("gemini-2.0-flash", "high", None),
        ("gemini-flash-latest", "medium", {"includeThoughts": True, "thinkingBudget": 8192}),
    ],
)
async def test_thinking_config_per_model_family(
    loopback: LoopbackServer, model: str, thinking: Any, expected: dict[str, Any] | None
) -> None:
    _, body = await send(loopback, request(model=model, thinking=thinking))
    assert body is not None
    assert body.get("generationConfig", {}).get("thinkingConfig") == expected


async def test_thought_parts_stream_as_reasoning(loopback: LoopbackServer) -> None:
    loopback.add("POST", None, Reply.sse([
        (None, {"candidates": [{"content": {"parts": [{"text": "Hmm.", "thought": True}]}}]}),
        (None, {"candidates": [{"content": {"parts": [{"text": "Yes."}]},
                                "finishReason": "STOP"}]}),
    ]))  # fmt: skip
    events, _ = await send(loopback, request(thinking="low"))
    assert [e.type for e in events] == ["reasoning", "content", "complete"]
    assert isinstance(events[-1], CompleteEvent)
    assert (events[-1].message.reasoning, events[-1].message.content) == ("Hmm.", "Yes.")


# --------------------------------------------------------------------------- the client


async def test_request_overrides_go_to_another_endpoint_with_another_key(
    loopback: LoopbackServer,
) -> None:
    req = request(base_url=loopback.url + "/proxy", api_key="AIzaPerRequestKey0123456789abcdef",
                  timeout=5)  # fmt: skip
    events, _ = await send(loopback, req)
    assert isinstance(events[-1], CompleteEvent)
    sent = loopback.requests[0]
    assert sent.path == "/proxy/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    assert sent.headers["x-goog-api-key"] == "AIzaPerRequestKey0123456789abcdef"
    assert sent.headers["x-server-timeout"] == "5"


async def test_client_defaults_on_the_wire(loopback: LoopbackServer) -> None:
    await send(loopback, request())
    sent = loopback.requests[0]
    assert sent.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    assert sent.query == {"alt": ["sse"]}
    assert sent.headers["x-goog-api-key"] == API_KEY
    assert sent.headers["x-server-timeout"] == "600"  # the client's timeout, 600 s
    await send(loopback, request(), api_version="v1", timeout=30)
    assert loopback.requests[1].path == "/v1/models/gemini-2.5-flash:streamGenerateContent"
    assert loopback.requests[1].headers["x-server-timeout"] == "30"


async def test_the_transport_is_httpx2_even_when_aiohttp_is_importable(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx2
    from google.genai import _api_client

    monkeypatch.setattr(_api_client, "has_aiohttp", True)
    loopback.always("POST", None, OK)
    async with GeminiClient(API_KEY, loopback.url) as client:
        assert await client.stream(request()).text() == "ok"
        sdk = client._vendor
        assert sdk is not None
        assert sdk._api_client._use_aiohttp() is False
        assert isinstance(sdk._api_client._async_httpx_client, httpx2.AsyncClient)
    assert client._vendor is None


async def test_the_client_is_reusable_after_aclose(loopback: LoopbackServer) -> None:
    loopback.always("POST", None, OK)
    client = GeminiClient(API_KEY, loopback.url)
    assert await client.stream(request()).text() == "ok"
    first = client._vendor
    await client.aclose()
    assert await client.stream(request()).text() == "ok"
    assert client._vendor is not None and client._vendor is not first
    await client.aclose()
    assert API_KEY not in repr(client)


async def test_the_router_builds_it() -> None:
    from pollytool.providers import get_provider

    info = get_provider("gemini")
    assert info is not None
    client = info.load_factory()(api_key=API_KEY, base_url=None)
    assert isinstance(client, GeminiClient)
    await client.aclose()
