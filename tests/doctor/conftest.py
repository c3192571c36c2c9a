"""Fixtures for doctor tests: the real-torch venv, fake environments, machines and a doctor runner.

The real-torch venv is built once with `python -m venv` and `pip install torch==2.13.0` (pip's
configuration on this machine finds the CPU wheel on disk) and kept under the system temp dir across test
sessions, behind a lock and a completion marker, because building it takes about half a minute.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.doctor.fakes import FakeEnv, machine_json
from torchsmith.doctor import DoctorReport, diagnose
from torchsmith.machine.model import Machine
from torchsmith.machine.runnable import runnable_backends

REPO = Path(__file__).resolve().parents[2]
H100_ROOT = REPO / "tests" / "machines" / "h100-driver580"
TORCH_VERSION = "2.13.0"
PY36 = Path("/root/.pyenv/versions/3.6.15/bin/python")
PY38 = Path("/root/.pyenv/versions/3.8.18/bin/python")


def base_env(**extra: str) -> dict[str, str]:
    """A small, explicit environment for the target and the probe: no leaks from the developer's shell."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", **extra}


def root_env(root: Path, **extra: str) -> dict[str, str]:
    """The environment for a fake machine: its recorded programs first on PATH."""
    env = base_env(**extra)
    env["PATH"] = f"{root}/usr/bin:{root}/usr/sbin:{env['PATH']}"
    return env


def make_machine(**sections: Any) -> Machine:
    """A `Machine` from a probe document; `backends` derived by the real policy unless given."""
    machine = Machine.from_json(machine_json(**sections))
    if "backends" not in sections:
        machine = dataclasses.replace(machine, backends=runnable_backends(machine, None))
    return machine


CPU_MACHINE = make_machine()


def ids(report: DoctorReport) -> list[str]:
    return [f.rule for f in report.findings]


def only(report: DoctorReport, rule: str) -> Any:
    """The single finding of `rule` (fails when there is none or several)."""
    found = [f for f in report.findings if f.rule == rule]
    assert len(found) == 1, [f.to_json() for f in report.findings]
    return found[0]


@pytest.fixture
def make_env(tmp_path: Path) -> Callable[..., FakeEnv]:
    counter = iter(range(1000))

    def make(base_python: str | Path = sys.executable) -> FakeEnv:
        return FakeEnv.create(tmp_path / f"env{next(counter)}", str(base_python))

    return make


@pytest.fixture
def doctor() -> Callable[..., DoctorReport]:
    """Run the real `diagnose` on an env; device test off and a CPU machine unless a test says otherwise."""

    def run(
        env: FakeEnv | Path,
        *,
        machine: Machine | None = CPU_MACHINE,
        environ: Mapping[str, str] | None = None,
        root: Path | None = None,
        device_test: bool = False,
        timeout: float = 60.0,
    ) -> DoctorReport:
        python = env.python if isinstance(env, FakeEnv) else env
        return diagnose(
            python=str(python),
            root=root,
            env=dict(environ) if environ is not None else base_env(),
            machine=machine,
            timeout=timeout,
            device_test=device_test,
        )

    return run


def _build_torch_venv(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    result = subprocess.run(
        [str(path / "bin" / "python"), "-m", "pip", "install", "-q", f"torch=={TORCH_VERSION}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"cannot build the torch venv at {path}:\n{result.stdout}\n{result.stderr}")
    (path / ".complete").write_text(TORCH_VERSION)


@pytest.fixture(scope="session")
def torch_venv() -> Iterator[Path]:
    """A venv with the real torch 2.13.0 (CPU build); yields its interpreter."""
    if sys.version_info[:2] != (3, 11):
        pytest.skip("the torch wheel on this machine's disk is for CPython 3.11")
    base = Path(
        os.environ.get("TORCHSMITH_TEST_TORCH_VENV") or Path(tempfile.gettempdir()) / "torchsmith-tests"
    )
    base.mkdir(parents=True, exist_ok=True)
    path = base / f"torch-{TORCH_VERSION}-py{sys.version_info[0]}{sys.version_info[1]}"
    with (base / f"{path.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = path / ".complete"
        if not (marker.exists() and (path / "bin" / "python").exists()):
            _build_torch_venv(path)
        fcntl.flock(lock, fcntl.LOCK_UN)
    yield path / "bin" / "python"
