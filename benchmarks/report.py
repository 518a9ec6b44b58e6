"""Plain-text tables for the benchmark results."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Check", "render", "table"]


@dataclass(frozen=True)
class Check:
    """One regression check: a figure, its target, and whether it met it."""

    what: str
    value: Any
    target: str
    ok: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return "" if value is None else str(value)


def table(title: str, rows: list[dict[str, Any]]) -> str:
    """A Markdown table of *rows* (the union of their keys as columns)."""
    if not rows:
        return f"### {title}\n\n(no rows)\n"
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    lines = [f"### {title}", "", "| " + " | ".join(columns) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]  # fmt: skip
    lines += ["| " + " | ".join(_cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def render(results: dict[str, Any], checks: list[Check]) -> str:
    machine = results["machine"]
    parts = [
        f"Machine: {machine['platform']}, {machine['cpus']} CPUs, Python {machine['python']}"
        + (" (quick run)" if results.get("quick") else ""),
        "",
        table("Streaming overhead (client CPU per stream, median)", results["overhead"]),
        table("Import and first request (fresh processes, median)", results["startup"]),
        table("Request encoding (client CPU per call, median)", results["encoding"]),
        table("Concurrency", results["concurrency"]),
        table("Tool loop", results["toolloop"]),
        table("Sessions", results["sessions"]),
        table("Checks", [c.as_dict() for c in checks]),
    ]
    return "\n".join(parts)
