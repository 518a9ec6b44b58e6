"""allowed-tools: parsing, matching, and the visibility rule applied from the next turn."""

from __future__ import annotations

from pathlib import Path

import pytest

from pollytool.events import ToolResultEvent
from pollytool.llm import Agent, CompletionRequest, FakeLLM
from pollytool.messages import ChatMessage
from pollytool.providers.fake import tool_call
from pollytool.skills import Catalog, ToolPattern, discover, split_allowed_tools
from pollytool.tools import SkillRuntime, Tool, ToolRegistry, tool
from tests.skills.conftest import write_skill

pytestmark = pytest.mark.anyio

SKILL_TOOLS = ["activate_skill", "read_skill_file", "bash"]


def _tool(name: str) -> Tool:
    return tool(name=name, description=f"The {name} tool.")(lambda: name)


@pytest.fixture
def registry() -> ToolRegistry:
    registry = ToolRegistry([_tool("weather"), _tool("read"), _tool("grep")])
    registry.register(_tool("draft"), namespace="changelog")
    return registry


@pytest.fixture
def catalog(library: Path, tmp_path: Path) -> Catalog:
    extra = tmp_path / "extra"
    write_skill(
        extra / "weather-only", "name: weather-only\ndescription: d\nallowed-tools: weather"
    )
    return discover([library, extra])


@pytest.mark.parametrize(
    ("value", "entries"),
    [
        ("Read Grep", ["Read", "Grep"]),
        ("Read, Grep,Glob", ["Read", "Grep", "Glob"]),
        ("Bash(git diff:*) Read", ["Bash(git diff:*)", "Read"]),
        ("  Bash(git log:*, git show:*)  web__* ", ["Bash(git log:*, git show:*)", "web__*"]),
        ("", []),
    ],
)
def test_split_allowed_tools(value: str, entries: list[str]) -> None:
    assert split_allowed_tools(value) == entries


@pytest.mark.parametrize(
    ("entry", "name", "matches"),
    [
        ("Read", "read", True),  # case does not matter
        ("read", "Read", True),
        ("Bash(git log:*)", "bash", True),  # the qualifier is not enforced
        ("Bash(git log:*)", "bash_extra", False),
        ("changelog__*", "changelog__draft", True),
        ("changelog__*", "weather", False),
        ("we?ther", "weather", True),
        ("*", "anything", True),
        ("(odd)", "odd", False),  # no name part: matches nothing
    ],
)
def test_pattern_matching(entry: str, name: str, matches: bool) -> None:
    assert ToolPattern.parse(entry).matches(name) is matches


async def test_restriction_applies_from_the_next_turn(
    catalog: Catalog, registry: ToolRegistry
) -> None:
    runtime = SkillRuntime(catalog, registry)
    fake = FakeLLM(
        [tool_call("activate_skill", {"name": "changelog-writer"})],
        [tool_call("weather", {}), tool_call("read", {})],
        "done",
    )
    req = CompletionRequest("fake", [ChatMessage.user("Write the changelog")])
    stream = Agent(fake, registry).stream(req)
    results = [e async for e in stream if isinstance(e, ToolResultEvent)]
    offered = [[t.name for t in r.tools] for r in fake.requests]
    everything = ["weather", "read", "grep", "changelog__draft", *SKILL_TOOLS]
    allowed = ["read", "changelog__draft", *SKILL_TOOLS]
    assert offered == [everything, allowed, allowed]
    note = "Tool access from your next turn (the active skills' allowed-tools): "
    assert f"{note}{', '.join(allowed)}\n" in results[0].result
    # a hidden tool cannot be run even if the model calls it
    assert results[1].is_error
    assert "tool 'weather' does not exist" in results[1].result
    assert (results[2].is_error, results[2].result) == (False, "read")
    assert runtime.activated_skills() == ["changelog-writer"]


async def test_the_rule_is_a_union_and_is_revocable(
    catalog: Catalog, registry: ToolRegistry
) -> None:
    runtime = SkillRuntime(catalog, registry)
    everything = ["weather", "read", "grep", "changelog__draft", *SKILL_TOOLS]
    assert registry.names() == everything
    await runtime.activate("changelog-writer")
    assert registry.names() == ["read", "changelog__draft", *SKILL_TOOLS]
    await runtime.activate("weather-only")  # two restrictive skills: the union
    assert registry.names() == ["weather", "read", "changelog__draft", *SKILL_TOOLS]
    assert await runtime.deactivate("changelog-writer")
    assert registry.names() == ["weather", *SKILL_TOOLS]
    # a skill without allowed-tools allows every tool, whatever was active before
    await runtime.activate("brand-voice")
    assert registry.names() == everything
    assert await runtime.deactivate("brand-voice")
    assert registry.names() == ["weather", *SKILL_TOOLS]
    assert await runtime.deactivate("weather-only")
    assert not await runtime.deactivate("weather-only")
    assert registry.names() == everything


async def test_hidden_tools_stay_reachable_by_lookup(
    catalog: Catalog, registry: ToolRegistry
) -> None:
    runtime = SkillRuntime(catalog, registry)
    await runtime.activate("weather-only")
    assert [t.name for t in registry] == ["weather", *SKILL_TOOLS]
    assert [s["title"] for s in registry.schemas()] == ["weather", *SKILL_TOOLS]
    assert "read" in registry and registry.get("read") is not None
    assert len(registry) == 7
    assert runtime.is_visible("weather") and not runtime.is_visible("read")
