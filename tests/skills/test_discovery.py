"""Finding skills: directory resolution, layouts, warnings, duplicates, the empty case."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from pollytool.errors import DuplicateSkillError, SkillDirectoryError
from pollytool.skills import SkillWarning, discover, load_catalog, resolve_dirs
from tests.skills.conftest import (
    CURATED,
    DUPLICATE,
    LIBRARY,
    MALFORMED,
    NESTED,
    SINGLE,
    write_skill,
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh home directory (``~``) for the test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


def test_resolve_dirs_expands_home_and_removes_duplicates(home: Path) -> None:
    (home / "my-skills").mkdir()
    resolved = resolve_dirs(["~/my-skills", str(home / "my-skills"), LIBRARY, f"{LIBRARY}/."])
    assert resolved == [(home / "my-skills").resolve(), LIBRARY.resolve()]


def test_resolve_dirs_falls_back_to_the_default_directory(home: Path) -> None:
    assert resolve_dirs([]) == []  # no ~/.pollytool/skills: nothing, not an error
    default = home / ".pollytool" / "skills"
    default.mkdir(parents=True)
    assert resolve_dirs(None) == [default.resolve()]
    assert resolve_dirs(["", "  "]) == [default.resolve()]


def test_resolve_dirs_rejects_missing_paths_and_files(tmp_path: Path) -> None:
    with pytest.raises(SkillDirectoryError, match=r"skill directory '.*nowhere' does not exist"):
        resolve_dirs([tmp_path / "nowhere"])
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(SkillDirectoryError, match=r"file.txt' is not a directory"):
        resolve_dirs([tmp_path / "file.txt"])


def test_discovers_every_layout() -> None:
    catalog = discover([LIBRARY, CURATED, NESTED, SINGLE])
    assert catalog.names() == [
        "brand-voice",
        "changelog-writer",
        "code-review",  # plugins/reviewing/skills/code-review
        "commit-message",  # a directory that is itself a skill
        "gh-ci-triage",  # under the hidden skills/.curated folder, as in openai/skills
        "release-plan",
        "webapp-smoke-test",
    ]
    assert catalog.dirs == tuple(p.resolve() for p in (LIBRARY, CURATED, NESTED, SINGLE))
    assert catalog.issues == ()


def test_broken_skills_are_skipped_with_a_warning_naming_the_file() -> None:
    with pytest.warns(SkillWarning) as record:
        catalog = discover([MALFORMED])
    messages = [str(w.message) for w in record]
    broken = (MALFORMED / "broken-yaml" / "SKILL.md").resolve()
    assert f"{broken}: skipped: its front matter is not valid YAML (line 4: " in "\n".join(messages)
    # the rest of the catalog still loads, under front-matter names
    assert catalog.names() == [
        "Bad--Name",
        "colon-in-value",
        "extension-keys",
        "long-description",
        "renamed-skill",
    ]
    assert sorted(messages) == sorted(str(issue) for issue in catalog.issues)
    assert sum(issue.skipped for issue in catalog.issues) == 6


def test_duplicate_names_across_directories_are_an_error() -> None:
    first = (LIBRARY / "webapp-smoke-test" / "SKILL.md").resolve()
    second = (DUPLICATE / "webapp-smoke-test" / "SKILL.md").resolve()
    with pytest.raises(DuplicateSkillError) as caught:
        discover([LIBRARY, DUPLICATE])
    assert str(caught.value) == (
        f"two skills are named 'webapp-smoke-test': {first} and {second}; rename one or "
        "leave one of their directories out"
    )


def test_the_same_skill_reached_twice_is_loaded_once(tmp_path: Path) -> None:
    os.symlink(LIBRARY / "brand-voice", tmp_path / "brand-voice")
    catalog = discover([LIBRARY, tmp_path])
    assert catalog.names().count("brand-voice") == 1


def test_a_linked_skill_is_checked_against_the_name_of_its_link(tmp_path: Path) -> None:
    target = write_skill(tmp_path / "checkout" / "src", "name: linked\ndescription: d")
    skills = tmp_path / "skills"
    skills.mkdir()
    os.symlink(target, skills / "linked")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no name/directory warning
        catalog = discover([skills])
    linked = catalog["linked"]
    assert linked.root == target.resolve()


def test_load_catalog_returns_none_without_skills(tmp_path: Path, home: Path) -> None:
    assert load_catalog([tmp_path]) is None
    assert load_catalog([]) is None  # and no default directory either
    catalog = load_catalog([SINGLE])
    assert catalog is not None and catalog.names() == ["commit-message"]


def test_search_depth_and_skipped_directories(tmp_path: Path) -> None:
    write_skill(tmp_path / "a" / "b" / "c" / "d" / "deep", "name: deep\ndescription: d")
    write_skill(
        tmp_path / "a" / "b" / "c" / "d" / "e" / "too-deep", "name: too-deep\ndescription: d"
    )
    write_skill(tmp_path / "node_modules" / "pkg", "name: pkg\ndescription: d")
    write_skill(tmp_path / ".git" / "hooks", "name: hooks\ndescription: d")
    # a skill inside a skill is part of that skill, not another one
    write_skill(tmp_path / "outer", "name: outer\ndescription: d")
    write_skill(tmp_path / "outer" / "inner", "name: inner\ndescription: d")
    assert discover([tmp_path]).names() == ["deep", "outer"]


def test_link_cycles_end(tmp_path: Path) -> None:
    write_skill(tmp_path / "one", "name: one\ndescription: d")
    (tmp_path / "loop").mkdir()
    os.symlink(tmp_path, tmp_path / "loop" / "back")
    assert discover([tmp_path]).names() == ["one"]
