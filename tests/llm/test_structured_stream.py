"""structured_stream at scale and against awkward input: the reply is parsed incrementally
(total work linear in its size), escapes cut between pieces decode as a whole, hostile nesting
ends in a typed error, and an incremental parse agrees with parsing each prefix at once."""

from __future__ import annotations

import json
import sys
from types import FrameType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pollytool.errors import ResponseError, SchemaValidationError
from pollytool.llm._partial_json import PartialJSON
from pollytool.llm.structured import parse_partial_json, structured_complete, structured_stream
from pollytool.providers.fake import FakeLLM, text
from pollytool.schema import Schema

pytestmark = pytest.mark.anyio

ITEMS = {"type": "array", "items": {"type": "object"}}


def _reply(items: int) -> str:
    return json.dumps(
        [{"name": f"city {i}", "population": i * 1000, "tags": ["a", "b"]} for i in range(items)]
    )


async def _lines_to_consume(reply: str) -> tuple[int, int]:
    """Python lines executed while streaming *reply* in 2-character pieces, and the number of
    partial values yielded. Lines are a deterministic measure of work (no timing)."""
    fake = FakeLLM([text(reply, chunk_size=2)])
    lines = 0

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal lines
        if event == "line":
            lines += 1
        return tracer

    stream = structured_stream("m", "p", ITEMS, client=fake)
    partials = 0
    sys.settrace(tracer)
    try:
        async for _ in stream:
            partials += 1
    finally:
        sys.settrace(None)
    assert stream.result == json.loads(reply)
    return lines, partials


async def test_work_grows_linearly_with_the_reply() -> None:
    await _lines_to_consume(_reply(2))  # first use imports and builds the validator
    small, small_partials = await _lines_to_consume(_reply(20))  # about 1,200 characters
    large, large_partials = await _lines_to_consume(_reply(60))  # three times as long
    # linear work: ~3x the lines; re-parsing the text on every piece would be ~9x
    assert large / small < 4.5, (small, large)
    assert large_partials > 2 * small_partials  # and the partials still keep coming


async def test_a_long_reply_streams_in_linear_work() -> None:
    reply = _reply(2000)  # about 115 KB, in 2-character pieces
    fake = FakeLLM([text(reply, chunk_size=2)])
    items = 0
    stream = structured_stream("m", "p", ITEMS, client=fake)
    async for _ in stream:
        items += 1
    assert stream.result == json.loads(reply)
    assert 100 < items < len(reply)


async def test_escapes_cut_between_pieces_decode_whole() -> None:
    value = {"s": 'quote " slash \\ tab \t é 😀 \u2028 end'}
    reply = json.dumps(value)  # ensure_ascii: \\ud83d\\ude00 for the emoji
    for size in (1, 2, 3, 5, 7):
        seen: list[Any] = []
        stream = structured_stream(
            "m", "p", {"type": "object"}, client=FakeLLM([text(reply, chunk_size=size)])
        )
        async for item in stream:
            seen.append(item)
        assert seen[-1] == value
        for partial in seen:
            assert value["s"].startswith(partial.get("s", ""))  # never a broken surrogate half


async def test_a_lone_high_surrogate_before_another_escape() -> None:
    parser = PartialJSON()
    for piece in ['"a\\ud83d', "\\", 'n"']:
        parser.feed(piece)
    assert parser.snapshot() == json.loads('"a\\ud83d\\n"')


async def test_a_hostile_deep_reply_is_a_validation_error() -> None:
    reply = "[" * 100_000 + "]" * 100_000
    fake = FakeLLM([text(reply, chunk_size=997)])
    partials: list[Any] = []
    with pytest.raises(SchemaValidationError, match="more than 64 levels"):
        async for item in structured_stream("m", "p", {}, client=fake):
            partials.append(item)
    assert partials  # the first 64 levels were shown, then parsing stopped


async def test_max_tokens_is_the_fourth_positional_argument() -> None:
    fake = FakeLLM('{"a": 1}', '{"a": 2}')
    assert await structured_complete("m", "p", {"type": "object"}, 321, client=fake) == {"a": 1}
    assert await structured_stream("m", "p", {"type": "object"}, 123, client=fake).final() == {
        "a": 2
    }
    assert [r.max_tokens for r in fake.requests] == [321, 123]


async def test_a_stream_without_an_end_is_a_response_error() -> None:
    class Cut:
        async def _events(self) -> Any:
            from pollytool.events import ContentEvent

            yield ContentEvent('{"a": 1')

        def stream(self, req: Any) -> Any:
            return self._events()

    with pytest.raises(ResponseError, match="without a complete"):
        await structured_stream("m", "p", {"type": "object"}, client=Cut()).final()


# --------------------------------------------------------------------------- incremental = whole


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)  # fmt: skip


@settings(max_examples=300)
@given(JSON_VALUES, st.booleans(), st.booleans(), st.lists(st.integers(1, 9), min_size=1))
def test_feeding_pieces_agrees_with_parsing_each_prefix(
    value: Any, pretty: bool, ascii_only: bool, sizes: list[int]
) -> None:
    document = json.dumps(value, indent=2 if pretty else None, ensure_ascii=ascii_only)
    parser = PartialJSON()
    position = 0
    step = 0
    while position < len(document):
        size = sizes[step % len(sizes)]
        step += 1
        parser.feed(document[position : position + size])
        position += size
        expected = parse_partial_json(document[:position])
        assert parser.snapshot() == expected
    assert parser.snapshot() == value


def test_snapshots_do_not_change_when_parsing_goes_on() -> None:
    parser = PartialJSON()
    parser.feed('{"a": [1, {"b": "x')
    first = parser.snapshot()
    parser.feed('yz"}], "c": 2}')
    assert first == {"a": [1, {"b": "x"}]}
    assert parser.snapshot() == {"a": [1, {"b": "xyz"}], "c": 2}


@pytest.mark.parametrize(
    "text_", ['{"a" 1}', "[1,]", '{"a":1,}', "[1}", "nope", '{"a": tx}', '"\\x"']
)
def test_invalid_json_keeps_the_last_good_value(text_: str) -> None:
    value = parse_partial_json(text_)
    json.dumps(value)
    assert Schema({}).validate(json.dumps(value)) == value
