"""Seed section "Skills Runtime"."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pollytool import ChatMessage, CompletionRequest, MultiPass
from pollytool.errors import SkillDirectoryError, SkillNotFoundError
from pollytool.skills import load_catalog, resolve_dirs
from pollytool.tools import SkillRuntime, ToolRegistry
from tests.examples._support import EXAMPLES, replay
from tests.fakes.loopback import LoopbackServer

pytestmark = pytest.mark.anyio

SKILLS = Path(__file__).resolve().parents[1] / "data" / "skills"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home directory with ``~/my-skills`` (the seed's name) holding two skills."""
    monkeypatch.setenv("HOME", str(tmp_path))
    shutil.copytree(
        SKILLS / "library" / "changelog-writer", tmp_path / "my-skills" / "changelog-writer"
    )
    shutil.copytree(
        EXAMPLES / "skills" / "skills" / "word-stats", tmp_path / "my-skills" / "word-stats"
    )
    return tmp_path


async def test_resolve_dirs(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``ResolveDirs`` expands ``~``, removes duplicates, checks each directory, and falls back
    to ``~/.pollytool/skills`` when given none."""
    (home / "local-skills").mkdir()
    monkeypatch.chdir(home)
    dirs = resolve_dirs(["~/my-skills", "./local-skills", str(home / "my-skills")])
    assert dirs == [home / "my-skills", home / "local-skills"]
    with pytest.raises(SkillDirectoryError, match="'~/missing' does not exist"):
        resolve_dirs(["~/missing"])
    assert resolve_dirs([]) == []
    (home / ".pollytool" / "skills").mkdir(parents=True)
    assert resolve_dirs([]) == [home / ".pollytool" / "skills"]


async def test_skills_runtime(home: Path, router: MultiPass, loopback: LoopbackServer) -> None:
    """``LoadCatalog``, ``NewSkillRuntime``, skills on the request, ``RuntimeSystemPrompt``,
    ``Activate``, ``ActivatedSkills`` and ``Restore``."""
    catalog = load_catalog(["~/my-skills"])
    assert catalog is not None
    assert catalog.names() == ["changelog-writer", "word-stats"]

    registry = ToolRegistry()
    skill_runtime = SkillRuntime(catalog, registry)
    assert {"activate_skill", "read_skill_file"} <= set(registry.names())

    # Skills on the request: the system prompt is extended when the request is sent.
    replay(loopback, "openai/chat__stream_text")
    history = [ChatMessage.user("Summarise the release")]
    req = CompletionRequest("openai/gpt-5.4", history, skills=catalog)
    await router.stream(req).collect()
    sent_system = loopback.requests[0].json()["messages"][0]
    assert sent_system["role"] == "system" and "changelog-writer" in sent_system["content"]
    assert history == [ChatMessage.user("Summarise the release")]  # not changed

    # Or by hand.
    system_prompt = catalog.runtime_system_prompt("You are a helpful assistant")
    assert system_prompt.startswith("You are a helpful assistant")
    assert "word-stats" in system_prompt

    # Activate directly from application code.
    instructions = await skill_runtime.activate("word-stats")
    assert "scripts/word_stats.sh" in instructions
    with pytest.raises(SkillNotFoundError, match="code-reviewer"):
        await skill_runtime.activate("code-reviewer")

    # Persist and restore active skills across runs.
    saved_skills = skill_runtime.activated_skills()
    assert saved_skills == ["word-stats"]
    next_run = SkillRuntime(catalog, ToolRegistry())
    await next_run.restore(saved_skills)
    assert next_run.activated_skills() == ["word-stats"]
