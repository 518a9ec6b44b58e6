"""The catalog: lookups, the prompt text, build_messages, and injection into requests."""

from __future__ import annotations

from pathlib import Path

import pytest

from pollytool.errors import DuplicateSkillError, SkillNotFoundError
from pollytool.llm import CompletionBuilder, CompletionRequest, FakeLLM
from pollytool.messages import ChatMessage, MessageRole
from pollytool.skills import SKILLS_INSTRUCTIONS, Catalog, Skill, discover
from tests.skills.conftest import CURATED, SINGLE

EXPECTED_PROMPT = f"""You are terse.

{SKILLS_INSTRUCTIONS}

<available_skills>
<skill>
<name>commit-message</name>
<description>Writes a commit message for the staged changes. Use when the user asks for a \
commit message.</description>
</skill>
<skill>
<name>gh-ci-triage</name>
<description>Triage failing GitHub Actions checks on a pull request - find the failing job, \
pull the relevant part of its log and propose a fix. Use when the user says CI is red, a check \
failed, or asks why a PR cannot be merged.</description>
</skill>
<skill>
<name>release-plan</name>
<description>Plans a release: version number, checklist and announcement draft. Use when the \
user wants to cut, schedule or prepare a release.</description>
</skill>
</available_skills>"""


@pytest.fixture
def catalog() -> Catalog:
    return discover([CURATED, SINGLE])


def test_lookups(catalog: Catalog) -> None:
    assert len(catalog) == 3
    assert "gh-ci-triage" in catalog and "nope" not in catalog
    assert [s.name for s in catalog] == catalog.names() == [s.name for s in catalog.list()]
    assert catalog.get("nope") is None
    assert catalog["release-plan"].name == "release-plan"
    with pytest.raises(SkillNotFoundError, match=r"no skill is named 'nope'; skills: commit-"):
        catalog["nope"]
    assert repr(catalog) == "Catalog(['commit-message', 'gh-ci-triage', 'release-plan'])"


def test_prompt_text(catalog: Catalog) -> None:
    assert catalog.runtime_system_prompt("You are terse.") == EXPECTED_PROMPT
    # without a base prompt the skills block stands alone
    assert catalog.runtime_system_prompt("") == EXPECTED_PROMPT.removeprefix("You are terse.\n\n")
    assert "activate_skill" in SKILLS_INSTRUCTIONS and "read_skill_file" in SKILLS_INSTRUCTIONS


def test_prompt_escapes_markup(tmp_path: Path) -> None:
    skill = Skill("tags", "Use for <html> & 'quotes'", tmp_path)
    assert "<description>Use for &lt;html&gt; &amp; 'quotes'</description>" in (
        Catalog([skill]).prompt_xml()
    )


def test_an_empty_catalog_adds_nothing() -> None:
    empty = Catalog()
    assert empty.runtime_system_prompt("Base.") == "Base."
    assert empty.prompt_xml() == ""


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    one, two = Skill("same", "d", tmp_path / "a"), Skill("same", "d", tmp_path / "b")
    with pytest.raises(DuplicateSkillError, match=r"two skills are named 'same'"):
        Catalog([one, two])


def test_build_messages_never_changes_its_input(catalog: Catalog) -> None:
    history = [ChatMessage.system("You are terse."), ChatMessage.user("Hi")]
    before = [m.to_dict() for m in history]
    messages = catalog.build_messages(history)
    assert [m.to_dict() for m in history] == before
    assert len(history) == 2
    assert messages[0].role == MessageRole.SYSTEM
    assert messages[0].content == EXPECTED_PROMPT
    assert messages[1] is history[1]
    # an explicit base replaces the history's system prompt
    replaced = catalog.build_messages(history, "You are terse.")
    assert [m.content for m in replaced] == [EXPECTED_PROMPT, "Hi"]
    # no system message in the history: one is added
    added = catalog.build_messages(history[1:], "You are terse.")
    assert [m.role for m in added] == [MessageRole.SYSTEM, MessageRole.USER]


@pytest.mark.anyio
async def test_request_skills_reach_the_model_as_system_prompt(catalog: Catalog) -> None:
    fake = FakeLLM("ok")
    history = [ChatMessage.system("You are terse."), ChatMessage.user("Hi")]
    req = CompletionRequest("fake", history, skills=catalog)
    async with fake.stream(req) as events:
        async for _ in events:
            pass
    sent = fake.requests[0].messages
    assert sent[0].content == EXPECTED_PROMPT
    assert history[0].content == "You are terse."  # the caller's messages are untouched


@pytest.mark.anyio
async def test_builder_with_skills(catalog: Catalog) -> None:
    fake = FakeLLM("ok")
    answer = await (
        CompletionBuilder("fake")
        .with_system_prompt("You are terse.")
        .with_skills(catalog)
        .with_user_message("Hi")
        .execute(fake)
    )
    assert answer == "ok"
    assert fake.requests[0].messages[0].content == EXPECTED_PROMPT
