"""The error tree: typing, messages and secret redaction."""

from __future__ import annotations

import pytest

from pollytool import errors
from pollytool.errors import (
    ContextLengthError,
    InvalidRequestError,
    OverloadedError,
    PollyError,
    ProviderError,
    RateLimitError,
    ServerError,
    redact,
)
from pollytool.providers._errors import error_for_status, parse_retry_after, transport_error


def test_every_exported_error_is_a_polly_error() -> None:
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type):
            assert issubclass(obj, PollyError), name


def test_tree_drawn_in_the_docstring_names_every_class() -> None:
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        if isinstance(getattr(errors, name), type):
            assert name in doc, name


@pytest.mark.parametrize(
    ("status", "cls"),
    [(400, InvalidRequestError), (401, errors.AuthenticationError),
     (403, errors.PermissionDeniedError), (404, errors.ModelNotFoundError),
     (413, errors.RequestTooLargeError), (429, RateLimitError), (500, ServerError),
     (502, ServerError), (529, OverloadedError), (418, InvalidRequestError)],
)  # fmt: skip
def test_error_for_status(status: int, cls: type[ProviderError]) -> None:
    error = error_for_status(status, "nope", provider="p", headers={"x-request-id": "req_1"})
    assert type(error) is cls
    assert error.request_id == "req_1"
    assert str(error) == f"p: nope (status {status}, request id req_1)"


def test_retry_after_headers() -> None:
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"retry-after": "7"}) == 7
    assert parse_retry_after({}) is None
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0
    error = error_for_status(429, "slow", provider="p", headers={"retry-after": "3"})
    assert error.retry_after == 3
    assert error.retryable


def test_context_length_override_and_body() -> None:
    error = error_for_status(400, "too long", provider="p", cls=ContextLengthError, body={"a": 1})
    assert isinstance(error, InvalidRequestError)
    assert error.body == {"a": 1}


def test_redaction_of_keys_in_messages() -> None:
    text = "bad key sk-proj-abcdefghijklmnop and AIzaSyA1234567890abcdefghij; Bearer tok3n.abc.def"
    cleaned = redact(text)
    assert "abcdefghijklmnop" not in cleaned
    assert "AIzaSy" not in cleaned
    assert "tok3n" not in cleaned
    assert redact("my key is hunter2-secret", ["hunter2-secret"]) == "my key is [REDACTED]"
    error = error_for_status(401, "Incorrect API key sk-abcdefgh12345678", provider="openai")
    assert "sk-abcdefgh" not in str(error) and "sk-abcdefgh" not in repr(error)


def test_transport_errors_by_class_name() -> None:
    class ReadTimeout(Exception):
        pass

    class RemoteProtocolError(Exception):
        pass

    class ConnectError(Exception):
        pass

    assert isinstance(transport_error(ReadTimeout(), provider="p"), errors.APITimeoutError)
    assert isinstance(transport_error(RemoteProtocolError(), provider="p"),
                      errors.StreamInterruptedError)  # fmt: skip
    assert isinstance(transport_error(ConnectionRefusedError(), provider="p"),
                      errors.APIConnectionError)  # fmt: skip
    assert type(transport_error(ConnectError(), provider="p")) is errors.APIConnectionError
    assert transport_error(ValueError(), provider="p") is None
