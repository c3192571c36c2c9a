"""What `torchsmith export` writes, `torchsmith lint` finds no trap in: the two must agree on every tool."""

from __future__ import annotations

from pathlib import Path

import pytest

from torchsmith.export import export
from torchsmith.index.settings import IndexSettings
from torchsmith.lint import lint_paths

CASES = [
    ("uv", ["torch", "torchvision"], ["linux-cu126", "windows-cpu", "macos"], "markers", "pyproject.toml"),
    ("uv", ["torch"], ["linux-cu126", "linux-cpu", "macos"], "extras", "pyproject.toml"),
    ("poetry", ["torch", "torchvision"], ["linux-cu126", "linux-cpu", "macos"], "markers", "pyproject.toml"),
    ("pixi", ["torch"], ["linux-cu126", "linux-cpu", "macos"], "markers", "pixi.toml"),
    ("pip", ["torch", "torchvision"], ["linux-cu126", "windows-cpu", "macos"], "markers", None),
    ("conda", ["torch"], ["linux-cu126", "linux-cpu", "macos"], "markers", None),
]


@pytest.mark.parametrize(("tool", "requirements", "targets", "mode", "filename"), CASES,
                         ids=[f"{c[0]}-{c[3]}" for c in CASES])  # fmt: skip
def test_export_lints_clean(
    tool: str, requirements: list[str], targets: list[str], mode: str, filename: str | None, tmp_path: Path
) -> None:
    env = {"TORCHSMITH_OFFLINE": "1", "TORCHSMITH_CACHE_DIR": str(tmp_path / "c")}
    settings = IndexSettings.from_env(env)
    output = tmp_path / filename if filename else tmp_path
    if filename == "pyproject.toml":
        output.write_text('[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n')
    result = export(tool, requirements, targets=targets, mode=mode, output=output, settings=settings)
    assert result.files
    linted = lint_paths([Path(f.path) for f in result.files])
    assert [f"{f.rule}: {f.message}" for f in linted.findings] == []
    assert len(linted.files) == len(result.files)
