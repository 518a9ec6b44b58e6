"""What OllamaClient sends: body fields, history, tools, thinking, options, host and key."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from pollytool.errors import ConfigurationError
from pollytool.messages import (
    ChatMessage,
    ChatMessageToolCall,
    FilePart,
    ImagePart,
    ImageURLPart,
    MessageRole,
    TextPart,
)
from pollytool.providers import get_provider
from pollytool.providers.ollama import DEFAULT_HOST, OllamaClient
from pollytool.request import CompletionRequest
from pollytool.thinking import Thinking
from tests.fakes.loopback import LoopbackServer, RecordedRequest, Reply
from tests.providers._contract import collect, final_message
from tests.providers.test_ollama_cassettes import WEATHER, SchemaTool

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OLLAMA_HOST", "OLLAMA_API_KEY", "POLLYTOOL_OLLAMA_BASEURL"):
        monkeypatch.delenv(name, raising=False)


def ok(text: str = "ok") -> Callable[[RecordedRequest], Reply]:
    """A successful reply with *text*, streamed or not as the request asks."""
    base = {"model": "m", "created_at": "2026-01-01T00:00:00Z"}
    final = {**base, "message": {"role": "assistant", "content": ""}, "done": True,
             "done_reason": "stop", "prompt_eval_count": 1, "eval_count": 1}  # fmt: skip

    def reply(request: RecordedRequest) -> Reply:
        if request.json()["stream"]:
            first = {**base, "message": {"role": "assistant", "content": text}, "done": False}
            return Reply.ndjson([first, final])
        return Reply.json({**final, "message": {"role": "assistant", "content": text}})

    return reply


async def sent_body(server: LoopbackServer, req: CompletionRequest) -> dict[str, Any]:
    """The body OllamaClient sends for *req* (whose reply must succeed)."""
    server.add("POST", "/api/chat", ok())
    async with OllamaClient(server.url) as client:
        final_message(await collect(client, req))
    body: dict[str, Any] = server.requests[-1].json()
    return body


def hello(**kwargs: Any) -> CompletionRequest:
    return CompletionRequest("qwen3:8b", [ChatMessage.user("Hello")], **kwargs)


# --------------------------------------------------------------------------- body fields


async def test_defaults_send_only_what_was_asked(loopback: LoopbackServer) -> None:
    body = await sent_body(loopback, hello())
    assert body == {
        "model": "qwen3:8b",
        "messages": [{"role": "user", "content": "Hello"}],
        "tools": [],
        "stream": True,
    }
    assert "authorization" not in loopback.requests[0].headers


@pytest.mark.parametrize(
    ("thinking", "model", "think"),
    [
        (Thinking.off(), "qwen3:8b", False),
        (Thinking.dynamic(), "qwen3:8b", True),
        (Thinking.level("high"), "qwen3:8b", True),
        (Thinking.budget(20000), "deepseek-r1:8b", True),
        (Thinking.dynamic(), "gpt-oss:20b", True),
        (Thinking.level("high"), "gpt-oss:20b", "high"),
        (Thinking.level("minimal"), "gpt-oss:120b", "low"),
        (Thinking.level("medium"), "gpt-oss", "medium"),
        (Thinking.level("max"), "hf.co/unsloth/gpt-oss-20b-GGUF:Q4_K_M", "high"),
        (Thinking.budget(4096), "gpt-oss:20b", "low"),
        (Thinking.off(), "gpt-oss:20b", False),
    ],
)
async def test_thinking(
    loopback: LoopbackServer, thinking: Thinking, model: str, think: bool | str
) -> None:
    req = CompletionRequest(model, [ChatMessage.user("Hi")], thinking=thinking)
    assert (await sent_body(loopback, req))["think"] == think


async def test_default_thinking_sends_no_think(loopback: LoopbackServer) -> None:
    assert "think" not in await sent_body(loopback, hello(thinking=Thinking.default()))


async def test_options_and_top_level_fields(loopback: LoopbackServer) -> None:
    req = hello(
        temperature=0.2,
        max_tokens=64,
        provider_options={"num_ctx": 8192, "top_k": 20, "seed": 7, "stop": ["\n\n"],
                          "keep_alive": "10m", "temperature": 0.9, "num_predict": 5},
    )  # fmt: skip
    body = await sent_body(loopback, req)
    assert body["options"] == {"num_ctx": 8192, "top_k": 20, "seed": 7, "stop": ["\n\n"],
                               "temperature": 0.2, "num_predict": 64}  # fmt: skip
    assert body["keep_alive"] == "10m"


async def test_response_schema_is_sent_as_format(loopback: LoopbackServer) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}},
              "required": ["city"]}  # fmt: skip
    body = await sent_body(loopback, hello(response_schema=schema, stream=False))
    assert body["format"] == schema
    assert body["stream"] is False


# --------------------------------------------------------------------------- tools


NESTED = SchemaTool(
    "book",
    {
        "title": "book",
        "description": "Book a trip.",
        "type": "object",
        "properties": {
            "travellers": {
                "type": "array",
                "items": {"type": "object", "properties": {"name": {"type": "string"}}},
            },
            "hotel": {
                "type": "object",
                "properties": {"stars": {"type": "integer", "minimum": 1}},
                "required": ["stars"],
                "additionalProperties": False,
            },
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        },
        "required": ["travellers", "hotel"],
    },
)


async def test_tool_schemas_reach_the_wire_whole(loopback: LoopbackServer) -> None:
    body = await sent_body(loopback, hello(tools=[NESTED, WEATHER]))
    book, weather = body["tools"]
    expected = {k: v for k, v in NESTED.schema.items() if k not in ("title", "description")}
    assert book == {"type": "function", "function": {
        "name": "book", "description": "Book a trip.", "parameters": expected}}  # fmt: skip
    assert weather["function"]["name"] == "weather"
    assert NESTED.schema["title"] == "book"  # the tool's own schema is untouched


@pytest.mark.parametrize(
    ("choice", "names"),
    [(None, ["book", "weather"]), ("auto", ["book", "weather"]),
     ("required", ["book", "weather"]), ("none", []), ("weather", ["weather"])],
)  # fmt: skip
async def test_tool_choice(loopback: LoopbackServer, choice: str | None, names: list[str]) -> None:
    body = await sent_body(loopback, hello(tools=[NESTED, WEATHER], tool_choice=choice))
    assert [t["function"]["name"] for t in body["tools"]] == names


# --------------------------------------------------------------------------- history


async def test_history_in_order(loopback: LoopbackServer) -> None:
    png = b"\x89PNG fake image bytes"
    call = ChatMessageToolCall("call_abc", "weather", '{"city": "Oslo"}')
    history = [
        ChatMessage.system("Be brief."),
        ChatMessage.user("Look:", ImagePart(png, "image/png"), TextPart(" and this"),
                         ImageURLPart("data:image/png;base64," + base64.b64encode(b"2").decode())),
        ChatMessage(MessageRole.ASSISTANT, "", tool_calls=[call], reasoning="Check weather."),
        ChatMessage.tool_result("call_abc", "cold"),
        ChatMessage.system("Answer in French."),
        ChatMessage.tool_result("call_unknown", "orphan"),
    ]  # fmt: skip
    body = await sent_body(loopback, CompletionRequest("llava", history))
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Look: and this",
         "images": [base64.b64encode(png).decode(), base64.b64encode(b"2").decode()]},
        {"role": "assistant", "content": "", "thinking": "Check weather.",
         "tool_calls": [{"function": {"name": "weather", "arguments": {"city": "Oslo"}}}]},
        {"role": "tool", "content": "cold", "tool_name": "weather"},
        {"role": "system", "content": "Answer in French."},
        {"role": "tool", "content": "orphan"},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("part", "says"),
    [
        (ImageURLPart("https://example.com/cat.png"), "cannot fetch image URLs"),
        (ImageURLPart("data:image/png;base64,***"), "valid base64"),
        (FilePart(b"%PDF-1.7", "application/pdf", "a.pdf"), "does not accept files"),
    ],
)
async def test_content_ollama_cannot_take_fails_before_sending(
    loopback: LoopbackServer, part: Any, says: str
) -> None:
    req = CompletionRequest("llava", [ChatMessage.user("What is it?", part)])
    async with OllamaClient(loopback.url) as client:
        (event,) = await collect(client, req)
    error = getattr(event, "error", None)
    assert isinstance(error, ConfigurationError)
    assert says in str(error)
    assert loopback.requests == []


async def test_tool_choice_naming_an_unknown_tool(loopback: LoopbackServer) -> None:
    async with OllamaClient(loopback.url) as client:
        req = hello(tools=[WEATHER])
        req.tool_choice = "search"  # changed after the request checked it
        (event,) = await collect(client, req)
    error = getattr(event, "error", None)
    assert isinstance(error, ConfigurationError)
    assert "'search'" in str(error) and "weather" in str(error)
    assert loopback.requests == []


# --------------------------------------------------------------------------- host and key


def test_host_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    assert OllamaClient().host == DEFAULT_HOST == "http://localhost:11434"
    monkeypatch.setenv("OLLAMA_HOST", "http://ollama-host:1")
    assert OllamaClient().host == "http://ollama-host:1"
    assert OllamaClient("http://given:3").host == "http://given:3"
    assert repr(OllamaClient("http://user:pw@given:3")) == "OllamaClient(base_url='http://given:3')"


async def test_environment_host_is_used(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", loopback.url)
    loopback.add("POST", "/api/chat", ok("from env"))
    async with OllamaClient() as client:
        assert final_message(await collect(client, hello())).content == "from env"


async def test_api_key(loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_API_KEY", "env-key-123456")
    monkeypatch.setenv("OLLAMA_HOST", loopback.url)
    loopback.add("POST", "/api/chat", ok(), ok())
    async with OllamaClient() as client:
        final_message(await collect(client, hello()))
        assert "env-key" not in repr(client)
    async with OllamaClient(loopback.url, api_key="given-key-123456") as client:
        final_message(await collect(client, hello()))
    assert [r.headers["authorization"] for r in loopback.requests] == [
        "Bearer env-key-123456",
        "Bearer given-key-123456",
    ]


async def test_one_connection_pool_reused_and_closed(loopback: LoopbackServer) -> None:
    loopback.add("POST", "/api/chat", ok("1"), ok("2"), ok("3"))
    client = OllamaClient(loopback.url)
    assert final_message(await collect(client, hello())).content == "1"
    assert final_message(await collect(client, hello(stream=False))).content == "2"
    assert loopback.connections == 1
    await client.aclose()
    assert final_message(await collect(client, hello())).content == "3"  # usable again
    assert loopback.connections == 2
    await client.aclose()


async def test_request_base_url_and_key_apply_to_that_request(loopback: LoopbackServer) -> None:
    async with LoopbackServer() as other:
        other.add("POST", "/api/chat", ok("other"))
        loopback.add("POST", "/api/chat", ok("main"))
        async with OllamaClient(loopback.url) as client:
            req = hello(base_url=other.url, api_key="req-key-123456")
            assert final_message(await collect(client, req)).content == "other"
            assert final_message(await collect(client, hello())).content == "main"
    assert other.requests[0].headers["authorization"] == "Bearer req-key-123456"
    assert "authorization" not in loopback.requests[0].headers


async def test_router_factory(loopback: LoopbackServer) -> None:
    info = get_provider("ollama")
    assert info is not None and not info.requires_key
    loopback.add("POST", "/api/chat", ok("routed"))
    client = info.load_factory()(api_key=None, base_url=loopback.url)
    assert isinstance(client, OllamaClient)
    async with client:
        assert final_message(await collect(client, hello())).content == "routed"
