"""Active skills persist in session metadata and come back on resume (real FileSessionStore)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pollytool.errors import SessionError, SkillNotFoundError
from pollytool.llm import Agent, CompletionRequest, FakeLLM
from pollytool.messages import ChatMessage
from pollytool.providers.fake import tool_call
from pollytool.sessions import FileSessionStore
from pollytool.skills import Catalog, SkillWarning, discover
from pollytool.tools import SkillRuntime, ToolRegistry, tool

pytestmark = pytest.mark.anyio


@tool
def weather(city: str) -> str:
    """Current weather for a city."""
    return f"Sunny in {city}"


@tool(name="read")
def read_tool() -> str:
    """Read something."""
    return "read"


@pytest.fixture
def catalog(library: Path) -> Catalog:
    return discover([library])


async def test_activated_skills_survive_a_session_reload(catalog: Catalog, tmp_path: Path) -> None:
    contexts = tmp_path / "contexts"
    # first run: the model activates a skill; the runtime writes it to the session
    async with FileSessionStore(contexts) as store, store.session("release") as session:
        registry = ToolRegistry([weather, read_tool])
        runtime = SkillRuntime(catalog, registry)
        assert await runtime.bind_session(session) == []
        fake = FakeLLM([tool_call("activate_skill", {"name": "changelog-writer"})], "Done.")
        history = [ChatMessage.user("Write the changelog")]
        result = await Agent(fake, registry).run(CompletionRequest("fake", history))
        await session.add_messages([*history, *result.new_messages])
        assert (await session.get_metadata()).skills == ["changelog-writer"]

    # second run, new objects reading the same files: the skill is active again
    async with FileSessionStore(contexts) as store, store.session("release") as session:
        assert (await session.get_metadata()).skills == ["changelog-writer"]
        registry = ToolRegistry([weather, read_tool])
        runtime = SkillRuntime(catalog, registry)
        assert await runtime.bind_session(session) == ["changelog-writer"]
        assert runtime.activated_skills() == ["changelog-writer"]
        # its allowed-tools apply to the resumed conversation's first turn
        fake = FakeLLM("Resumed.")
        req = CompletionRequest("fake", await session.get_history(), skills=runtime)
        await Agent(fake, registry).run(req)
        assert [t.name for t in fake.requests[0].tools] == [
            "read",
            "activate_skill",
            "read_skill_file",
            "bash",
        ]
        assert "Active skills: changelog-writer." in fake.requests[0].messages[0].content
        # a later change is written too
        await runtime.activate("brand-voice")
        await runtime.deactivate("changelog-writer")

    async with FileSessionStore(contexts) as store, store.session("release") as session:
        assert (await session.get_metadata()).skills == ["brand-voice"]


async def test_saved_skills_missing_from_the_catalog_are_dropped_with_a_warning(
    catalog: Catalog, tmp_path: Path
) -> None:
    async with FileSessionStore(tmp_path) as store, store.session("old") as session:
        await session.update_metadata(skills=["retired-skill", "brand-voice"])
        runtime = SkillRuntime(catalog, ToolRegistry())
        with pytest.warns(SkillWarning, match="session 'old' lists skills the catalog does not"):
            restored = await runtime.bind_session(session)
        assert restored == ["brand-voice"]
        assert (await session.get_metadata()).skills == ["brand-voice"]


async def test_restore_is_all_or_nothing(catalog: Catalog) -> None:
    runtime = SkillRuntime(catalog, ToolRegistry())
    with pytest.raises(SkillNotFoundError, match=r"no skill is named 'nope', 'gone'; skills: "):
        await runtime.restore(["brand-voice", "nope", "gone"])
    assert runtime.activated_skills() == []
    await runtime.restore(["brand-voice", "changelog-writer", "brand-voice"])
    assert runtime.activated_skills() == ["brand-voice", "changelog-writer"]


async def test_a_failed_save_leaves_the_skill_inactive(catalog: Catalog, tmp_path: Path) -> None:
    store = FileSessionStore(tmp_path)
    session = await store.get("closing")
    registry = ToolRegistry([weather, read_tool])
    runtime = SkillRuntime(catalog, registry)
    await runtime.bind_session(session)
    await session.close()  # later writes through this handle fail
    with pytest.raises(SessionError):
        await runtime.activate("changelog-writer")
    assert runtime.activated_skills() == []
    assert registry.names() == ["weather", "read", "activate_skill", "read_skill_file", "bash"]
