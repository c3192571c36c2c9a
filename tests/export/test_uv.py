"""uv exports, resolved by the real uv against the local index (`uv lock`, `uv sync --extra ...`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from torchsmith.errors import UsageError
from torchsmith.export import export

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

UV = str(Path(sys.executable).parent / "uv")
MARKERS = ["linux-cu126", "windows-cpu", "macos", "linux-aarch64-cpu"]
EXTRAS = ["linux-cu126", "linux-cpu", "windows-cu128", "macos"]


def _uv(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([UV, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def _locked(project: Path) -> dict[str, set[str]]:
    """{package: {version, ...}} from uv.lock."""
    lock = tomllib.loads((project / "uv.lock").read_text())
    found: dict[str, set[str]] = {}
    for package in lock["package"]:
        found.setdefault(package["name"], set()).add(package["version"])
    return found


def test_markers_export_matches_uv_guide_layout(tmp_path: Path, offline_settings) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "pyproject.toml"
    export("uv", ["torch", "torchvision"], targets=["linux-cu126", "windows-cpu", "macos"], output=out,
           settings=offline_settings)  # fmt: skip
    data = tomllib.loads(out.read_text())
    assert data["tool"]["uv"]["sources"]["torch"] == [
        {"index": "pytorch-cu126", "marker": "platform_system == 'Linux'"},
        {"index": "pytorch-cpu", "marker": "platform_system == 'Windows'"},
    ]
    assert data["tool"]["uv"]["index"] == [
        {"name": "pytorch-cu126", "url": "https://download.pytorch.org/whl/cu126", "explicit": True},
        {"name": "pytorch-cpu", "url": "https://download.pytorch.org/whl/cpu", "explicit": True},
    ]
    assert data["project"]["dependencies"] == ["torch", "torchvision"]


def test_cpu_on_linux_and_windows_uses_the_not_darwin_marker(tmp_path: Path, offline_settings) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "pyproject.toml"
    export(
        "uv", ["torch"], targets=["linux-cpu", "windows-cpu", "macos"], output=out, settings=offline_settings
    )
    data = tomllib.loads(out.read_text())
    assert data["tool"]["uv"]["sources"]["torch"] == [
        {"index": "pytorch-cpu", "marker": "platform_system != 'Darwin'"}
    ]


def test_markers_mode_refuses_two_builds_for_one_platform(tmp_path: Path, offline_settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match="same platform") as caught:
        export("uv", ["torch"], targets=["linux-cu126", "linux-cpu"], output=tmp_path / "pyproject.toml",
               settings=offline_settings)  # fmt: skip
    assert caught.value.hint is not None and "--mode extras" in caught.value.hint


@pytest.mark.slow
def test_uv_lock_markers_four_targets(tmp_path: Path, settings, tool_env) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "proj" / "pyproject.toml"
    export("uv", ["torch", "torchvision"], targets=MARKERS, output=out, settings=settings)
    _uv(["lock"], out.parent, tool_env)
    versions = _locked(out.parent)
    assert any(v.endswith("+cu126") for v in versions["torch"])
    assert any(v.endswith("+cpu") for v in versions["torch"])
    lock_text = (out.parent / "uv.lock").read_text()
    assert "/whl/cu126" in lock_text and "/whl/cpu" in lock_text


@pytest.mark.slow
def test_uv_lock_and_sync_extras_four_targets(tmp_path: Path, settings, tool_env) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "proj" / "pyproject.toml"
    export("uv", ["torch"], targets=EXTRAS, mode="extras", output=out, settings=settings)
    _uv(["lock"], out.parent, tool_env)
    versions = _locked(out.parent)["torch"]
    assert {"2.13.0+cu126", "2.13.0+cpu"} <= versions
    for extra, expected in (("cpu", "2.13.0+cpu"), ("cu126", "2.13.0+cu126")):
        _uv(["sync", "--extra", extra], out.parent, tool_env)
        listed = _uv(
            ["pip", "list", "--format", "json", "--python", ".venv/bin/python"], out.parent, tool_env
        )
        installed = {p["name"]: p["version"] for p in json.loads(listed.stdout)}
        assert installed["torch"] == expected
