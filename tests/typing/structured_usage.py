"""Type-checked, not run: structured output returns the requested type, and the helpers take
the seed's positional order."""

from __future__ import annotations

import dataclasses
from typing import Any, TypedDict, assert_type

from pydantic import BaseModel

from pollytool import Schema
from pollytool.llm import (
    StructuredStream,
    quick_complete,
    stream_complete,
    structured_complete,
    structured_stream,
)


class UserInfo(BaseModel):
    name: str


@dataclasses.dataclass
class Point:
    x: float
    y: float


class Movie(TypedDict):
    title: str


SCHEMA: dict[str, Any] = {"type": "object"}


async def structured() -> None:
    user = await structured_complete("openai/gpt-5.4", "Extract", UserInfo)
    assert_type(user, UserInfo)
    point = await structured_complete("openai/gpt-5.4", "A point", Point, 500)
    assert_type(point, Point)
    movie = await structured_complete("openai/gpt-5.4", "A movie", Movie, max_tokens=100)
    assert_type(movie, Movie)
    raw = await structured_complete("openai/gpt-5.4", "Anything", SCHEMA)
    assert_type(raw, Any)
    from_schema = await structured_complete("openai/gpt-5.4", "Anything", Schema(SCHEMA))
    assert_type(from_schema, Any)
    wrong: Point = await structured_complete("m", "p", UserInfo)  # type: ignore[arg-type]

    stream = structured_stream("openai/gpt-5.4", "Extract", UserInfo, 500)
    assert_type(stream, StructuredStream[UserInfo])
    assert_type(await stream.final(), UserInfo)
    assert_type(stream.result, UserInfo | None)
    del user, point, movie, raw, from_schema, wrong


async def helpers() -> None:
    joke: str = await quick_complete("openai/gpt-5.4", "Tell me a joke", 500)
    story: str = await stream_complete("openai/gpt-5.4", "Write a story", 500, print)
    named: str = await stream_complete("openai/gpt-5.4", "Write", on_chunk=print)
    await stream_complete("m", "p", print)  # type: ignore[arg-type]
    del joke, story, named


async def other_types() -> None:
    items = await structured_complete("m", "p", list[Point])
    assert_type(items, list[Point])
    maybe = await structured_complete("m", "p", int | None)
    del items, maybe
