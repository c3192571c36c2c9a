"""The target interpreter: which one is chosen by default, and what one query of it reports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from torchsmith.errors import UsageError
from torchsmith.target import default_python, inspect_python, resolve_target


def test_default_is_the_running_interpreter_without_an_activated_environment() -> None:
    assert default_python({}) == sys.executable


def test_an_activated_venv_wins(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "env")], check=True)
    assert default_python({"VIRTUAL_ENV": str(tmp_path / "env")}) == str(tmp_path / "env" / "bin" / "python")
    assert default_python({"CONDA_PREFIX": str(tmp_path / "env")}) == str(tmp_path / "env" / "bin" / "python")


def test_an_activated_prefix_without_python_is_ignored(tmp_path: Path) -> None:
    assert default_python({"VIRTUAL_ENV": str(tmp_path / "gone")}) == sys.executable


def test_one_query_reports_facts_and_the_torch_family(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "env")], check=True)
    python = str(tmp_path / "env" / "bin" / "python")
    site = next((tmp_path / "env" / "lib").glob("python3.*/site-packages"))
    dist = site / "torchvision-0.20.1+cpu.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: torchvision\nVersion: 0.20.1+cpu\n")
    target = inspect_python(python)
    assert target.version == "{}.{}.{}".format(*sys.version_info[:3])
    assert target.abi == f"cp{sys.version_info[0]}{sys.version_info[1]}"
    assert Path(target.prefix) == tmp_path / "env"
    assert [(d.name, d.version) for d in target.family] == [("torchvision", "0.20.1+cpu")]
    assert target.minor == f"{sys.version_info[0]}.{sys.version_info[1]}"


def test_a_missing_interpreter_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no interpreter at"):
        resolve_target(str(tmp_path / "python"), None)
