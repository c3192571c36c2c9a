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


def _fake_dist(site: Path, name: str, version: str, url: str | None = None) -> None:
    dist = site / f"{name}-{version}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    if url:
        (dist / "direct_url.json").write_text(f'{{"url": "{url}", "archive_info": {{}}}}')


@pytest.mark.parametrize("maker", ["venv", "uv"])
def test_venv_files_agree_with_asking_the_interpreter(maker: str, tmp_path: Path) -> None:
    from torchsmith.target import _QUERY, find_uv, inspect_venv_files, run_snippet

    env = tmp_path / "env"
    if maker == "venv":
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    else:
        subprocess.run([find_uv(), "venv", str(env), "--python", sys.executable, "-q"], check=True)
    site = next((env / "lib").glob("python3.*/site-packages"))
    _fake_dist(site, "torch", "2.13.0+cpu", url="https://download.pytorch.org/whl/cpu/torch-2.13.0%2Bcpu.whl")
    _fake_dist(site, "torchvision", "0.28.0+cpu")
    _fake_dist(site, "filelock", "3.16.1")
    python = str(env / "bin" / "python")
    from_files = inspect_venv_files(python)
    assert from_files is not None
    asked = run_snippet(python, _QUERY)
    assert (from_files.version, from_files.abi, Path(from_files.prefix)) == (
        asked["version"],
        asked["abi"],
        Path(asked["prefix"]),
    )
    assert sorted((d.name, d.version, d.url) for d in from_files.family) == sorted(
        (r["name"], r["version"], r["url"]) for r in asked["family"]
    )


def test_without_pyvenv_cfg_the_interpreter_is_asked(tmp_path: Path) -> None:
    from torchsmith.target import inspect_venv_files

    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python").symlink_to(sys.executable)
    assert inspect_venv_files(str(tmp_path / "bin" / "python")) is None
    (tmp_path / "pyvenv.cfg").write_text("home = /usr/bin\n")  # no version: still not trusted
    assert inspect_venv_files(str(tmp_path / "bin" / "python")) is None
