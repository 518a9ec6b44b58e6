"""Every recorded Gemini exchange (except embeddings) replayed through GeminiClient.

The real google-genai SDK talks to the loopback server, which serves the recorded responses.
For each interaction the request is rebuilt from the recorded request body (messages, system
instruction, tools, thinking, schema); the expected events are derived from the recorded
response body; and the body the SDK sent is compared with the recorded one. Follow-up turns
are built from the adapter's own first reply plus the recorded tool results, so thought
signatures have to survive the round trip to match.

Two recordings (``stream__text_json_array``, ``stream__tools_gemini3_thought_signatures``) were
made without ``?alt=sse``, so Gemini answered with one JSON array. The SDK always asks for
``alt=sse`` (and cannot parse the array form, see test_gemini_scripted), so the server sends
the same recorded chunks framed as the SSE that request asks for.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from pollytool.errors import (
    AuthenticationError,
    ModelNotFoundError,
    PermissionDeniedError,
    PollyError,
)
from pollytool.events import CompleteEvent, ErrorEvent, StreamEvent, ToolCallEvent, UsageEvent
from pollytool.messages import (
    ChatMessage,
    ContentPart,
    FileURLPart,
    ImagePart,
    ImageURLPart,
    StopReason,
    TextPart,
    Usage,
)
from pollytool.providers.gemini import GeminiClient
from pollytool.request import CompletionRequest
from pollytool.schema import Schema
from pollytool.thinking import Thinking
from tests.fakes.cassettes import cassette_ids, load_cassette
from tests.fakes.loopback import LoopbackServer, Reply

pytestmark = pytest.mark.anyio

API_KEY = "AIzaTestKeyForLoopbackOnly0123456789"

CASSETTES = [
    c
    for c in cassette_ids(provider="gemini")
    if load_cassette(c)["api"] != "gemini.batchEmbedContents"
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# --------------------------------------------------------------------------- recorded JSON


def _b64(text: str) -> bytes:
    """Decode standard or URL-safe base64 (recordings use both)."""
    text = text.replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(word.title() for word in rest)


def _camel_keys(obj: dict[str, Any]) -> dict[str, Any]:
    return {_camel(k): v for k, v in obj.items()}


def _chunks(interaction: dict[str, Any]) -> list[dict[str, Any]]:
    """The response chunks of a recorded 200 response."""
    response = interaction["response"]
    body: str = response["body"]
    if response["body_kind"] == "sse":
        return [json.loads(line[6:]) for line in body.splitlines() if line.startswith("data: ")]
    data = json.loads(body)
    return data if isinstance(data, list) else [data]


def _reply(interaction: dict[str, Any]) -> Reply:
    response = interaction["response"]
    if interaction["stream"] and response["status"] == 200 and response["body_kind"] == "json":
        return Reply.sse([(None, chunk) for chunk in _chunks(interaction)])  # array form
    return Reply.from_interaction(interaction)


def _serve(server: LoopbackServer, cassette: dict[str, Any]) -> None:
    for interaction in cassette["interactions"]:
        request = interaction["request"]
        path = request["path"]
        # One recording is from Vertex AI; the client speaks the Gemini API's paths.
        server.add("POST", path if path.startswith("/v1beta/models/") else None,
                   _reply(interaction))  # fmt: skip


def _model(interaction: dict[str, Any]) -> str:
    return str(interaction["request"]["path"]).rsplit("/models/", 1)[1].split(":", 1)[0]


# --------------------------------------------------------------------------- request rebuilding


class RecordedTool:
    """A tool as the recording declared it (never executed here)."""

    def __init__(self, declaration: dict[str, Any]) -> None:
        decl = _camel_keys(declaration)
        self.name = str(decl["name"])
        schema = decl.get("parametersJsonSchema") or _json_schema(decl.get("parameters") or {})
        self.schema = {**schema, "title": self.name, "description": decl.get("description", "")}

    async def execute(self, args: dict[str, Any]) -> str:
        raise AssertionError("recorded tools are not run")


def _json_schema(openapi: dict[str, Any]) -> dict[str, Any]:
    """Gemini's OpenAPI-style schema (``"type": "STRING"``) as JSON Schema."""
    out: dict[str, Any] = {}
    for key, value in openapi.items():
        if key == "type":
            out[key] = str(value).lower()
        elif key == "properties":
            out[key] = {name: _json_schema(sub) for name, sub in value.items()}
        elif key == "items":
            out[key] = _json_schema(value)
        elif key not in ("property_ordering", "propertyOrdering"):
            out[key] = value
    return out


def _user_parts(parts: list[dict[str, Any]]) -> ChatMessage:
    texts: list[str] = []
    extra: list[ContentPart] = []
    for raw in parts:
        part = _camel_keys(raw)
        if "text" in part:
            if extra:
                extra.append(TextPart(part["text"]))
            else:
                texts.append(part["text"])
        elif "inlineData" in part:
            blob = _camel_keys(part["inlineData"])
            extra.append(ImagePart(_b64(blob["data"]), blob["mimeType"]))
        elif "fileData" in part:
            data = _camel_keys(part["fileData"])
            mime = data.get("mimeType")
            if mime and mime.startswith("image/"):
                extra.append(ImageURLPart(data["fileUri"], mime))
            else:
                extra.append(FileURLPart(data["fileUri"], mime or "application/pdf"))
    return ChatMessage.user("".join(texts), *extra)


def _thinking(body: dict[str, Any]) -> Thinking:
    config = _camel_keys((body.get("generationConfig") or {}).get("thinkingConfig") or {})
    if "thinkingBudget" in config:
        return Thinking.budget(config["thinkingBudget"])
    return Thinking.dynamic() if config.get("includeThoughts") else Thinking.default()


def _request(interaction: dict[str, Any], messages: list[ChatMessage]) -> CompletionRequest:
    body = interaction["request"]["body"]
    generation = _camel_keys(body.get("generationConfig") or {})
    schema = generation.get("responseJsonSchema") or generation.get("responseSchema")
    tools = [RecordedTool(d) for t in body.get("tools", []) for d in t["functionDeclarations"]]
    system = body.get("systemInstruction")
    if system is not None:
        messages = [ChatMessage.system("".join(p["text"] for p in system["parts"])), *messages]
    return CompletionRequest(
        _model(interaction),
        messages,
        temperature=generation.get("temperature"),
        max_tokens=generation.get("maxOutputTokens"),
        tools=tools,
        response_schema=Schema(_json_schema(schema)) if schema else None,
        thinking=_thinking(body),
        stream=interaction["stream"],
    )


def _first_messages(interaction: dict[str, Any]) -> list[ChatMessage]:
    contents = interaction["request"]["body"]["contents"]
    assert all(c["role"] == "user" for c in contents)
    return [_user_parts(c["parts"]) for c in contents]


def _follow_up(interaction: dict[str, Any], reply: ChatMessage) -> list[ChatMessage]:
    """The messages a recorded follow-up adds after the model's turn, for our reply."""
    contents = interaction["request"]["body"]["contents"]
    model_turn = max(i for i, c in enumerate(contents) if c["role"] == "model")
    calls = iter(reply.tool_calls)
    messages: list[ChatMessage] = []
    for content in contents[model_turn + 1 :]:
        results = [_camel_keys(p) for p in content["parts"]]
        if all("functionResponse" in p for p in results):
            for part in results:
                (value,) = part["functionResponse"]["response"].values()
                # no tool_name: the adapter must find the name from the call id
                messages.append(ChatMessage.tool_result(next(calls).id, str(value)))
        else:
            messages.append(_user_parts(content["parts"]))
    return messages


# --------------------------------------------------------------------------- comparing bodies


def _normal_parts(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parts in a comparable form: camelCase, decoded bytes, ids left out (the recordings'
    clients made their own), empty or thought-summary parts without a signature left out
    (pollytool sends thought summaries back only when they carry a signature)."""
    out = []
    for raw in parts:
        part = _camel_keys(raw)
        signed = "thoughtSignature" in part
        item: dict[str, Any] = {}
        if signed:
            item["thoughtSignature"] = _b64(part["thoughtSignature"])
        if "text" in part:
            if not signed and (part.get("thought") or not part["text"]):
                continue
            item["text"] = part["text"]
            if part.get("thought"):
                item["thought"] = True
        if "functionCall" in part:
            call = part["functionCall"]
            item["functionCall"] = (call["name"], call.get("args", {}))
        if "functionResponse" in part:
            response = part["functionResponse"]
            (value,) = response["response"].values()
            item["functionResponse"] = (response["name"], value)
        if "inlineData" in part:
            blob = _camel_keys(part["inlineData"])
            item["inlineData"] = (blob["mimeType"], _b64(blob["data"]))
        if "fileData" in part:
            data = _camel_keys(part["fileData"])
            item["fileData"] = (data["fileUri"], data.get("mimeType"))
        out.append(item)
    return out


def _normal_contents(contents: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    return [(c["role"], _normal_parts(c["parts"])) for c in contents]


def _assert_same_request(sent: dict[str, Any], recorded: dict[str, Any]) -> None:
    assert _normal_contents(sent["contents"]) == _normal_contents(recorded["contents"])
    if "systemInstruction" in recorded:
        assert _normal_parts(sent["systemInstruction"]["parts"]) == _normal_parts(
            recorded["systemInstruction"]["parts"]
        )
    else:
        assert "systemInstruction" not in sent
    sent_tools = [d["name"] for t in sent.get("tools", []) for d in t["functionDeclarations"]]
    recorded_tools = [
        d["name"] for t in recorded.get("tools", []) for d in t["functionDeclarations"]
    ]
    assert sent_tools == recorded_tools


def _assert_call_ids_match(sent: dict[str, Any]) -> None:
    """Each function response names the id of the call it answers."""
    call_ids = [
        p["functionCall"]["id"] for c in sent["contents"] for p in c["parts"] if "functionCall" in p
    ]
    response_ids = [
        p["functionResponse"]["id"]
        for c in sent["contents"]
        for p in c["parts"]
        if "functionResponse" in p
    ]
    assert response_ids == call_ids


# --------------------------------------------------------------------------- expected events


def _expected_usage(meta: dict[str, Any]) -> Usage:
    thoughts = meta.get("thoughtsTokenCount", 0)
    return Usage(
        input_tokens=meta.get("promptTokenCount", 0),
        output_tokens=meta.get("candidatesTokenCount", 0) + thoughts,
        reasoning_tokens=thoughts,
        cache_read_tokens=meta.get("cachedContentTokenCount", 0),
    )


def _assert_events(events: list[StreamEvent], interaction: dict[str, Any]) -> ChatMessage:
    chunks = _chunks(interaction)
    parts = [
        part
        for chunk in chunks
        for candidate in chunk.get("candidates", [])
        for part in candidate.get("content", {}).get("parts", [])
    ]
    text = "".join(p["text"] for p in parts if "text" in p and not p.get("thought"))
    reasoning = "".join(p["text"] for p in parts if p.get("thought"))
    calls = [(p["functionCall"]["name"], p["functionCall"].get("args", {})) for p in parts
             if "functionCall" in p]  # fmt: skip
    signatures = [_b64(p["thoughtSignature"]) for p in parts if "thoughtSignature" in p]
    finish = [c["finishReason"] for ch in chunks for c in ch.get("candidates", [])
              if "finishReason" in c][-1]  # fmt: skip
    usage = [ch["usageMetadata"] for ch in chunks if "usageMetadata" in ch][-1]

    assert not any(isinstance(e, ErrorEvent) for e in events), events[-1]
    assert isinstance(events[-1], CompleteEvent)
    assert sum(isinstance(e, CompleteEvent) for e in events) == 1
    message = events[-1].message
    assert message.content == text
    assert message.reasoning == reasoning
    assert [(c.name, c.args) for c in message.tool_calls] == calls
    streamed = [e.tool_call for e in events if isinstance(e, ToolCallEvent)]
    assert streamed == message.tool_calls
    assert len({c.id for c in message.tool_calls}) == len(calls)
    assert message.raw_stop_reason == finish
    if finish == "MAX_TOKENS":
        assert message.stop_reason == StopReason.MAX_TOKENS
    else:
        assert finish == "STOP"
        assert message.stop_reason == (StopReason.TOOL_USE if calls else StopReason.END_TURN)
    assert [e.usage for e in events if isinstance(e, UsageEvent)] == [_expected_usage(usage)]
    assert message.usage == _expected_usage(usage)
    kept = [  # every signature, on its part or call, in reply order
        data["thought_signature"]
        for item in message.response_items()
        if "thought_signature" in (data := item.provider_data.get("gemini") or {})
    ]
    assert kept == signatures
    assert message.provider_metadata == {}
    assert message.metadata["response_id"] == chunks[0]["responseId"]
    return message


_ERRORS: dict[int, type[PollyError]] = {
    400: AuthenticationError,  # both 400 recordings are an invalid API key
    403: PermissionDeniedError,
    404: ModelNotFoundError,
}


# --------------------------------------------------------------------------- the test


@pytest.mark.parametrize("cassette_id", CASSETTES)
async def test_cassette_replays_through_the_adapter(
    cassette_id: str, loopback: LoopbackServer
) -> None:
    cassette = load_cassette(cassette_id)
    _serve(loopback, cassette)
    messages: list[ChatMessage] = []
    reply = ChatMessage.assistant()
    async with GeminiClient(API_KEY, loopback.url, max_retries=0) as client:
        for number, interaction in enumerate(cassette["interactions"]):
            if number == 0:
                messages = _first_messages(interaction)
            else:
                messages = [*messages, reply, *_follow_up(interaction, reply)]
            request = _request(interaction, messages)
            events = [event async for event in client.stream(request)]
            sent = loopback.requests[number]
            expected_path = "streamGenerateContent" if interaction["stream"] else "generateContent"
            assert sent.path.endswith(f"/models/{_model(interaction)}:{expected_path}")
            assert sent.headers["x-goog-api-key"] == API_KEY
            _assert_same_request(sent.json(), interaction["request"]["body"])
            _assert_call_ids_match(sent.json())
            status = interaction["response"]["status"]
            if status != 200:
                assert len(events) == 1 and isinstance(events[0], ErrorEvent)
                error = events[0].error
                assert type(error) is _ERRORS[status]
                assert error.status_code == status  # type: ignore[attr-defined]
                assert API_KEY not in str(error) and API_KEY not in repr(error)
                continue
            reply = _assert_events(events, interaction)
    assert loopback.pending == 0
