"""Safe file access in a skill: relative paths only, no escape through '..' or links."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pollytool.errors import SkillFileError
from pollytool.skills import Skill, parse_skill


@pytest.fixture
def skill(library: Path) -> Skill:
    return parse_skill(library / "brand-voice")


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text("the secret outside the skill")
    return secret


def test_reads_files_by_relative_path(skill: Skill) -> None:
    assert skill.read_file("references/tone-guide.md").startswith("# Tone guide")
    assert skill.read_file("./assets/palette.json").startswith('{"headline"')
    assert "name: brand-voice" in skill.read_file("SKILL.md")


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("../webapp-smoke-test/SKILL.md", "contains '..'"),
        ("references/../../brand-voice/SKILL.md", "contains '..'"),
        ("/etc/passwd", "is not relative to the skill directory"),
        ("~/.ssh/id_rsa", "is not relative to the skill directory"),
        ("", "is not a usable path"),
        ("refer\x00ences", "is not a usable path"),
    ],
)
def test_refuses_paths_that_leave_the_skill(skill: Skill, path: str, problem: str) -> None:
    with pytest.raises(SkillFileError, match=problem) as caught:
        skill.read_file(path)
    assert f"of skill 'brand-voice' {problem}" in str(caught.value)


def test_refuses_a_file_link_leading_outside(skill: Skill, outside: Path) -> None:
    os.symlink(outside, skill.root / "references" / "linked.md")
    with pytest.raises(SkillFileError, match="escapes the skill directory through a symbolic"):
        skill.read_file("references/linked.md")


def test_refuses_a_directory_link_leading_outside(skill: Skill, outside: Path) -> None:
    os.symlink(outside.parent, skill.root / "shared")
    with pytest.raises(SkillFileError, match="escapes the skill directory"):
        skill.read_file("shared/secret.txt")


def test_follows_links_that_stay_inside(skill: Skill) -> None:
    os.symlink("references/tone-guide.md", skill.root / "guide.md")
    assert skill.read_file("guide.md").startswith("# Tone guide")


def test_refuses_directories_missing_files_and_special_files(skill: Skill) -> None:
    with pytest.raises(SkillFileError, match="'references' of skill 'brand-voice' is a dir"):
        skill.read_file("references")
    with pytest.raises(SkillFileError, match="does not exist"):
        skill.read_file("references/missing.md")
    os.mkfifo(skill.root / "pipe")
    with pytest.raises(SkillFileError, match="is not a regular file"):
        skill.read_file("pipe")  # opening a FIFO does not block


def test_refuses_large_and_binary_files(skill: Skill) -> None:
    (skill.root / "assets" / "big.txt").write_text("x" * 2001)
    with pytest.raises(SkillFileError, match="is 2001 bytes; at most 2000 bytes can be read"):
        skill.read_file("assets/big.txt", max_bytes=2000)
    assert len(skill.read_file("assets/big.txt", max_bytes=2001)) == 2001
    (skill.root / "assets" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(SkillFileError, match="is not UTF-8 text"):
        skill.read_file("assets/logo.png")


def test_lists_files_and_scripts(library: Path, outside: Path) -> None:
    smoke = parse_skill(library / "webapp-smoke-test")
    (smoke.root / ".DS_Store").write_bytes(b"\0")
    (smoke.root / "scripts" / "__pycache__").mkdir()
    (smoke.root / "scripts" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    os.symlink(outside, smoke.root / "leak.txt")
    assert smoke.list_files() == [
        "LICENSE.txt",
        "examples/basic_check.py",
        "scripts/start_and_wait.py",
    ]
    assert smoke.scripts() == ["scripts/start_and_wait.py"]
    assert parse_skill(library / "changelog-writer").list_files() == []
    assert smoke.list_files(limit=2) == ["LICENSE.txt", "examples/basic_check.py"]
