"""SkillRuntime: its tools, activation through an agent turn, file reads by the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from pollytool.errors import DuplicateToolError, SkillNotFoundError
from pollytool.events import ToolResultEvent
from pollytool.llm import Agent, CompletionRequest, FakeLLM
from pollytool.messages import ChatMessage, MessageRole
from pollytool.providers.fake import Step, tool_call
from pollytool.skills import Catalog, discover
from pollytool.tools import SkillRuntime, ToolRegistry, tool
from tests.skills.conftest import CURATED

pytestmark = pytest.mark.anyio


@tool
def weather(city: str) -> str:
    """Current weather for a city."""
    return f"Sunny in {city}"


@pytest.fixture
def catalog(library: Path) -> Catalog:
    return discover([library, CURATED])


def _req(text: str = "Go") -> CompletionRequest:
    return CompletionRequest("fake", [ChatMessage.system("Be brief."), ChatMessage.user(text)])


async def test_registers_its_tools_with_the_skill_names_as_enum(catalog: Catalog) -> None:
    registry = ToolRegistry([weather])
    runtime = SkillRuntime(catalog, registry)
    assert registry.names() == ["weather", "activate_skill", "read_skill_file", "bash"]
    assert runtime.enabled and runtime.catalog is catalog
    activate = registry.get("activate_skill")
    assert activate is not None
    assert activate.schema["properties"]["name"]["enum"] == catalog.names()
    assert activate.schema["required"] == ["name"]
    read = registry.get("read_skill_file")
    assert read is not None
    assert read.schema["properties"]["skill"]["enum"] == catalog.names()
    assert read.schema["required"] == ["skill", "path"]
    bash = registry.get("bash")
    assert bash is not None
    assert bash.schema["properties"]["skill"]["enum"] == catalog.names()
    assert bash.schema["required"] == ["skill", "command"]
    assert [t.name for t in runtime.tools] == ["activate_skill", "read_skill_file", "bash"]


async def test_without_skills_the_runtime_is_disabled(tmp_path: Path) -> None:
    registry = ToolRegistry([weather])
    for catalog in (None, Catalog()):
        runtime = SkillRuntime(catalog, registry)
        assert not runtime.enabled and runtime.tools == []
        assert registry.names() == ["weather"]
        assert runtime.runtime_system_prompt("Base.") == "Base."
        await runtime.restore([])
        with pytest.raises(SkillNotFoundError, match="no skills are loaded, so 'x' cannot be"):
            await runtime.restore(["x"])
        with pytest.raises(SkillNotFoundError):
            await runtime.activate("x")


async def test_a_taken_tool_name_registers_nothing(catalog: Catalog) -> None:
    registry = ToolRegistry([tool(name="bash")(lambda: "mine")])
    with pytest.raises(DuplicateToolError) as caught:
        SkillRuntime(catalog, registry)
    assert str(caught.value) == (
        "the skill runtime's tool 'bash' cannot be registered: the registry already has a tool "
        "of that name; rename or remove that one (or pass bash=False to keep yours)"
    )
    assert registry.names() == ["bash"]  # nothing was registered
    runtime = SkillRuntime(catalog, registry, bash=False)
    assert registry.names() == ["bash", "activate_skill", "read_skill_file"]
    assert "no shell tool is offered here to run them" in await runtime.activate(
        "webapp-smoke-test"
    )


async def test_activation_text_lists_instructions_scripts_and_files(catalog: Catalog) -> None:
    runtime = SkillRuntime(catalog, ToolRegistry())
    text = await runtime.activate("webapp-smoke-test")
    skill = catalog["webapp-smoke-test"]
    assert text.startswith('<skill_content name="webapp-smoke-test">\n')
    assert f"Skill directory: {skill.root}\n" in text
    assert skill.instructions in text
    assert (
        "\nScripts (run them with the bash tool, in the skill directory; the sandbox allows "
        in text
    )
    assert "writes only to /tmp and no network):\n- scripts/start_and_wait.py\n" in text
    assert "Files (read them with read_skill_file):\n- LICENSE.txt\n- examples/basic_check.py" in (
        text
    )
    assert "Tool access: unchanged (every tool stays available)." in text
    assert text.endswith("</skill_content>")
    assert runtime.activated_skills() == ["webapp-smoke-test"]
    again = await runtime.activate("webapp-smoke-test")
    assert "(This skill was already active; its instructions follow again.)" in again
    assert runtime.activated_skills() == ["webapp-smoke-test"]


async def test_activation_through_an_agent_turn(catalog: Catalog) -> None:
    registry = ToolRegistry([weather])
    runtime = SkillRuntime(catalog, registry)
    fake = FakeLLM(
        [tool_call("activate_skill", {"name": "gh-ci-triage"}, id="call_1")],
        "The test step failed because yaml is missing.",
    )
    req = _req("CI is red on my PR")
    req.skills = runtime
    stream = Agent(fake, registry).stream(req)
    results = [e async for e in stream if isinstance(e, ToolResultEvent)]
    assert stream.result is not None
    assert stream.result.text == "The test step failed because yaml is missing."
    # the model was told about the skills in the system prompt of its first call
    first_system = fake.requests[0].messages[0]
    assert first_system.role == MessageRole.SYSTEM
    assert first_system.content.startswith("Be brief.\n\nYou can use skills")
    assert "<name>gh-ci-triage</name>" in first_system.content
    # the tool result carries the instructions and the resources
    assert [r.is_error for r in results] == [False]
    assert "# GitHub CI triage" in results[0].result
    assert "- scripts/summarize_log.py" in results[0].result
    assert "- references/common-failures.md" in results[0].result
    tool_message = fake.requests[1].messages[-1]
    assert tool_message.role == MessageRole.TOOL and tool_message.tool_call_id == "call_1"
    assert runtime.activated_skills() == ["gh-ci-triage"]
    # the second call's system prompt says which skill is active
    assert "Active skills: gh-ci-triage." in fake.requests[1].messages[0].content


async def test_model_reads_skill_files_and_escapes_fail(catalog: Catalog) -> None:
    registry = ToolRegistry()
    SkillRuntime(catalog, registry, max_file_bytes=300)

    def read(skill: str, path: str | None) -> Step:
        args = {"skill": skill} if path is None else {"skill": skill, "path": path}
        return tool_call("read_skill_file", args)

    fake = FakeLLM(
        [
            read("brand-voice", "references/tone-guide.md"),
            read("brand-voice", "../changelog-writer/SKILL.md"),
            read("brand-voice", "/etc/passwd"),
            read("brand-voice", "SKILL.md"),
            read("nope", "SKILL.md"),
            read("brand-voice", None),
        ],
        "done",
    )
    stream = Agent(fake, registry).stream(_req())
    results = [e async for e in stream if isinstance(e, ToolResultEvent)]
    assert [r.is_error for r in results] == [False, True, True, True, True, True]
    assert results[0].result.startswith("# Tone guide")
    assert "contains '..'" in results[1].result
    assert "is not relative to the skill directory" in results[2].result
    assert "at most 300 bytes can be read" in results[3].result
    assert "no skill is named 'nope'; skills: brand-voice," in results[4].result
    assert "read_skill_file needs 'path' as non-empty text, got None" in results[5].result


async def test_activate_skill_with_bad_arguments(catalog: Catalog) -> None:
    registry = ToolRegistry()
    runtime = SkillRuntime(catalog, registry)
    fake = FakeLLM(
        [tool_call("activate_skill", {"name": "nope"}), tool_call("activate_skill")], "x"
    )
    stream = Agent(fake, registry).stream(_req())
    results = [e async for e in stream if isinstance(e, ToolResultEvent)]
    assert [r.is_error for r in results] == [True, True]
    assert results[0].result.startswith("no skill is named 'nope'; skills: brand-voice")
    assert "needs 'name' as non-empty text" in results[1].result
    assert runtime.activated_skills() == []
