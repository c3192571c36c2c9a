"""poetry exports, resolved by the real poetry: `poetry lock`, then `poetry install -E ...`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from torchsmith.export import export

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

POETRY = str(Path(sys.executable).parent / "poetry")
TARGETS = ["linux-cu126", "linux-cpu", "windows-cu128", "macos"]

USER_FILE = """\
# the user's project: torchsmith adds its sections and keeps this
[tool.poetry]
package-mode = false

[[tool.poetry.source]]
name = "local-pypi"
url = "{pypi}"
priority = "primary"
"""


def _poetry(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run([POETRY, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_layout_follows_the_recipe(tmp_path: Path, offline_settings) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "pyproject.toml"
    result = export(
        "poetry", ["torch"], targets=["linux-cu126", "linux-cpu"], output=out, settings=offline_settings
    )
    data = tomllib.loads(out.read_text())
    poetry = data["tool"]["poetry"]
    assert poetry["dependencies"]["torch"] == [
        {
            "version": "*",
            "source": "pytorch-cu126",
            "markers": "extra == 'cuda' and extra != 'cpu' and platform_system == 'Linux'",
        },
        {
            "version": "*",
            "source": "pytorch-cpu",
            "markers": "extra == 'cpu' and extra != 'cuda' and platform_system == 'Linux'",
        },
    ]
    assert "group" not in poetry  # the optional `cuda` group is the seed 001 trap
    assert poetry["extras"] == {"cpu": ["torch"], "cuda": ["torch"]}
    assert {s["name"]: s["priority"] for s in poetry["source"]} == {
        "pytorch-cu126": "explicit",
        "pytorch-cpu": "explicit",
    }
    assert "# | poetry sync -E cuda | the cuda build; needs that hardware    |" in out.read_text()
    assert "install the cuda build with `poetry sync -E cuda`" in result.notes


@pytest.mark.slow
def test_poetry_lock_and_install_each_extra(tmp_path: Path, settings, tool_env, local_index) -> None:  # type: ignore[no-untyped-def]
    project = tmp_path / "proj"
    project.mkdir()
    out = project / "pyproject.toml"
    out.write_text(USER_FILE.format(pypi=local_index.pypi))
    export("poetry", ["torch"], targets=TARGETS, output=out, settings=settings)
    assert out.read_text().startswith(USER_FILE.format(pypi=local_index.pypi))
    _poetry(["lock"], project, tool_env)
    lock = tomllib.loads((project / "poetry.lock").read_text())
    versions = {p["version"] for p in lock["package"] if p["name"] == "torch"}
    assert {"2.13.0+cu126", "2.13.0+cpu"} <= versions
    python = str(project / ".venv" / "bin" / "python")
    for args, expected in ((["-E", "cpu"], "2.13.0+cpu"), (["-E", "cuda"], "2.13.0+cu126")):
        _poetry(["sync", *args], project, tool_env)
        done = subprocess.run([python, "-c", "import importlib.metadata as m; print(m.version('torch'))"],
                              capture_output=True, text=True, check=True)  # fmt: skip
        assert done.stdout.strip() == expected, args
    # without an extra there is no torch at all (never a silent CPU build)
    _poetry(["sync"], project, tool_env)
    probe = subprocess.run([python, "-c", "import importlib.util as u; print(u.find_spec('torch') is None)"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    assert probe.stdout.strip() == "True"
