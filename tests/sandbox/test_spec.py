"""SandboxSpec parsing and merging, environment filtering, and the disable switch."""

from __future__ import annotations

import pytest

from pollytool.errors import ConfigurationError, SandboxSpecError
from pollytool.tools.sandbox import (
    NOSANDBOX_ENV,
    SandboxSpec,
    filter_environment,
    sandboxing_disabled,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, SandboxSpec()),
        (False, None),
        (None, None),
        ({}, SandboxSpec()),
        (
            {
                "allowNetwork": True,
                "denyDNS": True,
                "writablePaths": ["/tmp/data", "~/out"],
                "readPaths": ["~/.aws"],
                "allowEnv": ["AWS_PROFILE", "PATH"],
                "denyWrite": False,
            },
            SandboxSpec(
                allow_network=True,
                deny_dns=True,
                writable_paths=("/tmp/data", "~/out"),
                read_paths=("~/.aws",),
                allow_env=("AWS_PROFILE", "PATH"),
            ),
        ),
        ({"allowEnv": None}, SandboxSpec()),
        ({"allowEnv": []}, SandboxSpec(allow_env=())),
    ],
)
def test_parse(value: object, expected: SandboxSpec | None) -> None:
    assert SandboxSpec.parse(value) == expected


def test_parse_returns_a_spec_as_it_is() -> None:
    spec = SandboxSpec(allow_network=True)
    assert SandboxSpec.parse(spec) is spec


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("yes", "unsupported sandbox value 'yes'"),
        (1, "unsupported sandbox value 1"),
        ([True], "unsupported sandbox value"),
        ({"allowNet": True}, "unknown sandbox field 'allowNet'"),
        ({"denyWirte": True}, "unknown sandbox field 'denyWirte'"),
        ({"allowNetwork": "true"}, "'allowNetwork' must be true or false"),
        ({"denyWrite": 1}, "'denyWrite' must be true or false"),
        ({"writablePaths": "/tmp"}, "'writablePaths' must be a list of strings"),
        ({"writablePaths": [1]}, "'writablePaths' must hold non-empty strings"),
        ({"readPaths": [""]}, "'readPaths' must hold non-empty strings"),
        ({"writablePaths": ["relative/dir"]}, "paths must be absolute or start with '~/'"),
        ({"readPaths": ["~root/.ssh"]}, "paths must be absolute or start with '~/'"),
        ({"allowEnv": ["A=B"]}, "not a variable name"),
        ({"allowEnv": "PATH"}, "'allowEnv' must be a list of strings"),
    ],
)
def test_bad_values_name_the_problem(value: object, message: str) -> None:
    with pytest.raises(SandboxSpecError, match=message.replace("(", r"\(")) as info:
        SandboxSpec.parse(value)
    assert isinstance(info.value, ValueError)


def test_constructor_validates_too() -> None:
    with pytest.raises(SandboxSpecError, match="allowNetwork"):
        SandboxSpec(allow_network="yes")  # type: ignore[arg-type]
    assert SandboxSpec(writable_paths=["/a"]).writable_paths == ("/a",)  # type: ignore[arg-type]


def test_to_dict_round_trips() -> None:
    spec = SandboxSpec(allow_network=True, writable_paths=("~/x",), allow_env=("PATH",))
    data = spec.to_dict()
    assert data == {
        "allowNetwork": True,
        "denyDNS": False,
        "writablePaths": ["~/x"],
        "readPaths": [],
        "allowEnv": ["PATH"],
        "denyWrite": False,
    }
    assert SandboxSpec.parse(data) == spec
    assert "allowEnv" not in SandboxSpec().to_dict()


def test_merge_ors_booleans_and_joins_lists() -> None:
    base = SandboxSpec(deny_dns=True, writable_paths=("/a",), allow_env=None)
    tool = SandboxSpec(allow_network=True, writable_paths=("/b", "/a"), allow_env=("PATH",))
    merged = base.merge(tool)
    assert merged == SandboxSpec(
        allow_network=True, deny_dns=True, writable_paths=("/a", "/b"), allow_env=("PATH",)
    )
    assert SandboxSpec().merge(SandboxSpec()).allow_env is None
    assert SandboxSpec(allow_env=("A",)).merge(SandboxSpec(allow_env=("B",))).allow_env == (
        "A",
        "B",
    )


ENV = {
    "PATH": "/bin",
    "HOME": "/home/u",
    "POLLYTOOL_OPENAIKEY": "sk-x",
    "POLLYTOOL_NOSANDBOX": "true",
    "OPENAI_API_KEY": "k",
    "GITHUB_TOKEN": "t",
    "AWS_SECRET_ACCESS_KEY": "s",
    "DB_PASSWORD": "p",
    "SSH_AUTH_SOCK": "/run/agent",
    "AWS_REGION": "eu-west-1",
}


def test_default_environment_drops_credential_shaped_variables() -> None:
    assert filter_environment(ENV, None) == {
        "PATH": "/bin",
        "HOME": "/home/u",
        "AWS_REGION": "eu-west-1",
    }


def test_allow_env_passes_exactly_the_listed_variables() -> None:
    assert filter_environment(ENV, ("PATH", "POLLYTOOL_OPENAIKEY", "MISSING")) == {
        "PATH": "/bin",
        "POLLYTOOL_OPENAIKEY": "sk-x",
    }
    assert filter_environment(ENV, ()) == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, False), ("true", True), ("TRUE", True), ("1", True), ("false", False), ("0", False)],
)
def test_nosandbox_environment_variable(
    monkeypatch: pytest.MonkeyPatch, value: str | None, expected: bool
) -> None:
    if value is None:
        monkeypatch.delenv(NOSANDBOX_ENV, raising=False)
    else:
        monkeypatch.setenv(NOSANDBOX_ENV, value)
    assert sandboxing_disabled() is expected


def test_explicit_nosandbox_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NOSANDBOX_ENV, "true")
    assert sandboxing_disabled(False) is False
    monkeypatch.delenv(NOSANDBOX_ENV)
    assert sandboxing_disabled(True) is True


def test_unreadable_nosandbox_value_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NOSANDBOX_ENV, "maybe")
    with pytest.raises(ConfigurationError, match="POLLYTOOL_NOSANDBOX must be true or false"):
        sandboxing_disabled()
