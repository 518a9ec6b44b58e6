"""Fixtures for the skills tests: the fixture skills in ``tests/data/skills`` and writable
copies of them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "data" / "skills"
LIBRARY = DATA / "library"
CURATED = DATA / "curated"
MALFORMED = DATA / "malformed"
NESTED = DATA / "nested"
SINGLE = DATA / "single" / "commit-message"
DUPLICATE = DATA / "duplicate"


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """A writable copy of ``library/`` (for tests that add links or files)."""
    target = tmp_path / "library"
    shutil.copytree(LIBRARY, target)
    return target


def write_skill(directory: Path, front_matter: str, body: str = "Do the thing.") -> Path:
    """Write ``directory/SKILL.md`` with *front_matter* (the lines between the ``---``)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "SKILL.md").write_text(f"---\n{front_matter}\n---\n\n{body}\n", encoding="utf-8")
    return directory
