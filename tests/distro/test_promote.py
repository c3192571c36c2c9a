"""`distro promote`: the channel is a real PEP 503 / 691 index with PEP 658 metadata that uv and pip use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.distro.conftest import STANDARD, DistroDir
from tests.support.fixtures import LocalIndex
from tests.support.server import serve
from torchsmith.distro import promote, run_tests
from torchsmith.distro.channel import channel_lock, write_index
from torchsmith.index.client import IndexClient

pytestmark = pytest.mark.slow


def _promoted(d: DistroDir, mirror: bool = False) -> Path:
    d.write(STANDARD, torch='["2.9"]')
    run = run_tests(distro_path=d.path, tier=2, settings=d.settings, env=d.env)
    assert run.exit_code == 0
    result = promote(distro_path=d.path, settings=d.settings, mirror=mirror)
    assert result.promoted == ("alpha==1.0", "ext==1.0", "beta==1.0") and result.exit_code == 0
    return d.root / "channel"


def test_channel_layout_and_constraints(distro_dir: Callable[[], DistroDir]) -> None:
    d = distro_dir()
    channel = _promoted(d)
    lines = (channel / "constraints.txt").read_text().splitlines()
    assert lines[0] == (
        "# known-good set of distro `testdistro`; tested with torch 2.9.1+cpu (torch2.9-cpu-py3.11)"
    )
    assert lines[1].startswith("torch==2.9.1+cpu  # sha256=")
    assert {"alpha==1.0", "beta==1.0", "ext==1.0"} <= set(lines)
    assert any(line.startswith("pytest==8.4.2  # sha256=") for line in lines)  # what the cell installed
    assert (channel / "constraints" / "torch2.9-cpu-py3.11.txt").read_text().splitlines()[1:] == lines[1:]
    root = json.loads((channel / "simple" / "index.json").read_text())
    assert root == {
        "meta": {"api-version": "1.1"},
        "projects": [{"name": "alpha"}, {"name": "beta"}, {"name": "ext"}],
    }
    # re-promoting alpha 2.0 later keeps 1.0: the channel accumulates, and the swap leaves no temp dirs
    (d.root / "wheels" / "alpha-2.0-py3-none-any.whl").replace(
        channel / "files" / "alpha-2.0-py3-none-any.whl"
    )
    with channel_lock(channel):
        write_index(channel)
    page = json.loads((channel / "simple" / "alpha" / "index.json").read_text())
    assert page["versions"] == ["1.0", "2.0"]
    with channel_lock(channel):
        write_index(channel)
    assert sorted(p.name for p in channel.iterdir()) == [
        ".lock",
        ".snapshots",
        "constraints",
        "constraints.txt",
        "files",
        "simple",
    ]
    assert not list((channel / ".snapshots").glob("*.tmp"))


def test_uv_and_pip_install_from_the_channel(
    distro_dir: Callable[[], DistroDir], local_index: LocalIndex, tmp_path: Path
) -> None:
    d = distro_dir()
    channel = _promoted(d, mirror=True)
    # the local index's torch (the cell's planned wheel) was mirrored by its tested sha256
    assert "torch-2.9.1+cpu-cp311-cp311-manylinux_2_28_x86_64.whl" in {
        p.name for p in (channel / "files").iterdir()
    }
    with serve(channel) as url:
        index = f"{url}/simple"
        client = IndexClient(tmp_path / "http-cache")
        page = client.project_page(index, "beta")
        (file,) = page.files
        assert file.sha256 and file.core_metadata and file.filename == "beta-1.0-py3-none-any.whl"
        assert client.metadata(file) == ["alpha>=1.0", "torch"]  # PEP 658 file, hash checked

        venv = tmp_path / "venv"
        uv = d.env | {"UV_PYTHON_DOWNLOADS": "never"}
        from torchsmith.target import find_uv

        subprocess.run([find_uv(), "venv", str(venv), "--python", sys.executable, "-q"], check=True, env=uv)
        done = subprocess.run(
            [
                find_uv(),
                "pip",
                "install",
                "--python",
                str(venv / "bin" / "python"),
                "beta",
                "ext",
                "--index-url",
                index,
                "-c",
                str(channel / "constraints.txt"),
            ],
            capture_output=True,
            text=True,
            env=uv,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert (
            "+ alpha==1.0" in done.stderr
            and "+ beta==1.0" in done.stderr
            and "+ torch==2.9.1+cpu" in done.stderr
        )

        pip_env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PIP_CONFIG_FILE": os.devnull}
        pip = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--dry-run",
                "--no-cache-dir",
                "--index-url",
                index,
                "beta",
                "-c",
                str(channel / "constraints.txt"),
            ],
            capture_output=True,
            text=True,
            env=pip_env,
            check=False,
        )
        if "No module named pip" in pip.stderr:
            pytest.skip("pip is not installed in this interpreter")
        assert pip.returncode == 0, pip.stderr
        assert "Would install" in pip.stdout and "alpha-1.0" in pip.stdout and "beta-1.0" in pip.stdout
