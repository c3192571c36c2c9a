"""pip exports: each requirements file resolved by the real pip (`pip install --dry-run --report`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from torchsmith.export import export

PLATFORM_TAGS = {
    "linux-x86_64": ["manylinux_2_28_x86_64", "manylinux2014_x86_64", "linux_x86_64"],
    "linux-aarch64": ["manylinux_2_28_aarch64", "linux_aarch64"],
    "windows-x86_64": ["win_amd64"],
    "macos-arm64": ["macosx_14_0_arm64"],
}
EXPECTED = {
    "linux-cu126": "2.13.0+cu126",
    "linux-cpu": "2.13.0+cpu",
    "linux-rocm6.4": "2.9.1+rocm6.4",
    "linux-xpu": "2.13.0+xpu",
    "linux-aarch64-cpu": "2.13.0+cpu",
    "windows-cpu": "2.13.0+cpu",
    "windows-cu128": "2.7.1+cu128",
    "macos": "2.13.0",
}


def _dry_run(
    requirements: Path, platform: str, env: dict[str, str], tmp: Path, python: str = "3.11"
) -> dict[str, str]:
    report = tmp / f"{requirements.stem}.json"
    platforms = [arg for tag in PLATFORM_TAGS[platform] for arg in ("--platform", tag)]
    # pip evaluates dependency markers against this (Linux x86_64) host even with --platform, so for other
    # platforms it would ask for Linux-only dependencies: resolve the file's own pins alone there.
    if platform != "linux-x86_64":
        platforms.append("--no-deps")
    command = [
        sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
        "--only-binary=:all:", *platforms, "--python-version", python, "--report", str(report),
        "-r", str(requirements),
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    installs = json.loads(report.read_text())["install"]
    return {item["metadata"]["name"]: item["metadata"]["version"] for item in installs}


@pytest.mark.slow
def test_every_requirements_file_resolves_with_pip(tmp_path: Path, settings, tool_env) -> None:  # type: ignore[no-untyped-def]
    result = export(
        "pip", ["torch", "torchvision"], targets=list(EXPECTED), output=tmp_path, settings=settings
    )
    assert len(result.files) == len(EXPECTED)
    for target in result.targets:
        path = tmp_path / f"requirements-{target.name}.txt"
        text = path.read_text()
        assert "--hash=sha256:" in text, text
        if target.name == "macos":
            assert "--extra-index-url" not in text
        else:
            assert f"--extra-index-url {settings.index_base}/{target.backend}" in text
        installed = _dry_run(path, target.platform, tool_env, tmp_path)
        assert installed["torch"] == EXPECTED[target.name], target.name


def test_offline_export_pins_without_hashes(tmp_path: Path, offline_settings) -> None:  # type: ignore[no-untyped-def]
    result = export("pip", ["torch"], targets=["linux-cu126", "jetson-jp6"], output=tmp_path,
                    settings=offline_settings)  # fmt: skip
    cuda = (tmp_path / "requirements-linux-cu126.txt").read_text().splitlines()
    assert "--extra-index-url https://download.pytorch.org/whl/cu126" in cuda
    pins = [line for line in cuda if line.startswith("torch==")]
    assert len(pins) == 1 and pins[0].endswith("+cu126") and "--hash" not in "\n".join(cuda)
    jetson = (tmp_path / "requirements-jetson-jp6.txt").read_text().splitlines()
    assert "--index-url https://pypi.jetson-ai-lab.io/jp6/cu126" in jetson
    assert any("knowledge" in note for note in result.notes)
