"""Every example in ``examples/`` runs (with its keyless default model) and prints what it
promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run(*args: str, home: Path) -> str:
    env = {**os.environ, "HOME": str(home)}
    env = {k: v for k, v in env.items() if not k.startswith("POLLYTOOL_")}
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


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
