"""structured_complete / structured_stream against the scripted FakeLLM."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from pollytool.errors import RateLimitError, SchemaValidationError
from pollytool.llm.structured import (
    parse_partial_json,
    structured_complete,
    structured_stream,
)
from pollytool.messages import ChatMessage, MessageRole
from pollytool.providers.fake import FakeLLM, fail, text
from pollytool.schema import Schema

pytestmark = pytest.mark.anyio


class City(BaseModel):
    name: str
    population: int
    districts: list[str] = []


@dataclasses.dataclass
class Point:
    x: float
    y: float


POINT_SCHEMA = {
    "type": "object",
    "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
    "required": ["x", "y"],
}
LYON = '{"name": "Lyon", "population": 522000, "districts": ["Presqu\'île", "Croix-Rousse"]}'


async def test_a_valid_reply_becomes_a_pydantic_model() -> None:
    fake = FakeLLM(LYON)
    city = await structured_complete("fake-model", "Describe Lyon", City, client=fake)
    assert city == City(name="Lyon", population=522000, districts=["Presqu'île", "Croix-Rousse"])
    [req] = fake.requests
    assert req.response_schema == Schema.from_type(City)
    assert req.messages == [ChatMessage.user("Describe Lyon")]


async def test_a_valid_reply_becomes_a_dataclass_or_a_dict() -> None:
    fake = FakeLLM('{"x": 1, "y": 2}', '{"x": 3, "y": 4.5}')
    assert await structured_complete("m", "p", Point, client=fake) == Point(1, 2)
    assert await structured_complete("m", "p", POINT_SCHEMA, client=fake) == {"x": 3, "y": 4.5}
    assert fake.requests[1].response_schema == Schema(POINT_SCHEMA)


async def test_request_fields_and_messages_are_passed_on() -> None:
    history = [ChatMessage.system("Answer in JSON."), ChatMessage.user("A point?")]
    fake = FakeLLM('{"x": 0, "y": 0}')
    await structured_complete(
        "m", history, Point, client=fake, max_tokens=50, temperature=0.0, timeout=9.0
    )
    [req] = fake.requests
    assert req.messages == history
    assert (req.max_tokens, req.temperature, req.timeout) == (50, 0.0, 9.0)


async def test_an_invalid_reply_is_repaired_once() -> None:
    fake = FakeLLM('{"name": "Lyon", "population": "many"}', LYON)
    history = [ChatMessage.user("Describe Lyon")]
    city = await structured_complete("m", history, City, client=fake)
    assert city.name == "Lyon"
    assert len(fake.requests) == 2
    first, repair = fake.requests
    assert first.messages == history
    assert history == [ChatMessage.user("Describe Lyon")]  # the caller's list is untouched
    assert [m.role for m in repair.messages] == [
        MessageRole.USER,
        MessageRole.ASSISTANT,
        MessageRole.USER,
    ]
    assert repair.messages[1].content == '{"name": "Lyon", "population": "many"}'
    assert "$.population: Input should be a valid integer" in repair.messages[2].content
    assert repair.response_schema == first.response_schema


async def test_invalid_json_is_repaired_with_the_parse_error() -> None:
    fake = FakeLLM('{"x": 1, "y": ', '{"x": 1, "y": 2}')
    assert await structured_complete("m", "p", POINT_SCHEMA, client=fake) == {"x": 1, "y": 2}
    assert "not valid JSON" in fake.requests[1].messages[-1].content


async def test_twice_invalid_raises_with_errors_and_raw_text() -> None:
    fake = FakeLLM('{"x": "a", "y": 1}', '{"x": 1}')
    with pytest.raises(SchemaValidationError) as info:
        await structured_complete("m", "p", POINT_SCHEMA, client=fake)
    assert len(fake.requests) == 2
    assert info.value.errors == ["$: 'y' is a required property"]
    assert info.value.raw == '{"x": 1}'
    assert "after 2 attempts" in str(info.value)


@pytest.mark.parametrize("retries", [0, 2])
async def test_the_number_of_repairs_is_configurable(retries: int) -> None:
    fake = FakeLLM(*(["nope"] * (retries + 1)))
    with pytest.raises(SchemaValidationError, match=f"after {retries + 1} attempt"):
        await structured_complete("m", "p", Point, client=fake, max_retries=retries)
    assert len(fake.requests) == retries + 1


async def test_a_provider_failure_raises_its_typed_error() -> None:
    fake = FakeLLM([fail(RateLimitError("slow down", provider="fake"))])
    with pytest.raises(RateLimitError):
        await structured_complete("m", "p", Point, client=fake)
    assert len(fake.requests) == 1


async def test_the_default_client_is_the_shared_router() -> None:
    # the fake provider echoes the prompt, so the prompt is the reply
    result = await structured_complete("fake/echo", '{"x": 5, "y": 6}', Point)
    assert result == Point(5, 6)


# --------------------------------------------------------------------------- streaming


async def test_stream_yields_growing_partials_then_the_validated_object() -> None:
    fake = FakeLLM([text(LYON, chunk_size=7)])
    seen: list[Any] = []
    async with structured_stream("m", "Describe Lyon", City, client=fake) as partials:
        async for item in partials:
            seen.append(item)
    *growing, final = seen
    assert isinstance(final, City)
    assert final.districts == ["Presqu'île", "Croix-Rousse"]
    assert partials.result is final
    assert len(growing) > 5
    assert all(isinstance(p, dict) for p in growing)
    assert growing[-1] == json.loads(LYON)
    sizes = [len(json.dumps(p)) for p in growing]
    assert sizes == sorted(sizes)
    assert fake.requests[0].response_schema == Schema.from_type(City)


async def test_stream_final_consumes_and_returns_the_result() -> None:
    fake = FakeLLM([text('{"x": 1.5, "y": -2}', chunk_size=3)])
    point = await structured_stream("m", "p", Point, client=fake).final()
    assert point == Point(1.5, -2)


async def test_stream_ending_invalid_raises() -> None:
    fake = FakeLLM([text('{"x": 1}', chunk_size=2)])
    stream = structured_stream("m", "p", POINT_SCHEMA, client=fake)
    partials = []
    with pytest.raises(SchemaValidationError) as info:
        async for item in stream:
            partials.append(item)
    assert partials[-1] == {"x": 1}
    assert info.value.raw == '{"x": 1}'


async def test_stream_failure_raises_its_typed_error() -> None:
    fake = FakeLLM([text('{"x": '), fail(RateLimitError("slow down", provider="fake"))])
    with pytest.raises(RateLimitError):
        await structured_stream("m", "p", Point, client=fake).final()


async def test_stream_can_stop_early() -> None:
    fake = FakeLLM([text(LYON, chunk_size=4)])
    async with structured_stream("m", "p", City, client=fake) as partials:
        first = await partials.__anext__()
    assert first == {}
    assert partials.result is None
    with pytest.raises(StopAsyncIteration):
        await partials.__anext__()


# --------------------------------------------------------------------------- partial JSON


@pytest.mark.parametrize(
    ("cut", "expected"),
    [
        ("", None),
        ("   ", None),
        ("{", {}),
        ('{"na', {}),
        ('{"name"', {}),
        ('{"name": ', {}),
        ('{"name": "Ly', {"name": "Ly"}),
        ('{"name": "Ly\\', {"name": "Ly"}),
        ('{"name": "Ly\\u00', {"name": "Ly"}),
        ('{"name": "Ly\\u00e9', {"name": "Lyé"}),
        ('{"a": [1, 2', {"a": [1, 2]}),
        ('{"a": [1, 2,', {"a": [1, 2]}),
        ('{"a": -1.', {"a": -1}),
        ('{"a": 1e', {"a": 1}),
        ('{"a": -', {}),
        ('{"a": tr', {"a": True}),
        ('{"a": nul', {"a": None}),
        ('{"a": {"b": [{"c": fa', {"a": {"b": [{"c": False}]}}),
        ('[{"a": 1}, {"b', [{"a": 1}, {}]),
        ('"just a str', "just a str"),
        ('```json\n{"a": 1', {"a": 1}),
        ('{"a": 1}\n```', {"a": 1}),
        ('{"a": 1} and then prose', {"a": 1}),
    ],
)
def test_partial_json(cut: str, expected: Any) -> None:
    assert parse_partial_json(cut) == expected


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)  # fmt: skip


@given(JSON_VALUES, st.booleans())
def test_every_prefix_of_a_document_parses(value: Any, pretty: bool) -> None:
    document = json.dumps(value, indent=2 if pretty else None, ensure_ascii=False)
    for end in range(len(document)):
        partial = parse_partial_json(document[:end])
        json.dumps(partial)  # always plain JSON data (or None)
        if isinstance(value, (dict, list)) and end > 0:
            assert type(partial) is type(value)
    assert parse_partial_json(document) == value
