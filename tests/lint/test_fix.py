"""`--fix`: the safe edits change only what they name, report it, and a second run changes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

from torchsmith.lint import lint_paths

CORPUS = Path(__file__).parent / "corpus"

BEFORE = """[project]   # keep this comment
name = "p"
version = "0"
requires-python = ">=3.12"
dependencies = ["torch>=2.5.1", "torchvision>=0.20.1"]

[project.optional-dependencies]
cpu = ["torch>=2.5.1", "torchvision>=0.20.1"]
cu124 = ["torch>=2.5.1", "torchvision>=0.20.1"]

[tool.uv.sources]
torch = [
  { index = "pytorch-cpu", extra = "cpu" },
  { index = "pytorch-cu124", extra = "cu124" },
]
torchvision = [
  { index = "pytorch-cpu", extra = "cpu" },
  { index = "pytorch-cu124", extra = "cu124" },
]

[[tool.uv.index]]
name = "pytorch-cpu"
url = "https://download.pytorch.org/whl/cpu"

[[tool.uv.index]]
name    = "pytorch-cu124"    # aligned on purpose
url     = "https://download.pytorch.org/whl/cu124"
explicit = true
"""

AFTER = """[project]   # keep this comment
name = "p"
version = "0"
requires-python = ">=3.12"
dependencies = ["torch>=2.5.1", "torchvision>=0.20.1"]

[project.optional-dependencies]
cpu = ["torch>=2.5.1", "torchvision>=0.20.1"]
cu124 = ["torch>=2.5.1", "torchvision>=0.20.1"]

[tool.uv]
conflicts = [[{extra = "cpu"}, {extra = "cu124"}]]

[tool.uv.sources]
torch = [
  { index = "pytorch-cpu", extra = "cpu" },
  { index = "pytorch-cu124", extra = "cu124" },
]
torchvision = [
  { index = "pytorch-cpu", extra = "cpu" },
  { index = "pytorch-cu124", extra = "cu124" },
]

[[tool.uv.index]]
name = "pytorch-cpu"
url = "https://download.pytorch.org/whl/cpu"
explicit = true

[[tool.uv.index]]
name    = "pytorch-cu124"    # aligned on purpose
url     = "https://download.pytorch.org/whl/cu124"
explicit = true
"""


def test_fix_applies_the_safe_fixes_and_reports_them(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(BEFORE)
    result = lint_paths([path], fix=True)
    assert path.read_text() == AFTER
    shown = path.as_posix()
    assert result.fixes == (
        f"{shown}:13: added `conflicts` between extra `cpu` and extra `cu124` to [tool.uv]",
        f"{shown}:21: added `explicit = true` to index `pytorch-cpu`",
    )
    assert result.findings == ()


def test_second_fix_changes_nothing_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(BEFORE)
    lint_paths([path], fix=True)
    once = path.read_bytes()
    result = lint_paths([path], fix=True)
    assert path.read_bytes() == once
    assert result.fixes == ()


def test_fix_without_fix_flag_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(BEFORE)
    result = lint_paths([path])
    assert path.read_text() == BEFORE
    assert result.fixes == ()
    # the CPU index carries macOS wheels: the unmarked `pytorch-cpu` source is no finding
    assert {f.rule for f in result.findings} == {"uv-index-not-explicit", "uv-extras-without-conflicts"}


def test_poetry_priority_fix_keeps_odd_formatting(tmp_path: Path) -> None:
    shutil.copy(CORPUS / "poetry-primary" / "pyproject.toml", tmp_path / "pyproject.toml")
    before = (tmp_path / "pyproject.toml").read_text()
    result = lint_paths([tmp_path], fix=True)
    after = (tmp_path / "pyproject.toml").read_text()
    assert after == before + 'priority = "explicit"\n'
    assert [f.rule for f in result.findings] == []
    assert len(result.fixes) == 1


def test_unsafe_fix_is_reported_but_not_applied(tmp_path: Path) -> None:
    # the index is not referenced by any source: making it explicit would move torch to PyPI
    text = (
        '[project]\nname = "p"\nversion = "0"\ndependencies = ["torch"]\n'
        '[[tool.uv.index]]\nname = "pt"\nurl = "https://download.pytorch.org/whl/cpu"\n'
    )
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    result = lint_paths([path], fix=True)
    assert path.read_text() == text
    assert [f.rule for f in result.findings] == ["uv-index-not-explicit"]
    assert result.findings[0].fix == "add `explicit = true` and point torch at it in `[tool.uv.sources]`"


def test_fix_keeps_crlf_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(BEFORE.replace("\n", "\r\n").encode())
    lint_paths([path], fix=True)
    assert path.read_bytes() == AFTER.replace("\n", "\r\n").encode()


def test_unsafe_fixes_apply_the_unsafe_edit_only_when_asked(tmp_path: Path) -> None:
    text = (
        '[project]\nname = "p"\nversion = "0"\ndependencies = ["torch"]\n'
        '[[tool.uv.index]]\nname = "pt"\nurl = "https://download.pytorch.org/whl/cpu"\n'
    )
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    shown = lint_paths([path])
    assert shown.applicability == ("unsafe",)
    result = lint_paths([path], fix=True, unsafe_fixes=True)
    assert path.read_text() == text + "explicit = true\n"
    assert result.fixes == (f"{path.as_posix()}:5: added `explicit = true` to index `pt`",)


def test_diff_shows_the_fix_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(BEFORE)
    result = lint_paths([path], diff=True)
    assert path.read_text() == BEFORE
    [diff] = result.diffs
    shown = path.as_posix()
    assert diff.startswith(f"--- a/{shown}\n+++ b/{shown}\n")
    assert '+conflicts = [[{extra = "cpu"}, {extra = "cu124"}]]\n' in diff
    assert result.exit_code == 1
