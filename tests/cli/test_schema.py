"""``--schema FILE`` through the real ``polly``: the schema goes to the provider, the reply is
validated in full (asking once more when it does not match) and printed as indented JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import FakeProvider
from tests.cli.polly import Polly, text_reply

PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name", "age"],
    "additionalProperties": False,
}


@pytest.fixture
def schema_file(tmp_path: Path) -> Path:
    path = tmp_path / "person.json"
    path.write_text(json.dumps(PERSON))
    return path


def test_reply_is_validated_repaired_and_pretty_printed(
    polly: Polly, provider: FakeProvider, schema_file: Path
) -> None:
    # the first reply has every required key but a nested value of the wrong type
    provider.reply(
        text_reply('{"name": "Ada", "age": 36, "tags": [1]}'),
        text_reply('{"name": "Ada", ', '"age": 36, "tags": ["math"]}'),
    )
    result = polly.run("-p", "Who wrote the first program?", "--schema", str(schema_file))
    assert result.code == 0, result.stderr
    assert result.stdout == json.dumps(
        {"name": "Ada", "age": 36, "tags": ["math"]}, indent=2
    ) + "\n"  # fmt: skip
    first, second = provider.requests
    assert first["response_format"]["type"] == "json_schema"
    repair = second["messages"][-1]
    assert repair["role"] == "user" and "$.tags[0]: 1 is not of type 'string'" in repair["content"]
    assert second["messages"][-2]["content"] == '{"name": "Ada", "age": 36, "tags": [1]}'


def test_reply_that_stays_invalid_is_an_error(
    polly: Polly, provider: FakeProvider, schema_file: Path
) -> None:
    provider.reply(text_reply("not json"), text_reply('{"name": "Ada", "age": -1}'))
    result = polly.run("-p", "x", "--schema", str(schema_file))
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr.startswith("Error: the reply does not match the schema")
    assert "$.age: -1 is less than the minimum of 0" in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read --schema file {path!r}: No such file or directory"),
        ("{oops", "--schema file {path!r} is not JSON"),
        ("[1, 2]", "--schema file {path!r} must hold a JSON Schema object"),
        ('{"type": 12}', "--schema file {path!r} is not a valid JSON Schema: 12 is not valid"),
    ],
)
def test_bad_schema_files(polly: Polly, tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "schema.json"
    if content is not None:
        path.write_text(content)
    result = polly.run("-p", "x", "--schema", str(path))
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr.startswith("Error: " + message.format(path=str(path)))
