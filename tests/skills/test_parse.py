"""Reading one SKILL.md: fields, leniency, and the validation messages for broken skills."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pollytool.errors import SkillFormatError
from pollytool.skills import Skill, parse_skill, validate_skill
from pollytool.skills.parse import read_skill
from tests.skills.conftest import CURATED, LIBRARY, MALFORMED, SINGLE, write_skill


def test_anthropic_style_skill_fields() -> None:
    skill = parse_skill(LIBRARY / "webapp-smoke-test")
    assert skill.name == "webapp-smoke-test"
    assert skill.description.startswith("Checks that a local web application starts")
    assert skill.license == "Complete terms in LICENSE.txt"
    assert skill.root == (LIBRARY / "webapp-smoke-test").resolve()
    assert skill.skill_file == skill.root / "SKILL.md"
    assert skill.instructions.startswith("# Web app smoke test")
    assert "---" not in skill.instructions.splitlines()[0]
    assert skill.allowed_tools == ()
    assert skill.compatibility is None


def test_openai_style_skill_keeps_metadata() -> None:
    skill = parse_skill(CURATED / ".curated" / "gh-ci-triage")
    assert skill.metadata == {"short-description": "Find and explain failing CI checks"}
    assert skill.license is None


def test_compatibility_and_allowed_tools() -> None:
    assert parse_skill(SINGLE).compatibility == "Needs git on PATH"
    changelog = parse_skill(LIBRARY / "changelog-writer")
    assert changelog.allowed_tools == ("Read", "Bash(git log:*)", "changelog__*")


@pytest.mark.parametrize(
    "directory",
    [LIBRARY / "webapp-smoke-test", LIBRARY / "brand-voice", LIBRARY / "changelog-writer",
     CURATED / ".curated" / "gh-ci-triage", CURATED / ".curated" / "release-plan", SINGLE],
)  # fmt: skip
def test_well_formed_fixtures_validate_cleanly(directory: Path) -> None:
    assert validate_skill(directory) == []


# Each malformed fixture: whether it is still loaded, and the message that names the problem.
MALFORMED_CASES = [
    ("broken-yaml", False, "skipped: its front matter is not valid YAML (line 4: "),
    ("no-front-matter", False, "skipped: it does not start with front matter (a '---' line)"),
    ("empty-file", False, "skipped: it does not start with front matter (a '---' line)"),
    ("unclosed-front-matter", False, "skipped: its front matter is not closed by a '---' line"),
    ("missing-description", False, "skipped: the required field 'description' is missing"),
    ("list-front-matter", False,
     "skipped: its front matter must be a mapping of fields, got a list"),
    ("name-mismatch", True,
     "name 'renamed-skill' differs from its directory name 'name-mismatch'"),
    ("long-description", True,
     "description is 1214 characters; the specification allows at most 1024"),
    ("bad-name", True,
     "name 'Bad--Name' should use only lowercase letters, digits and single hyphens"),
    ("colon-in-value", True, "the value of 'description' contains ': ' and must be quoted"),
]  # fmt: skip


@pytest.mark.parametrize(("directory", "loaded", "message"), MALFORMED_CASES)
def test_validation_messages_name_the_file_and_the_problem(
    directory: str, loaded: bool, message: str
) -> None:
    parsed = read_skill(MALFORMED / directory)
    assert (parsed.skill is not None) is loaded
    texts = [str(issue) for issue in parsed.issues]
    skill_md = (MALFORMED / directory / "SKILL.md").resolve()
    assert any(text.startswith(f"{skill_md}: {message}") for text in texts), texts
    assert any(issue.skipped for issue in parsed.issues) is not loaded


def test_unquoted_colon_is_recovered() -> None:
    skill = parse_skill(MALFORMED / "colon-in-value")
    assert skill.description == (
        "Formats dates. Use when: the user pastes a timestamp and wants it readable"
    )


def test_parse_skill_raises_a_typed_error_for_a_skipped_skill() -> None:
    with pytest.raises(SkillFormatError, match=r"missing-description/SKILL.md: the required"):
        parse_skill(MALFORMED / "missing-description")
    with pytest.raises(SkillFormatError, match=r"holds no SKILL\.md"):
        parse_skill(MALFORMED)


def test_extension_fields_are_kept_and_only_validation_reports_them() -> None:
    directory = MALFORMED / "extension-keys"
    loose = read_skill(directory)
    assert loose.issues == ()
    skill = loose.skill
    assert skill is not None
    # flow list values that strictyaml rejects are plain YAML
    assert skill.extra == {
        "argument-hint": ["apk-file-or-directory"],
        "disable-model-invocation": True,
    }
    assert skill.allowed_tools == ("Read", "Grep")
    assert skill.metadata == {"version": 2}
    assert [m.split(": ", 1)[1] for m in validate_skill(directory)] == [
        "field 'argument-hint' is not part of the specification",
        "field 'disable-model-invocation' is not part of the specification",
        "'allowed-tools' should be one space-separated string, not a list",
        "metadata 'version' should map text to text, got 2",
    ]


def test_crlf_and_byte_order_mark(tmp_path: Path) -> None:
    directory = tmp_path / "windows-skill"
    directory.mkdir()
    text = (
        "\ufeff---\r\nname: windows-skill\r\ndescription: Saved on Windows.\r\n---\r\n\r\nBody\r\n"
    )
    (directory / "SKILL.md").write_bytes(text.encode())
    skill = parse_skill(directory)
    assert (skill.description, skill.instructions) == ("Saved on Windows.", "Body")


@pytest.mark.parametrize(
    ("front_matter", "message"),
    [
        ("name: x\ndescription: [1, 2]", "'description' must be non-empty text, got [1, 2]"),
        ("name: 42\ndescription: d", "'name' must be non-empty text, got 42"),
        ("description: d", "the required field 'name' is missing"),
        ("name: x\ndescription: '   '", "'description' must be non-empty text"),
    ],
)
def test_required_fields_must_be_text(tmp_path: Path, front_matter: str, message: str) -> None:
    parsed = read_skill(write_skill(tmp_path / "x", front_matter))
    assert parsed.skill is None
    assert message in str(parsed.issues[0])


@pytest.mark.parametrize(
    ("front_matter", "message"),
    [
        ("license: [MIT]", "'license' must be text, got ['MIT']; ignored"),
        ("compatibility: " + "c" * 501, "compatibility is 501 characters"),
        ("metadata: just text", "'metadata' must be a mapping, got 'just text'; ignored"),
        ("allowed-tools: 3", "'allowed-tools' must be a space-separated string, got 3"),
        ("name: " + "a" * 65, "is 65 characters; the specification allows at most 64"),
    ],
)
def test_optional_field_problems_are_reported_and_the_skill_loads(
    tmp_path: Path, front_matter: str, message: str
) -> None:
    fields = front_matter if front_matter.startswith("name:") else f"name: x\n{front_matter}"
    parsed = read_skill(write_skill(tmp_path / "x", f"{fields}\ndescription: d"))
    assert isinstance(parsed.skill, Skill)
    assert any(message in str(issue) for issue in parsed.issues), parsed.issues


def test_huge_skill_file_is_skipped(tmp_path: Path) -> None:
    directory = write_skill(tmp_path / "big", "name: big\ndescription: d", "x" * 1_100_000)
    parsed = read_skill(directory)
    assert parsed.skill is None
    assert "at most 1048576 are read" in str(parsed.issues[0])


def test_importing_skills_does_not_load_yaml() -> None:
    code = "import pollytool.skills, pollytool.tools, sys; print('yaml' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
