"""Session name validation: every name is one safe file name."""

from __future__ import annotations

import pytest

from pollytool.errors import InvalidSessionNameError
from pollytool.sessions import validate_session_name

VALID = [
    "chat",
    "my-session_2",
    "with space inside",
    "dotted.name",
    "a..b",
    "ünïcödé-会话",
    "x" * 200,
    "emoji-🦜",
]

INVALID = [
    ("", "empty"),
    (".", "reserved"),
    ("..", "reserved"),
    ("a/b", "'/'"),
    ("../etc", "'/'"),
    ("a\\b", "'\\\\\\\\'"),
    ("c:drive", "':'"),
    ("star*", "'\\*'"),
    ("what?", "'\\?'"),
    ('quote"d', "'\"'"),
    ("less<", "'<'"),
    ("more>", "'>'"),
    ("pi|pe", "'\\|'"),
    ("nul\x00byte", "control"),
    ("new\nline", "control"),
    ("tab\t", "control"),
    ("del\x7f", "control"),
    (" leading", "starts or ends"),
    ("trailing ", "starts or ends"),
    (".hidden", "starts or ends"),
    ("trailing.", "starts or ends"),
    ("x" * 201, "longer than 200 bytes"),
    ("é" * 101, "longer than 200 bytes"),
    ("lone\ud800surrogate", "surrogate"),
]


@pytest.mark.parametrize("name", VALID)
def test_valid_names(name: str) -> None:
    assert validate_session_name(name) == name


@pytest.mark.parametrize(("name", "reason"), INVALID)
def test_invalid_names_say_why(name: str, reason: str) -> None:
    with pytest.raises(InvalidSessionNameError, match=reason) as caught:
        validate_session_name(name)
    assert isinstance(caught.value, ValueError)
    assert "invalid session name" in str(caught.value)


def test_non_string_name() -> None:
    with pytest.raises(InvalidSessionNameError, match="string"):
        validate_session_name(42)  # type: ignore[arg-type]
