"""Every export target with the pip, uv and poetry exports: the real pip, uv and poetry resolve each single
target against the local index, and each result holds that target's build (pixi, conda: test_conda_pixi)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.version import Version

from tests.export.test_uv import _locked, _uv
from torchsmith.export import export

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

pytestmark = pytest.mark.slow

# target -> the local version the lock must hold (the local index's newest build for that backend/platform)
EXPECTED = {
    "linux-cu126": "2.13.0+cu126",
    "linux-cpu": "2.13.0+cpu",
    "linux-rocm6.4": "2.9.1+rocm6.4",
    "linux-xpu": "2.13.0+xpu",
    "linux-aarch64-cpu": "2.13.0+cpu",
    "windows-cu128": "2.7.1+cu128",
    "windows-cpu": "2.13.0+cpu",
    "macos": "2.13.0",
    "jetson-jp6": "2.5.0a0+872d972e41.nv24.8.17622132",
}


PYTHON = {"jetson-jp6": "3.10"}  # NVIDIA builds JetPack 6 wheels for its own Python only


def _find_python_310() -> str | None:
    """A working CPython 3.10 (PATH, else pyenv's versions): uv locks a 3.10-only project only with one."""
    candidates = [
        shutil.which("python3.10"),
        *map(str, Path.home().glob(".pyenv/versions/3.10*/bin/python3.10")),
    ]
    for candidate in filter(None, candidates):
        query = [candidate, "-c", "import sys; print(sys.version_info[:2])"]
        done = subprocess.run(query, capture_output=True, text=True, check=False)
        if done.returncode == 0 and done.stdout.strip() == "(3, 10)":
            return candidate
    return None


PYTHON_310 = _find_python_310()


def _needs_python(target: str) -> None:
    if target in PYTHON and PYTHON_310 is None:
        pytest.skip("uv needs a Python 3.10 interpreter to lock a JetPack 6 project")


def _locked_torch(versions: set[str]) -> set[Version]:
    return {Version(v) for v in versions}  # uv normalises `nv24.08` to `nv24.8`, poetry keeps it


@pytest.mark.parametrize("target", list(EXPECTED))
def test_uv_export_locks_for_each_target(target: str, tmp_path: Path, settings, tool_env) -> None:  # type: ignore[no-untyped-def]
    _needs_python(target)
    out = tmp_path / "proj" / "pyproject.toml"
    export("uv", ["torch"], targets=[target], output=out, settings=settings)
    env = {**tool_env, "UV_PYTHON": PYTHON_310} if target in PYTHON and PYTHON_310 else tool_env
    _uv(["lock"], out.parent, env)
    assert Version(EXPECTED[target]) in _locked_torch(_locked(out.parent)["torch"])


@pytest.mark.parametrize("target", list(EXPECTED))
def test_pip_export_resolves_for_each_target(target: str, tmp_path: Path, settings, tool_env) -> None:  # type: ignore[no-untyped-def]
    from tests.export.test_pip import _dry_run

    export("pip", ["torch"], targets=[target], output=tmp_path, settings=settings)
    from torchsmith.export.targets import parse_target

    platform = parse_target(target).platform
    requirements = tmp_path / f"requirements-{target}.txt"
    installed = _dry_run(requirements, platform, tool_env, tmp_path, python=PYTHON.get(target, "3.11"))
    assert Version(installed["torch"]) == Version(EXPECTED[target])


@pytest.mark.parametrize("target", list(EXPECTED))
def test_poetry_export_locks_for_each_target(
    target: str, tmp_path: Path, settings, tool_env, local_index
) -> None:  # type: ignore[no-untyped-def]
    from tests.export.test_poetry import USER_FILE, _poetry

    project = tmp_path / "proj"
    project.mkdir()
    out = project / "pyproject.toml"
    out.write_text(USER_FILE.format(pypi=local_index.pypi))
    export("poetry", ["torch"], targets=[target], output=out, settings=settings)
    _poetry(["lock"], project, tool_env)
    lock = tomllib.loads((project / "poetry.lock").read_text())
    # poetry locks the newest version on the index without checking that it has a wheel for the target's
    # platform (the fixture has 2.11.0+cu128 for Linux only); uv's lock uses `required-environments`.
    expected = {"windows-cu128": "2.11.0+cu128"}.get(target, EXPECTED[target])
    assert Version(expected) in _locked_torch({p["version"] for p in lock["package"] if p["name"] == "torch"})
