"""Structured output through each real adapter and vendor SDK, over the loopback server.

For every provider: the recorded structured-output cassettes decode and validate, the request
body carries the provider's dialect of the schema, an invalid reply triggers exactly one repair
request that contains the validation error, and a twice-invalid reply raises
:class:`SchemaValidationError`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import BaseModel, Field

from pollytool._jsonschema import StrictSchemaWarning
from pollytool.errors import SchemaValidationError
from pollytool.llm.structured import structured_complete
from pollytool.providers._base import ProviderClient
from pollytool.providers.anthropic._dialect import to_anthropic
from pollytool.providers.gemini._dialect import to_gemini
from pollytool.providers.openai._dialect import to_openai_strict
from pollytool.schema import Schema
from tests.fakes.cassettes import load_cassette
from tests.fakes.loopback import LoopbackServer, Reply

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Author(BaseModel):
    """The author of a book."""

    first_name: str
    last_name: str


class Book(BaseModel):
    """A book with a rating. The title should be in all caps!"""

    title: str
    author: Author
    rating: int = Field(description="For testing purposes, the rating should be 7")


BOOK = Book(title="THE NAME OF THE WIND", author=Author(first_name="Patrick", last_name="Rothfuss"),
            rating=7)  # fmt: skip
PROFILE = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "hobbies": {"type": "array", "items": {"type": "string"}},
        "open_source": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name", "hobbies"],
}
FEET = {"type": "object", "properties": {"feet": {"type": "number"}}}


def _openai(url: str) -> ProviderClient:
    from pollytool.providers.openai import OpenAIClient

    return OpenAIClient(api_key="sk-test-0123456789", base_url=url + "/v1", max_retries=0)


def _anthropic(url: str) -> ProviderClient:
    from pollytool.providers.anthropic import AnthropicClient

    return AnthropicClient(api_key="sk-ant-test-0123456789", base_url=url, max_retries=0)


def _gemini(url: str) -> ProviderClient:
    from pollytool.providers.gemini import GeminiClient

    return GeminiClient(api_key="gemini-test-0123456789", base_url=url, max_retries=0)


def _ollama(url: str) -> ProviderClient:
    from pollytool.providers.ollama import OllamaClient

    return OllamaClient(url)


def _openai_strict(schema: dict[str, Any]) -> dict[str, Any]:
    return to_openai_strict(schema)[0]


@dataclass(frozen=True)
class Case:
    """One structured cassette and what the adapter must send for it."""

    cassette: str
    client: Callable[[str], ProviderClient]
    model: str
    target: Any
    expected: Any
    sent_schema: Callable[[dict[str, Any]], Any]
    dialect: Callable[[dict[str, Any]], dict[str, Any]]
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def stream(self) -> bool:
        return bool(load_cassette(self.cassette)["interactions"][0]["stream"])


def _chat_schema(body: dict[str, Any]) -> Any:
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    return fmt["json_schema"]["schema"]


def _responses_schema(body: dict[str, Any]) -> Any:
    fmt = body["text"]["format"]
    assert fmt["type"] == "json_schema" and fmt["strict"] is True
    return fmt["schema"]


def _anthropic_schema(body: dict[str, Any]) -> Any:
    fmt = body["output_config"]["format"]
    assert fmt["type"] == "json_schema"
    return fmt["schema"]


def _gemini_schema(body: dict[str, Any]) -> Any:
    config = body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    return config["responseJsonSchema"]


def _ollama_schema(body: dict[str, Any]) -> Any:
    return body["format"]


_RESPONSES = {"provider_options": {"api": "responses"}}
_PROFILE_RESULT = {"name": "Sarah Chen", "hobbies": ["rock climbing", "photography"],
                   "open_source": ["Laravel Telescope", "Laravel Workflow Manager"]}  # fmt: skip


def _as_is(schema: dict[str, Any]) -> dict[str, Any]:
    return schema  # Ollama compiles plain JSON Schema: it gets the schema unchanged


CASES = [
    Case("openai/chat__json_schema", _openai, "gpt-4o", Book, BOOK, _chat_schema, _openai_strict),
    Case("openai/chat__stream_json_schema", _openai, "gpt-4o", Book, BOOK, _chat_schema,
         _openai_strict),
    Case("openai/responses__json_schema", _openai, "gpt-4o", Book, BOOK, _responses_schema,
         _openai_strict, _RESPONSES),
    Case("openai/responses__stream_json_schema", _openai, "gpt-4o", Book, BOOK,
         _responses_schema, _openai_strict, _RESPONSES),
    Case("anthropic/messages__json_output_format", _anthropic, "claude-opus-4-7", Book, BOOK,
         _anthropic_schema, lambda s: to_anthropic(s, output=True)),
    Case("anthropic/messages__stream_json_output_format", _anthropic, "claude-opus-4-7", Book,
         BOOK, _anthropic_schema, lambda s: to_anthropic(s, output=True)),
    Case("gemini/generate__json_schema", _gemini, "gemini-2.5-flash", Book, BOOK,
         _gemini_schema, to_gemini),
    Case("gemini/stream__json_schema", _gemini, "gemini-2.5-flash", Book, BOOK, _gemini_schema,
         to_gemini),
    Case("ollama/chat__format_schema", _ollama, "deepseek-r1:14b-qwen-distill-q8_0", PROFILE,
         _PROFILE_RESULT, _ollama_schema, _as_is),
    Case("ollama/chat__stream_format_json_schema", _ollama, "gemma3:1b", FEET, None,
         _ollama_schema, _as_is),
]  # fmt: skip
#: One non-streamed case per provider, for the repair tests.
REPAIR_CASES = [CASES[0], CASES[4], CASES[6], CASES[8]]


async def _complete(case: Case, server: LoopbackServer, **fields: Any) -> Any:
    client = case.client(server.url)
    try:
        return await structured_complete(
            case.model, "Please recommend the most popular book by Patrick Rothfuss",
            case.target, client=client, stream=case.stream, **case.options, **fields,
        )  # fmt: skip
    finally:
        await client.aclose()


def _with_content(case: Case, content: str) -> Reply:
    """The cassette's recorded (non-streamed) reply, with its JSON answer replaced."""
    interaction = copy.deepcopy(load_cassette(case.cassette)["interactions"][0])

    def replace(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: replace(v) for k, v in node.items()}
        if isinstance(node, list):
            return [replace(v) for v in node]
        if isinstance(node, str) and node.lstrip().startswith("{"):
            return content
        return node

    response = interaction["response"]
    response["body"] = json.dumps(replace(json.loads(response["body"])))
    return Reply.from_interaction(interaction)


def _path(case: Case) -> str:
    return str(load_cassette(case.cassette)["interactions"][0]["request"]["path"])


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.cassette)
async def test_structured_cassettes_decode_and_validate(
    case: Case, loopback: LoopbackServer
) -> None:
    loopback.replay(load_cassette(case.cassette))
    result = await _complete(case, loopback)
    if case.expected is not None:
        assert result == case.expected
    else:  # the small model's answer is only known to follow the schema
        assert Schema(FEET).validate(json.dumps(result)) == result
    [request] = loopback.requests
    schema = Schema.from_type(case.target)
    assert case.sent_schema(request.json()) == case.dialect(schema.json_schema)


@pytest.mark.parametrize("case", REPAIR_CASES, ids=lambda c: c.cassette.split("/")[0])
async def test_an_invalid_reply_is_repaired_once(case: Case, loopback: LoopbackServer) -> None:
    bad = '{"title": "THE NAME OF THE WIND"}' if case.target is Book else '{"name": 7}'
    loopback.add("POST", _path(case), _with_content(case, bad))
    loopback.replay(load_cassette(case.cassette))
    result = await _complete(case, loopback)
    assert result == case.expected
    first, repair = loopback.requests
    sent = repair.body.decode()
    assert "does not match the required JSON schema" not in first.body.decode()
    assert "does not match the required JSON schema" in sent
    error = "$.author: Field required" if case.target is Book else "$.name: 7 is not of type"
    assert json.dumps(error)[1:-1] in sent
    assert json.dumps(bad)[1:-1] in sent  # the bad reply is in the history as the model's turn
    assert case.sent_schema(repair.json()) == case.sent_schema(first.json())


@pytest.mark.parametrize("case", REPAIR_CASES, ids=lambda c: c.cassette.split("/")[0])
async def test_a_twice_invalid_reply_raises(case: Case, loopback: LoopbackServer) -> None:
    loopback.add("POST", _path(case), _with_content(case, "[1, 2"), _with_content(case, "[]"))
    with pytest.raises(SchemaValidationError) as info:
        await _complete(case, loopback)
    assert len(loopback.requests) == 2
    assert info.value.raw == "[]"
    assert info.value.errors


# --------------------------------------------------------------------------- dialects on the wire


class Address(BaseModel):
    street: str
    postcode: str | None = None


class Person(BaseModel):
    """A person."""

    name: str
    age: int = 0
    address: Address


PERSON = Person(name="Ada", address=Address(street="1 Road"))
_SENT = {
    "openai": _chat_schema,
    "anthropic": _anthropic_schema,
    "gemini": _gemini_schema,
    "ollama": _ollama_schema,
}


async def _sent_for(case: Case, server: LoopbackServer, target: Any) -> dict[str, Any]:
    server.add("POST", _path(case), _with_content(case, PERSON.model_dump_json()))
    client = case.client(server.url)
    try:
        result = await structured_complete(
            case.model, "Who?", target, client=client, stream=case.stream
        )
    finally:
        await client.aclose()
    assert result in (PERSON, PERSON.model_dump())
    return server.requests[-1].json()


@pytest.mark.parametrize("case", REPAIR_CASES, ids=lambda c: c.cassette.split("/")[0])
async def test_each_provider_gets_its_dialect_of_a_nested_model(
    case: Case, loopback: LoopbackServer
) -> None:
    """What ``Schema.openai()/gemini()/anthropic()/ollama()`` used to promise, on the wire."""
    provider = case.cassette.split("/")[0]
    schema = Schema.from_type(Person)
    before = copy.deepcopy(schema.json_schema)
    sent = _SENT[provider](await _sent_for(case, loopback, Person))
    assert schema.json_schema == before == Person.model_json_schema()  # nothing was changed
    if provider == "openai":
        assert sent["additionalProperties"] is False
        assert sent["required"] == ["name", "age", "address"]
        assert sent["properties"]["age"]["type"] == ["integer", "null"]
    elif provider == "gemini":
        assert "$defs" not in json.dumps(sent) and "$ref" not in json.dumps(sent)
        assert sent["properties"]["address"]["properties"]["street"] == {
            "title": "Street", "type": "string",
        }  # fmt: skip
    elif provider == "anthropic":
        assert sent["properties"]["address"]["additionalProperties"] is False
        assert sent["additionalProperties"] is False
    else:
        assert sent == before  # Ollama compiles plain JSON Schema: sent as it is


async def test_openai_without_strict_gets_the_schema_as_it_is(loopback: LoopbackServer) -> None:
    loose = Schema(Person.model_json_schema(), name="Person", strict=False, python_type=Person)
    body = await _sent_for(CASES[0], loopback, loose)
    fmt = body["response_format"]["json_schema"]
    assert (fmt["strict"], fmt["schema"]) == (False, Person.model_json_schema())


async def test_openai_falls_back_to_non_strict_with_a_warning(loopback: LoopbackServer) -> None:
    open_object = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "additionalProperties": {"type": "object"},
    }
    with pytest.warns(StrictSchemaWarning, match="open object"):
        body = await _sent_for(CASES[0], loopback, open_object)
    fmt = body["response_format"]["json_schema"]
    assert (fmt["strict"], fmt["schema"]) == (False, open_object)
