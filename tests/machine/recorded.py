"""Recorded tool outputs (tests/data/recorded/<tool>/) and their expected parses, shared by parser tests."""

from __future__ import annotations

from pathlib import Path

RECORDED = Path(__file__).parents[1] / "data" / "recorded"


def files(tool: str) -> list[Path]:
    """Every recording of `tool`, sorted (each becomes a test id)."""
    return sorted(p for p in (RECORDED / tool).iterdir() if p.name != "README.md")


def expected(table: dict[str, object], path: Path) -> object:
    """What parsing `path` must give: `corrupt-*` recordings give None; others must be in `table`."""
    if path.name.startswith("corrupt-"):
        return None
    assert path.name in table, f"add an expectation for recorded file {path.name}"
    return table[path.name]
