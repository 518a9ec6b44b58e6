"""``import pollytool`` loads no vendor SDK (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ["openai", "anthropic", "google.genai", "ollama", "mcp", "httpx", "httpx2", "pydantic"]


@pytest.mark.parametrize(
    "statement",
    [
        "import pollytool",
        "import pollytool.llm",
        "import pollytool.messages",
        "import pollytool.events, pollytool.errors, pollytool.providers",
        "from pollytool import ChatMessage, CompletionRequest, MultiPass, Thinking, EventType",
        "from pollytool.llm import MultiPass, get_default_client, CompletionRequest; "
        "MultiPass().stream",
    ],
)
def test_no_vendor_sdk_is_imported(statement: str) -> None:
    code = f"{statement}\nimport sys\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_facades_expose_their_names() -> None:
    import pollytool
    import pollytool.llm

    for name in pollytool.__all__:
        assert getattr(pollytool, name) is not None
    for name in ("CompletionRequest", "MultiPass", "Thinking", "Schema", "FakeLLM"):
        assert name in dir(pollytool.llm)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = pollytool.Nope  # type: ignore[attr-defined]


def test_static_all_matches_the_lazy_exports() -> None:
    import pollytool
    import pollytool.llm

    assert set(pollytool.__all__) - {"__version__"} == set(pollytool._EXPORTS)
    assert set(pollytool.llm.__all__) == set(pollytool.llm._EXPORTS)
