"""Release-ready package: sdist + wheel build (hatch-vcs version), `twine check`, and the CLI from the wheel.

The build runs without network (`--no-isolation`: hatchling and hatch-vcs are in the test extra) on a copy
of the working tree: once without git metadata (the `fallback-version` path, as a CI checkout without tags
or an unpacked archive), once as a git repository tagged `v9.8.7` (the version must come from the tag,
https://github.com/ofek/hatch-vcs#version-source). The wheel is installed with `--no-deps` into a fresh
venv that sees this interpreter's packages (`--system-site-packages`: the dependencies, offline) and its
console script runs with no PYTHONPATH, so nothing but the wheel provides torchsmith.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def _tree_copy(dest: Path) -> Path:
    """The files git would ship (tracked and new, not ignored), copied without `.git`."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file() and not source.is_symlink():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PIP_NO_INDEX"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _build(tree: Path) -> tuple[Path, Path]:
    """(sdist, wheel) built from `tree`."""
    out = tree / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "-o", str(out), str(tree)],
        capture_output=True, text=True, env=_env(), timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return sdist, wheel


def test_build_without_git_uses_the_fallback_version(tmp_path: Path) -> None:
    tree = _tree_copy(tmp_path / "src")
    sdist, wheel = _build(tree)
    assert (sdist.name, wheel.name) == ("torchsmith-0.1.0.tar.gz", "torchsmith-0.1.0-py3-none-any.whl")
    check = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel)],
                           capture_output=True, text=True, env=_env())  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("PASSED") == 2


def test_tagged_wheel_runs_in_a_fresh_venv(tmp_path: Path) -> None:
    tree = _tree_copy(tmp_path / "src")
    git = ["git", "-C", str(tree), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "release"], check=True)
    subprocess.run([*git, "tag", "v9.8.7"], check=True)
    _, wheel = _build(tree)
    assert wheel.name == "torchsmith-9.8.7-py3-none-any.whl"
    names = zipfile.ZipFile(wheel).namelist()
    assert {"torchsmith/py.typed", "torchsmith/_version.py", "torchsmith/doctor/target_script.py"} <= set(
        names
    )
    assert "torchsmith/knowledge/data/torch_releases.toml" in names
    assert not any(n.startswith("tests/") for n in names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--ignore-installed",
         str(wheel)],
        capture_output=True, text=True, env=_env(),
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    script = venv / "bin" / "torchsmith"
    env = {**_env(), "TORCHSMITH_CACHE_DIR": str(tmp_path / "cache")}
    version = subprocess.run([str(script), "--version"], capture_output=True, text=True, env=env)
    assert (version.returncode, version.stdout) == (0, "torchsmith 9.8.7\n")
    code = "import torchsmith; print(torchsmith.__file__)"
    python = str(venv / "bin" / "python")
    where = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert where.stdout.startswith(str(venv))  # the wheel, not the checkout
    probe = subprocess.run([str(script), "probe", "--json"], capture_output=True, text=True, env=env)
    assert probe.returncode == 0, probe.stderr
    assert '"schema_version": 1' in probe.stdout and '"backends"' in probe.stdout
