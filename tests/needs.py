"""The rule for tests that need something installed (a binary, a server, a model).

On a developer machine a missing dependency skips the test with a message saying how to
install it; when ``CI=true`` it fails the test, so a broken CI install can never pass as a run
with skipped tests.
"""

from __future__ import annotations

import os

import pytest

__all__ = ["CI", "require"]

#: In CI a missing dependency fails the test instead of skipping it.
CI = os.environ.get("CI", "").lower() == "true"


def require(condition: object, reason: str) -> None:
    """Skip (or, under ``CI=true``, fail) the test when *condition* is false, saying *reason*."""
    if not condition:
        if CI:
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
