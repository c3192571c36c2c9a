"""Signals during every step of `install` (and a restore): real processes, real uv, a slow local index.

For each step torchsmith is started as a real process, the test waits until that step is under way
(seen in its progress output and its process tree), sends the signal, and asserts: exit 143 for SIGTERM
and 130 for SIGINT/SIGHUP, no traceback, the state of the environment and the restore command printed,
no process left in any group torchsmith started, no temporary file left, and the environment either
unchanged or fully installed (what uv wrote is all or nothing per distribution, and we say which).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.doctor.fakes import fake_torch_source
from tests.robustness.cli_case import MACHINES, assert_handled
from tests.robustness.processes import Running
from tests.support.catalog import Catalog
from tests.support.fixtures import LocalIndex
from tests.support.index_tree import build_index, files_dir
from tests.support.server import serve
from tests.support.wheels import make_wheel

pytestmark = [pytest.mark.slow]

ROOT = MACHINES / "cpu-container"
PY = f"cp{sys.version_info[0]}{sys.version_info[1]}"
WHEEL = f"torch-2.13.0+cpu-{PY}-{PY}-manylinux_2_28_x86_64.whl"


def _torch(dest: Path, version: str, **config: object) -> Path:
    return make_wheel(dest, "torch", version, PY, PY, "manylinux_2_28_x86_64",
                      files={"torch/__init__.py": fake_torch_source(version=version, **config)})  # fmt: skip


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIndex]:
    root = tmp_path_factory.mktemp("signal-index")
    cpu = files_dir(root, "cpu")
    wheels = [
        ("cpu", _torch(cpu, "2.13.0+cpu")),
        ("cpu", _torch(cpu, "2.12.0+cpu", faults={"cpu": "matmul:hang"})),
        ("cpu", _torch(cpu, "2.11.0+cpu")),
        ("pypi", make_wheel(files_dir(root, "pypi"), "filelock", "3.16.1", "py3", "none", "any")),
    ]
    build_index(root, wheels)
    with serve(root) as url:
        yield LocalIndex(url=url, root=root, catalog=Catalog(wheels=()))


@dataclass
class Setup:
    venv: Path
    env: dict[str, str]
    tmp: Path
    cache: Path

    def family(self) -> dict[str, str]:
        """The torch family installed in the venv, read from its files (no process started)."""
        found = {}
        for dist in self.venv.glob("lib/python3*/site-packages/*.dist-info"):
            name, _, version = dist.name[: -len(".dist-info")].partition("-")
            if name.lower() in ("torch", "torchvision", "torchaudio"):
                found[name.lower()] = version
        return found

    def leftovers(self) -> list[str]:
        return [p.name for p in self.tmp.iterdir() if p.name.startswith("torchsmith-")]


@pytest.fixture
def setup(index: LocalIndex, tmp_path: Path) -> Setup:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    cache = tmp_path / "cache"
    env = {
        "TORCHSMITH_INDEX_URL": index.base,
        "UV_INDEX_URL": index.pypi,
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "UV_NO_CONFIG": "1",
        "TORCHSMITH_CACHE_DIR": str(cache),
        "TMPDIR": str(tmp),
        "PATH": f"{ROOT}/usr/bin:{os.environ['PATH']}",
    }
    return Setup(venv, env, tmp, cache)


def _install(setup: Setup, *extra: str) -> list[str]:
    return ["install", "torch", *extra, "--venv", str(setup.venv), "--root", str(ROOT)]


def _assert_stopped(run: Running, outcome_code: int, signum: int) -> None:
    expected = 143 if signum == signal.SIGTERM else 130
    assert outcome_code == expected, "".join(run.lines)
    assert run.survivors() == [], "processes of torchsmith's groups survived"


SIGNALS = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP]


def test_sigterm_during_planning_changes_nothing(index: LocalIndex, setup: Setup) -> None:
    with index.faults({"prefix": "/whl/cpu/torch/", "fault": "slow", "arg": 30}):
        run = Running(_install(setup), setup.env)
        try:
            run.wait_for(lambda: run.saw("planning for"), what="planning")
            run.signal(signal.SIGTERM)
            outcome = run.finish()
        finally:
            run.stop()
    assert_handled(outcome, codes={143})
    _assert_stopped(run, outcome.code, signal.SIGTERM)
    assert "interrupted by SIGTERM while planning" in outcome.err
    assert "nothing was changed" in outcome.err
    assert setup.family() == {}
    assert not (setup.cache / "restore").exists()
    assert setup.leftovers() == []


@pytest.mark.parametrize("signum", SIGNALS, ids=[s.name for s in SIGNALS])
def test_signal_mid_download_stops_the_installer_group(
    index: LocalIndex, setup: Setup, signum: signal.Signals
) -> None:
    """Issue 11: SIGTERM during `install` left `uv pip install` running and finishing 30 s later."""
    with index.faults({"path": f"/whl/cpu/{WHEEL}", "fault": "slow-body", "arg": 60}):
        run = Running(_install(setup), setup.env)
        try:
            run.wait_for(lambda: run.child_running("pip install"), what="uv pip install")
            run.wait_for(lambda: run.saw("uv pip install"), what="the installer step")
            import time

            time.sleep(1.5)  # uv has resolved (metadata is fast) and is waiting for the slow wheel body
            run.signal(signum)
            outcome = run.finish()
        finally:
            run.stop()
    assert_handled(outcome, codes={143 if signum == signal.SIGTERM else 130})
    _assert_stopped(run, outcome.code, signum)
    assert f"interrupted by {signum.name} while running `uv`" in outcome.err, outcome.err
    restore_files = list((setup.cache / "restore").glob("*.json"))
    assert len(restore_files) == 1
    assert f"torchsmith install --restore {restore_files[0]}" in outcome.err
    # unchanged (the download never finished), and torchsmith says so
    assert setup.family() == {}
    assert "the environment is unchanged" in outcome.err
    assert setup.leftovers() == []


def test_sigterm_during_verification_leaves_it_installed_and_says_so(index: LocalIndex, setup: Setup) -> None:
    run = Running([*_install(setup)[:1], "torch==2.12.*", *_install(setup)[2:]], setup.env)
    try:
        run.wait_for(lambda: run.child_running("--matmul-size"), what="the verification", timeout=90)
        run.signal(signal.SIGTERM)
        outcome = run.finish()
    finally:
        run.stop()
    assert_handled(outcome, codes={143})
    _assert_stopped(run, outcome.code, signal.SIGTERM)
    assert "while verifying (the pins are installed)" in outcome.err
    assert setup.family() == {"torch": "2.12.0+cpu"}
    assert "torch-family pins are now torch 2.12.0+cpu" in outcome.err
    assert "torchsmith install --restore" in outcome.err


def test_sigterm_during_dry_run_writes_nothing(index: LocalIndex, setup: Setup) -> None:
    with index.faults({"path": f"/whl/cpu/{WHEEL}", "fault": "slow", "arg": 60}):
        run = Running([*_install(setup), "--dry-run"], setup.env)
        try:
            run.wait_for(lambda: run.saw("planning for"), what="planning")
            run.signal(signal.SIGTERM)
            outcome = run.finish()
        finally:
            run.stop()
    assert_handled(outcome, codes={143})
    _assert_stopped(run, outcome.code, signal.SIGTERM)
    assert not (setup.cache / "restore").exists()
    assert setup.family() == {}


def test_completed_install_is_installed_and_verified(index: LocalIndex, setup: Setup) -> None:
    """The other outcome a signal may meet: had it come later, this is the state it would find."""
    run = Running([*_install(setup), "--json"], setup.env)
    try:
        outcome = run.finish(timeout=120)
    finally:
        run.stop()
    assert outcome.code == 0, outcome.err
    document = json.loads(outcome.out)
    assert document["verification"]["healthy"] is True
    assert setup.family() == {"torch": "2.13.0+cpu"}
    record = json.loads(Path(document["restore_file"]).read_text())
    assert record == {"version": 1, "python": str(setup.venv / "bin" / "python"), "packages": []}
    assert run.survivors() == []


# --- restore: resolved before anything changes, interruptible ------------------------------------------


def _seed(index: LocalIndex, setup: Setup, version: str) -> None:
    """Install `torch==version` into the venv with uv directly (torchsmith is what is under test)."""
    from torchsmith.target import find_uv

    subprocess.run(
        [find_uv(), "pip", "install", "--python", str(setup.venv / "bin" / "python"), f"torch=={version}",
         "--index-url", index.index_url("cpu"), "--extra-index-url", index.pypi, "--quiet"],
        check=True, env={**os.environ, **setup.env},
    )  # fmt: skip
    assert setup.family() == {"torch": version}


def _restore_file(setup: Setup, *pins: tuple[str, str]) -> Path:
    path = setup.tmp.parent / "restore.json"
    packages = [{"name": n, "version": v, "url": None} for n, v in pins]
    path.write_text(json.dumps({"version": 1, "python": str(setup.venv / "bin" / "python"),
                                "packages": packages}))  # fmt: skip
    return path


def test_restore_that_cannot_resolve_uninstalls_nothing(index: LocalIndex, setup: Setup) -> None:
    """Issue 11: `torch; rm -rf /` uninstalled torch before failing. Now the reinstall is resolved with
    `--dry-run` first: a pin the index does not have fails before anything is removed."""
    _seed(index, setup, "2.13.0+cpu")
    path = _restore_file(setup, ("torch", "2.9.9+cpu"))
    run = Running(["install", "--restore", str(path)], setup.env)
    try:
        outcome = run.finish(timeout=60)
    finally:
        run.stop()
    assert_handled(outcome, codes={2}, names=["could not resolve"])
    assert "the environment is unchanged" in outcome.err
    assert setup.family() == {"torch": "2.13.0+cpu"}


def test_restore_puts_the_recorded_pin_back(index: LocalIndex, setup: Setup) -> None:
    _seed(index, setup, "2.13.0+cpu")
    path = _restore_file(setup, ("torch", "2.11.0+cpu"))
    dry = Running(["install", "--restore", str(path), "--dry-run"], setup.env)
    try:
        outcome = dry.finish(timeout=60)
    finally:
        dry.stop()
    assert outcome.code == 0, outcome.err
    assert setup.family() == {"torch": "2.13.0+cpu"}  # --dry-run changed nothing
    run = Running(["install", "--restore", str(path)], setup.env)
    try:
        outcome = run.finish(timeout=60)
    finally:
        run.stop()
    assert outcome.code == 0, outcome.err
    assert setup.family() == {"torch": "2.11.0+cpu"}


def test_sigterm_during_restore_download(index: LocalIndex, setup: Setup) -> None:
    _seed(index, setup, "2.13.0+cpu")
    path = _restore_file(setup, ("torch", "2.11.0+cpu"))
    wheel = WHEEL.replace("2.13.0", "2.11.0")
    with index.faults({"path": f"/whl/cpu/{wheel}", "fault": "slow-body", "arg": 60}):
        run = Running(["install", "--restore", str(path)], setup.env)
        try:
            run.wait_for(lambda: run.saw("requirements)") and run.child_running("pip install")
                         and not run.child_running("--dry-run"), what="the reinstall")  # fmt: skip
            import time

            time.sleep(1.5)
            run.signal(signal.SIGTERM)
            outcome = run.finish()
        finally:
            run.stop()
    assert_handled(outcome, codes={143})
    _assert_stopped(run, outcome.code, signal.SIGTERM)
    assert "while reinstalling the recorded pins" in outcome.err
    assert "the environment is unchanged" in outcome.err
    assert f"torchsmith install --restore {path}" in outcome.err
    assert setup.family() == {"torch": "2.13.0+cpu"}
