"""Merging into real-world files: every byte outside torchsmith's sections stays, a second export changes
nothing, and `check=True` reports (exit 1) a file that is out of date without writing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from torchsmith.export import export

# shaped like real projects' files: comments everywhere, odd spacing, other tools' sections
PYPROJECT = """\
# Project metadata -- keep this comment
[project]
name = "vision-app"   # trailing comment
version = "1.2.3"
requires-python = ">=3.10"
dependencies = [
    "numpy>=1.26",  # numerics
    "torch>=2.5",
    "rich",
]

[project.optional-dependencies]
dev = ["pytest"]

[tool.ruff]
line-length = 100   # wide

[tool.uv]
dev-dependencies = ["ruff"]

[[tool.uv.index]]
name = "internal"
url = "https://pypi.internal.example/simple"

# end of file comment
"""

ENVIRONMENT = """\
# my environment
name: research   # the env name
channels:
  - conda-forge
dependencies:
  - numpy >=1.26   # keep
  - pytorch
  - jupyterlab
variables:
  OMP_NUM_THREADS: "4"
"""


@pytest.mark.parametrize(
    ("tool", "mode"), [("uv", "markers"), ("uv", "extras"), ("poetry", "markers"), ("pixi", "markers")]
)
def test_pyproject_roundtrip(tool: str, mode: str, tmp_path: Path, offline_settings) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "pyproject.toml"
    path.write_text(PYPROJECT)
    targets = ["linux-cu126", "windows-cpu", "macos"] if mode == "markers" else ["linux-cu126", "linux-cpu"]
    args = {"targets": targets, "mode": mode, "output": path, "settings": offline_settings}
    first = export(tool, ["torch>=2.5", "torchvision"], **args)  # type: ignore[arg-type]
    assert first.files[0].changed
    text = path.read_text()
    for kept in ("# Project metadata -- keep this comment\n", 'name = "vision-app"   # trailing comment\n',
                 '    "numpy>=1.26",  # numerics\n', "line-length = 100   # wide\n", 'dev = ["pytest"]\n',
                 'url = "https://pypi.internal.example/simple"\n', "# end of file comment\n"):  # fmt: skip
        assert kept in text, kept
    second = export(tool, ["torch>=2.5", "torchvision"], **args)  # type: ignore[arg-type]
    assert not second.files[0].changed and path.read_text() == text
    check = export(tool, ["torch>=2.5", "torchvision"], check=True, **args)  # type: ignore[arg-type]
    assert check.exit_code == 0


def test_uv_dependencies_keep_their_place(tmp_path: Path, offline_settings) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "pyproject.toml"
    path.write_text(PYPROJECT)
    export("uv", ["torch>=2.5", "torchvision"], targets=["linux-cu126", "macos"], output=path,
           settings=offline_settings)  # fmt: skip
    text = path.read_text()
    block = text[text.index("dependencies = [") : text.index("]", text.index("dependencies = ["))]
    assert (
        block.index('"numpy>=1.26",  # numerics') < block.index('"torch>=2.5"') < block.index('"torchvision"')
    )
    assert block.index('"torchvision"') < block.index('"rich"')
    assert '[[tool.uv.index]]\nname = "internal"' in text


def test_check_reports_out_of_date_and_writes_nothing(tmp_path: Path, offline_settings) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "pyproject.toml"
    path.write_text(PYPROJECT)
    result = export(
        "uv", ["torch"], targets=["linux-cu126"], output=path, check=True, settings=offline_settings
    )
    assert result.exit_code == 1 and result.files[0].changed
    assert path.read_text() == PYPROJECT
    assert result.to_json()["exit_code"] == 1
    export("uv", ["torch"], targets=["linux-cu126"], output=path, settings=offline_settings)
    assert export("uv", ["torch"], targets=["linux-cu126"], output=path, check=True,
                  settings=offline_settings).exit_code == 0  # fmt: skip
    # a new target makes it stale again
    stale = export("uv", ["torch"], targets=["linux-cu126", "windows-cpu"], output=path, check=True,
                   settings=offline_settings)  # fmt: skip
    assert stale.exit_code == 1


def test_environment_yml_roundtrip(tmp_path: Path, offline_settings) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "environment.yml"
    path.write_text(ENVIRONMENT)
    export("conda", ["torch"], targets=["linux-cu126"], output=path, settings=offline_settings)
    text = path.read_text()
    assert text.startswith("# my environment\nname: research   # the env name\n")
    assert "  - numpy >=1.26   # keep\n" in text and "  - jupyterlab\n" in text
    assert '  OMP_NUM_THREADS: "4"\n' in text
    assert "  - pytorch-gpu\n" in text and "  - pytorch\n" not in text and "  - nodefaults\n" in text
    again = export("conda", ["torch"], targets=["linux-cu126"], output=path, settings=offline_settings)
    assert not again.files[0].changed and path.read_text() == text


def test_requirements_block_keeps_user_lines(tmp_path: Path, offline_settings) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "requirements-linux-cpu.txt"
    path.write_text("-r base.txt\nrequests==2.32.3  # pinned by hand\n")
    export("pip", ["torch"], targets=["linux-cpu"], output=tmp_path, settings=offline_settings)
    text = path.read_text()
    assert text.startswith("-r base.txt\nrequests==2.32.3  # pinned by hand\n\n# >>> torchsmith export >>>")
    assert not export("pip", ["torch"], targets=["linux-cpu"], output=tmp_path,
                      settings=offline_settings).files[0].changed  # fmt: skip
