"""SessionMetadata: serialisation, validation and explicit partial updates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pollytool.errors import ConfigurationError
from pollytool.sessions import SessionMetadata

FULL = SessionMetadata(
    name="full",
    created=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    last_used=datetime(2026, 1, 3, tzinfo=UTC),
    description="everything set",
    ttl=3600.0,
    model="anthropic/claude-sonnet-4-5",
    temperature=0.0,
    max_tokens=8192,
    max_history_tokens=0,
    thinking="high",
    system_prompt="Be brief.",
    tools=[{"name": "bash", "type": "native", "source": ""}],
    mcp_servers=["filesystem"],
    skills=["pdf"],
    skill_dirs=["~/.skills"],
    tool_timeout=30.0,
    max_iterations=12,
    extra={"future_field": {"a": [1, 2]}},
)


def test_round_trip_keeps_every_field() -> None:
    data = FULL.to_dict()
    assert data["future_field"] == {"a": [1, 2]}
    assert data["temperature"] == 0.0 and data["max_history_tokens"] == 0
    assert SessionMetadata.from_dict(data) == FULL


def test_copy_is_independent() -> None:
    copy = FULL.copy()
    copy.tools[0]["name"] = "changed"
    copy.extra["future_field"]["a"].append(3)
    assert FULL.tools[0]["name"] == "bash"
    assert FULL.extra == {"future_field": {"a": [1, 2]}}


def test_missing_fields_take_defaults() -> None:
    metadata = SessionMetadata.from_dict({"name": "old"})
    assert (metadata.name, metadata.temperature, metadata.tools) == ("old", None, [])
    assert metadata.created.tzinfo is not None


def test_naive_times_are_read_as_utc() -> None:
    metadata = SessionMetadata.from_dict({"created": "2025-08-23T10:00:00"})
    assert metadata.created == datetime(2025, 8, 23, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"temperature": "0.7"}, "temperature"),
        ({"temperature": True}, "temperature"),
        ({"max_tokens": 1.5}, "max_tokens"),
        ({"max_tokens": -1}, "max_tokens"),
        ({"ttl": 0}, "ttl"),
        ({"tools": ["bash"]}, "tools"),
        ({"skills": "pdf"}, "skills"),
        ({"created": "yesterday"}, "created"),
        ({"name": 3}, "name"),
    ],
)
def test_bad_values_are_named(data: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        SessionMetadata.from_dict(data)


def test_with_changes_sets_exactly_the_given_fields() -> None:
    changed = FULL.with_changes(temperature=0.7, tools=[], model=None)
    assert (changed.temperature, changed.tools, changed.model) == (0.7, [], None)
    assert changed.max_tokens == 8192 and changed.skills == ["pdf"]
    assert FULL.temperature == 0.0  # the original is untouched
    assert FULL.with_changes() == FULL


def test_with_changes_rejects_unknown_and_bad_fields() -> None:
    with pytest.raises(ConfigurationError, match="'name' cannot be changed"):
        FULL.with_changes(name="x")  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="max_iterations"):
        FULL.with_changes(max_iterations="many")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"JSON|serializable"):
        FULL.with_changes(extra={"handle": object()})
    with pytest.raises(ConfigurationError, match="finite"):
        FULL.with_changes(temperature=float("nan"))


@pytest.mark.parametrize("field", ["model", "name", "created", "last_used", "extra", "tools"])
def test_extra_keys_named_like_fields_are_refused(field: str) -> None:
    metadata = SessionMetadata(extra={field: "shadow"})
    with pytest.raises(ConfigurationError, match=rf"extra key {field!r} is the name of a"):
        metadata.copy()


def test_file_keys_named_like_fields_are_read_as_fields() -> None:
    metadata = SessionMetadata.from_dict({"model": "m/x", "color": "blue"})
    assert (metadata.model, metadata.extra) == ("m/x", {"color": "blue"})
    assert metadata.copy() == metadata


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({1: "a"}, "would change"),
        ({"t": (1, 2)}, "would change"),
        ({"inf": float("inf")}, "not JSON compliant"),
    ],
)
def test_data_json_would_change_is_refused(extra: dict[object, object], reason: str) -> None:
    with pytest.raises(ConfigurationError, match=reason):
        SessionMetadata(extra=extra).copy()  # type: ignore[arg-type]
