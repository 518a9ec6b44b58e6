"""Every example in ``examples/`` runs (with its keyless default model) and prints what it
promises."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _start(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home)}
    env = {k: v for k, v in env.items() if not k.startswith("POLLYTOOL_")}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def _run(*args: str, home: Path) -> str:
    done = _start(*args, home=home)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _fails_clearly(*args: str, home: Path) -> str:
    """Run an example that must fail: exit status 1 and one clear line, no traceback."""
    done = _start(*args, home=home)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert "AssertionError" not in done.stderr
    return done.stderr


def test_every_example_is_covered() -> None:
    assert {p.name for p in EXAMPLES.glob("*.py")} == {
        "stream_chat.py", "weather_agent.py", "extract_structured.py", "persistent_chat.py",
    }  # fmt: skip


def test_stream_chat(tmp_path: Path) -> None:
    out = _run(str(EXAMPLES / "stream_chat.py"), "hello there", home=tmp_path)
    assert out.startswith("hello there\n(stop: end_turn")


def test_weather_agent(tmp_path: Path) -> None:
    out = _run(str(EXAMPLES / "weather_agent.py"), home=tmp_path)
    assert '-> get_weather({"city": "Paris"}) = 18° celsius, clear skies in Paris' in out
    assert '-> get_weather({"city": "Tokyo"}) = 24° celsius, clear skies in Tokyo' in out
    assert "Paris is 18 °C and Tokyo 24 °C" in out
    assert "(2 model calls, 4 new messages)" in out


@pytest.mark.parametrize("example", ["weather_agent.py", "extract_structured.py", "stream_chat.py"])
def test_a_real_model_without_a_key_fails_with_a_clear_message(
    tmp_path: Path, example: str
) -> None:
    args = ["hello"] if example == "stream_chat.py" else []
    stderr = _fails_clearly(str(EXAMPLES / example), *args, "--model", "openai/gpt-5.4",
                            home=tmp_path)  # fmt: skip
    assert "POLLYTOOL_OPENAIKEY" in stderr


def test_extract_structured_repairs_once(tmp_path: Path) -> None:
    out = _run(str(EXAMPLES / "extract_structured.py"), home=tmp_path)
    assert "UserInfo(name='John Doe', age=30, email='john@example.com')" in out
    assert "(the fake model was asked 2 times)" in out


@pytest.mark.parametrize("store", ["default", "explicit"])
def test_persistent_chat_keeps_history_across_runs(tmp_path: Path, store: str) -> None:
    args = [] if store == "default" else ["--store", str(tmp_path / "sessions")]
    script = str(EXAMPLES / "persistent_chat.py")
    first = _run(script, "Remember 7", "--session", "demo", *args, home=tmp_path)
    second = _run(script, "Which number?", "--session", "demo", *args, home=tmp_path)
    assert "(2 messages in session 'demo')" in first
    assert second.startswith("Which number?\n(4 messages in session 'demo')")
    if store == "default":
        assert (tmp_path / ".pollytool" / "contexts").is_dir()


def test_persistent_chat_stores_nothing_when_the_call_fails(tmp_path: Path) -> None:
    script = str(EXAMPLES / "persistent_chat.py")
    store = ["--session", "demo", "--store", str(tmp_path / "sessions")]
    stderr = _fails_clearly(script, "Lost?", *store, "--model", "openai/gpt-5.4", home=tmp_path)
    assert "POLLYTOOL_OPENAIKEY" in stderr
    # the failed turn left no dangling user message: the next run starts from an empty session
    out = _run(script, "Hello", *store, home=tmp_path)
    assert out.startswith("Hello\n(2 messages in session 'demo')")


def test_every_readme_python_block_goes_to_the_type_checkers() -> None:
    path = Path(__file__).parent / "typing" / "readme_snippets.py"
    spec = importlib.util.spec_from_file_location("readme_snippets", path)
    assert spec is not None and spec.loader is not None
    snippets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(snippets)
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    checked = snippets.module(readme)
    assert checked.count("# --- README.md line") == readme.count("```python") >= 5
    compile(checked, "readme_checked.py", "exec")  # the README's code is valid Python
