"""`promote --mirror` makes a channel that installs on its own: the real torch 2.13.0 CPU wheel, every
dependency the passing cell installed (found by sha256), and the member; then uv and pip each install the
member into a fresh venv with the channel as their only index (served on 127.0.0.1, no other index, no
config), and `torchsmith doctor` finds the result healthy.

The torch wheel is this machine's (`/opt/wheels`), its dependencies come from the machine's package mirror
(`file:///opt/pypi/simple`); the distro folder and its cached venv are shared with `test_real_torch.py`
under the system temp dir (unpacking torch takes a while the first time).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support.server import serve
from tests.support.wheels import make_wheel
from torchsmith.distro import promote, run_tests
from torchsmith.index.settings import IndexSettings
from torchsmith.target import find_uv

pytestmark = pytest.mark.slow

WHEEL = Path("/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl")
MIRROR = Path("/opt/pypi/simple")
CODE = "import torch\n\n\ndef total(n):\n    return float(torch.ones(n).sum())\n"
TEST = "import realmirror\n\n\ndef test_total():\n    assert realmirror.total(4) == 4.0\n"


def _doctor(python: Path, home: Path) -> dict[str, object]:
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(
        [sys.executable, "-m", "torchsmith", "doctor", "--python", str(python), "--json", "--no-device-test"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report: dict[str, object] = json.loads(done.stdout)
    return report


def test_mirrored_channel_installs_alone_with_uv_and_pip(tmp_path: Path) -> None:
    if sys.version_info[:2] != (3, 11) or not WHEEL.exists() or not MIRROR.exists():
        pytest.skip("needs CPython 3.11, the torch 2.13.0 CPU wheel in /opt/wheels and the /opt/pypi mirror")
    base = Path(tempfile.gettempdir()) / "torchsmith-tests"
    base.mkdir(parents=True, exist_ok=True)
    root = base / "distro-real-mirror"
    env = {
        "PATH": f"{Path(sys.base_prefix) / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "UV_CACHE_DIR": str(base / "uv-cache"),
        "UV_NO_CONFIG": "1",
    }
    settings = IndexSettings.from_env({"TORCHSMITH_CACHE_DIR": str(tmp_path / "cache")})
    with (base / "distro-real-mirror.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for stale in (root / ".distro" / "results", root / "channel"):
            shutil.rmtree(stale, ignore_errors=True)
        make_wheel(
            root / "wheels",
            "realmirror",
            "1.0",
            "py3",
            "none",
            "any",
            requires_dist=["torch>=2.9"],
            files={"realmirror/__init__.py": CODE},
        )
        (root / "tests").mkdir(exist_ok=True)
        (root / "tests" / "test_realmirror.py").write_text(TEST)
        (root / "distro.toml").write_text(
            f'[distro]\nname = "real"\nindex-url = "{MIRROR.as_uri()}"\n\n'
            '[matrix]\ntorch = ["2.13"]\nbackends = ["cpu"]\npythons = ["3.11"]\n\n'
            f'[torch-wheels]\n"torch2.13-cpu-py3.11" = "{WHEEL}"\n\n'
            '[[member]]\nname = "realmirror"\npath = "wheels/realmirror-1.0-py3-none-any.whl"\n'
            'test = "python -m pytest -q -p no:cacheprovider tests"\ntest-requires = ["pytest"]\n'
        )
        run = run_tests(distro_path=root / "distro.toml", tier=2, settings=settings, env=env, timeout=540)
        result = promote(distro_path=root / "distro.toml", mirror=True, settings=settings)
        fcntl.flock(lock, fcntl.LOCK_UN)
    (cell,) = run.cells
    assert cell.error is None and cell.torch_sha256 is not None
    assert result.promoted == ("realmirror==1.0",) and result.exit_code == 0, result.summary()
    channel = root / "channel"
    files = {p.name for p in (channel / "files").glob("*.whl")}
    assert WHEEL.name in files and "realmirror-1.0-py3-none-any.whl" in files
    # every file the cell installed is in the channel, under its tested hash
    installed = {p.name for p in cell.installed}
    assert {"torch", "sympy", "filelock", "typing-extensions", "pytest"} <= installed
    from torchsmith.distro.channel import file_sha256

    by_hash = {file_sha256(channel / "files" / name) for name in files}
    for pin in cell.installed:
        assert set(pin.hashes) & by_hash, pin
    constraints = (channel / "constraints.txt").read_text().splitlines()
    assert f"torch==2.13.0+cpu  # sha256={file_sha256(WHEEL)}" in constraints
    assert "realmirror==1.0" in constraints and any(line.startswith("sympy==") for line in constraints)

    with serve(channel) as url:
        index = f"{url}/simple"
        only_channel = ["--index-url", index, "realmirror", "-c", str(channel / "constraints.txt")]
        uv_venv = tmp_path / "uv-venv"
        uv_env = env | {"UV_PYTHON_DOWNLOADS": "never"}
        subprocess.run(
            [find_uv(), "venv", str(uv_venv), "--python", sys.executable, "-q"], check=True, env=uv_env
        )
        done = subprocess.run(
            [find_uv(), "pip", "install", "--python", str(uv_venv / "bin" / "python"), *only_channel],
            capture_output=True,
            text=True,
            env=uv_env,
            check=False,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        assert "+ torch==2.13.0+cpu" in done.stderr and "+ realmirror==1.0" in done.stderr

        pip_venv = tmp_path / "pip-venv"
        subprocess.run([sys.executable, "-m", "venv", str(pip_venv)], check=True)
        pip_env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PIP_CONFIG_FILE": os.devnull}
        pip = subprocess.run(
            [str(pip_venv / "bin" / "python"), "-m", "pip", "install", "--no-cache-dir", *only_channel],
            capture_output=True,
            text=True,
            env=pip_env,
            check=False,
            timeout=900,
        )
        assert pip.returncode == 0, pip.stdout + pip.stderr
        assert "torch-2.13.0+cpu" in pip.stdout and "realmirror-1.0" in pip.stdout
        log = [entry["path"] for entry in _server_log(url)]
    assert all(path.startswith(("/simple/", "/files/", "/.snapshots/")) for path in log)

    for venv in (uv_venv, pip_venv):
        report = _doctor(venv / "bin" / "python", tmp_path)
        assert report["healthy"] is True and report["findings"] == []


def _server_log(url: str) -> list[dict[str, str]]:
    import urllib.request

    with urllib.request.urlopen(f"{url}/_log", timeout=10) as response:
        data: list[dict[str, str]] = json.loads(response.read())
    return data
