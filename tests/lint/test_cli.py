"""`torchsmith lint` through `torchsmith.cli.main`, whole outputs compared exactly (temp paths replaced)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from torchsmith.cli import main
from torchsmith.lint import RULES

CORPUS = Path(__file__).parent / "corpus"

HUMAN = """\
pyproject.toml:11:10: uv-source-without-platform-marker [*] error: `torch` source `pytorch-cu128` also \
applies on macOS arm64, macOS x86-64, where `cu128` has no wheels: resolution fails there
   |
11 | torch = [{ index = "pytorch-cu128" }]
   |          ^
  = fix: add `marker = "platform_system != 'Darwin'"` so other platforms fall back to PyPI

pyproject.toml:13:5: uv-source-without-platform-marker [*] error: `torchvision` source `pytorch-cu128` also \
applies on macOS arm64, macOS x86-64, where `cu128` has no wheels: resolution fails there
   |
13 |     { index = "pytorch-cu128" },
   |     ^
  = fix: add `marker = "platform_system != 'Darwin'"` so other platforms fall back to PyPI

found 2 problems (2 errors, 0 warnings) in 1 file
[*] 2 fixable with `--fix`
"""

GITHUB = """\
::error file=pyproject.toml,line=11,col=10,title=uv-source-without-platform-marker::`torch` source \
`pytorch-cu128` also applies on macOS arm64, macOS x86-64, where `cu128` has no wheels: resolution fails \
there%0Afix: add `marker = "platform_system != 'Darwin'"` so other platforms fall back to PyPI
::error file=pyproject.toml,line=13,col=5,title=uv-source-without-platform-marker::`torchvision` source \
`pytorch-cu128` also applies on macOS arm64, macOS x86-64, where `cu128` has no wheels: resolution fails \
there%0Afix: add `marker = "platform_system != 'Darwin'"` so other platforms fall back to PyPI
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(CORPUS / "uv-no-marker" / "pyproject.toml", tmp_path / "pyproject.toml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(argv: list[str], capsys: pytest.CaptureFixture[str], tmp: Path) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out.replace(str(tmp), "<tmp>"), err.replace(str(tmp), "<tmp>")


def test_human_output_of_the_current_folder(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["lint"], capsys, project) == (1, HUMAN, "")


def test_github_annotations(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["lint", "--format", "github", "."], capsys, project) == (1, GITHUB, "")


def test_json_document(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(
        ["lint", "--json", "--select", "uv-source-without-platform-marker"], capsys, project
    )
    document = json.loads(out)
    assert (code, err) == (1, "")
    assert document["files"] == ["pyproject.toml"]
    assert document["fixes"] == []
    assert document["counts"] == {"error": 2, "warning": 0, "info": 0}
    assert document["exit_code"] == 1
    assert document["findings"][1] == {
        "rule": "uv-source-without-platform-marker",
        "severity": "error",
        "message": "`torchvision` source `pytorch-cu128` also applies on macOS arm64, macOS x86-64, "
        "where `cu128` has no wheels: resolution fails there",
        "fix": "add `marker = \"platform_system != 'Darwin'\"` so other platforms fall back to PyPI",
        "evidence": [],
        "fixable": True,
        "fix_applicability": "safe",
        "location": {
            "path": "pyproject.toml",
            "line": 13,
            "column": 5,
            "breadcrumb": "pyproject.toml › tool.uv.sources.torchvision › [0]",
        },
    }


def test_fix_then_clean(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["lint", "--fix", "pyproject.toml"], capsys, project) == (
        0,
        "fixed: pyproject.toml:11: added marker `platform_system != 'Darwin'` to the `torch` source "
        "`pytorch-cu128`\n"
        "fixed: pyproject.toml:13: added marker `platform_system != 'Darwin'` to the `torchvision` source "
        "`pytorch-cu128`\n"
        "\n"
        "all checks passed (1 file)\n",
        "",
    )
    assert _run(["lint"], capsys, project) == (0, "all checks passed (1 file)\n", "")


def test_ignore_leaves_a_clean_run(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["lint", "--ignore", "uv-source-without-platform-marker", str(project)], capsys, project) == (
        0,
        "all checks passed (1 file)\n",
        "",
    )


def test_unknown_rule_id_exits_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["lint", "--select", "uv-index-not-explicit,nope"], capsys, project)
    assert (code, out) == (2, "")
    valid = ", ".join(f"`{r.id}`" for r in RULES)
    assert err == f"error: unknown rule id `nope` in `--select`: expected one of {valid}\n"


def test_absolute_path_outside_the_current_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "requirements.txt").write_text("torch==2.5.1\ntorchvision==0.21.0\n")
    monkeypatch.chdir(tmp_path / "b")
    assert _run(["lint", str(tmp_path / "a")], capsys, tmp_path) == (
        1,
        "<tmp>/a/requirements.txt:2:1: companion-version-mismatch error: `torchvision==0.21.0` cannot be "
        "installed with `torch==2.5.1`: torch 2.5.1 pairs only with torchvision 0.20.1\n"
        "  |\n"
        "2 | torchvision==0.21.0\n"
        "  | ^\n"
        "  = fix: pin `torchvision==0.20.1`\n"
        "\n"
        "found 1 problem (1 error, 0 warnings) in 1 file\n",
        "",
    )
