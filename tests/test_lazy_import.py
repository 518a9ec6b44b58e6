"""``import pollytool`` loads no vendor SDK (checked in a fresh interpreter), the provider
clients load theirs on first use, and the providers import only the leaf modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

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
        "from pollytool import EmbeddingRequest; from pollytool.llm import embed, MultiPass; "
        "MultiPass().embed",
        "from pollytool.llm import OpenAIClient, AnthropicClient, GeminiClient, OllamaClient",
        "from pollytool.providers.gemini import GeminiClient; GeminiClient('AIza-key')",
        "from pollytool.providers.ollama import OllamaClient; OllamaClient()",
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


#: What the providers may import from pollytool: the contract types and shared helpers, never
#: the router, agent, sessions or anything else built on top of them.
LEAVES = {
    "pollytool._jsonschema", "pollytool._lazy", "pollytool._resource", "pollytool.embeddings",
    "pollytool.errors",
    "pollytool.events",
    "pollytool.messages", "pollytool.request", "pollytool.schema", "pollytool.stream",
    "pollytool.thinking", "pollytool.tools.base",
}  # fmt: skip


def test_providers_import_only_leaf_modules() -> None:
    package = Path(__file__).resolve().parents[1] / "pollytool"
    for path in (package / "providers").rglob("*.py"):
        module = ".".join(path.relative_to(package.parent).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:  # relative to the package ("x.__init__" counts as a module)
                    base = module.split(".")[: -node.level]
                    name = ".".join([*base, *(node.module.split(".") if node.module else [])])
                else:
                    name = node.module or ""
                names = [name]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name.startswith("pollytool.") and not name.startswith("pollytool.providers"):
                    assert name in LEAVES, f"{module} imports {name}"
